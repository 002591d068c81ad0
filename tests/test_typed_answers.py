"""Typed answers: every writer of ``submission.answers`` keeps ``answer_value`` in step.

The rows are held against the JSON (tests/support/typed.py) after every way answers are
written: saving every published form and a form with a field of every type, as a draft
and again with answers taken away; the demo generator's bulk insert; the anonymisation
and the erasure; and the migration that fills the table from the submissions there were.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import column as sa_column
from sqlalchemy import delete, event, insert, inspect, select
from sqlalchemy import table as sa_table

from app import create_app
from app.collection.models import FormVersion, Submission
from app.collection.services import save_submission
from app.collection.typed import VALUE_COLUMNS, AnswerValue, typed_rows
from app.core.db import db
from app.definitions.field_checks import _normalise_field
from app.definitions.fields import FIELD_TYPES
from app.definitions.loader import load_catalogue
from app.definitions.model import FormDef
from app.demo.generate import generate
from app.demo.services import DEFAULT_PASSWORD, seed_demo
from app.families.models import Family, Member
from app.families.services import add_member
from app.privacy.services import anonymise_family, erase_member
from app.reports.cohort import FACT_FORMS, Cohort
from app.reports.indicator_run import compute
from app.research.scope import GrantScope, StudyScope
from app.tenancy.config_files import load_directory
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.apps import TEST_CONFIG, scratch_database_url
from tests.support.checks import warning_ids
from tests.support.forms import valid_formdata
from tests.support.typed import COLUMN_TYPES, typed_count, typed_differences

TODAY = date(2026, 3, 1)
TEXT = {"da": "Spørgsmål", "en": "Question"}
COLOURS = {
    "codelist": "colours",
    "title": {"da": "Farver", "en": "Colours"},
    "codes": [
        {"code": "red", "label": {"da": "Rød", "en": "Red"}},
        {"code": "green", "label": {"da": "Grøn", "en": "Green"}},
        {"code": "blue", "label": {"da": "Blå", "en": "Blue"}},
    ],
}
WHO5 = [f"who5_{i}" for i in range(1, 6)]


def _every_type_form() -> FormDef:
    """A family form with one question of every registered field type (and the WHO-5
    items a computed field needs)."""
    items: list[dict[str, Any]] = []
    for type_name, kind in FIELD_TYPES.items():
        item: dict[str, Any] = {"name": f"q_{type_name}", "type": type_name, "label": TEXT}
        if kind.needs_codelist:
            item["codelist"] = "colours"
        if kind.bounded:
            item.update(min=0, max=10)
        if not kind.input:
            item["compute"] = "who5_score"
        items.append(item)
    items += [{"name": n, "type": "integer", "label": TEXT, "min": 0, "max": 5} for n in WHO5]
    return FormDef.from_dict(
        {
            "form": "typed_probe",
            "version": 1,
            "level": "family",
            "waves": ["intake"],
            "title": TEXT,
            "sections": [{"id": "main", "fields": [_normalise_field(i) for i in items]}],
            "codelists": {"colours": COLOURS},
        }
    )


@pytest.mark.parametrize("type_name", list(FIELD_TYPES))
def test_every_type_names_its_column_and_gives_a_value_of_that_columns_type(type_name):
    form = _every_type_form()
    field = form.field(f"q_{type_name}")
    assert field is not None
    kind = field.kind
    assert kind.stored_in in VALUE_COLUMNS
    sample = kind.sample(field, form, TODAY) if kind.input else 60
    [row] = typed_rows(7, 3, form, {field.name: sample})
    assert isinstance(row[kind.stored_in], COLUMN_TYPES[kind.stored_in]), row
    assert [c for c in VALUE_COLUMNS if row[c] is not None] == [kind.stored_in]
    assert (row["submission_id"], row["municipality_id"], row["name"]) == (7, 3, field.name)
    # An empty answer has no row; a question the form does not ask has none either.
    assert typed_rows(7, 3, form, {field.name: None, "not_asked": 1}) == []


def _save(municipality, wave, version, member, raw, *, submit, lock=None):
    return save_submission(
        municipality,
        wave,
        version,
        member,
        raw,
        submit=submit,
        seen_lock_version=lock,
        actor_id=None,
        today=TODAY,
        confirmed=warning_ids(version.form),
    )


def test_every_form_and_every_field_type_saved_gives_rows_equal_to_its_answers(
    app_ctx, municipalities, forms_published, make_family
):
    jammerbugt = municipalities["jammerbugt"]
    probe = _every_type_form()
    db.session.add(
        FormVersion(
            form_id=probe.form_id,
            version=1,
            level="family",
            content_hash=probe.content_hash,
            definition=probe.data,
        )
    )
    db.session.commit()
    family = make_family("jammerbugt", adults=1, children=1, enrolment=date(2026, 1, 15))
    with tenant_scope(jammerbugt):
        family = db.session.get(Family, family.id)
        wave = next(w for w in family.waves if w.kind == "intake")
        subject = {m.role: m for m in family.members}
        versions = db.session.scalars(select(FormVersion).order_by(FormVersion.id)).all()
        assert {v.form_id for v in versions} >= {"jammerbugt.bip", probe.form_id}
        for version in versions:
            if version.form_id == probe.form_id:
                continue
            member = None if version.level == "family" else subject[version.level]
            raw = valid_formdata(version.form, TODAY)
            _save(jammerbugt, wave, version, member, raw, submit=True)
        db.session.commit()
        assert typed_differences() == []

        # The form of every type: a draft with every answer (several codes, given out of
        # the code list's order), then the same draft with half of them taken away.
        version = next(v for v in versions if v.form_id == probe.form_id)
        raw = valid_formdata(probe, TODAY)
        raw["q_multiple_choice"] = ["blue", "red"]
        draft = _save(jammerbugt, wave, version, None, raw, submit=False)
        db.session.commit()
        assert typed_differences() == []
        with unscoped("test: the probe's rows"):
            rows = db.session.execute(
                select(AnswerValue).where(AnswerValue.submission_id == draft.id)
            ).scalars()
            stored = {r.name: r for r in rows}
        assert {f"q_{t}" for t in FIELD_TYPES} <= set(stored)
        assert stored["q_multiple_choice"].text == "red;blue"
        assert stored["q_computed"].number == draft.answers["q_computed"]
        kept = {name: value for n, (name, value) in enumerate(raw.items()) if n % 2}
        emptied = {name: kept.get(name, "") for name in raw}
        lock = draft.lock_version
        draft = _save(jammerbugt, wave, version, None, emptied, submit=False, lock=lock)
        db.session.commit()
        assert typed_differences() == []
        with unscoped("test: the probe's rows after the second save"):
            names = set(
                db.session.scalars(
                    select(AnswerValue.name).where(AnswerValue.submission_id == draft.id)
                )
            )
        assert names - {"q_computed"} == {n for n in kept if draft.answers.get(n) is not None}
        _save(jammerbugt, wave, version, None, raw, submit=True, lock=draft.lock_version)
        db.session.commit()
    assert typed_differences() == []


def test_every_generated_submission_has_rows_equal_to_its_answers(
    app_ctx, municipalities, forms_published
):
    for slug in ("vejle", "jammerbugt"):
        generate(municipalities[slug], 40, seed=4)
    db.session.commit()
    assert typed_count() > 1000
    assert typed_differences() == []
    with unscoped("test: which columns the generated answers fill"):
        table = AnswerValue.__table__
        filled = {
            column
            for column in VALUE_COLUMNS
            if db.session.scalar(select(table.c.name).where(table.c[column].is_not(None)).limit(1))
        }
    assert filled == set(VALUE_COLUMNS)


def test_the_indicators_read_the_typed_answers_and_no_json(
    app_ctx, municipalities, forms_published
):
    """Every statement of an indicator run, the facts' copy and a study's consent
    included: none names the answers' JSON column, and the figures are not empty."""
    vejle = municipalities["vejle"]
    generate(vejle, 30, seed=6)
    db.session.commit()
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    scope = StudyScope(
        study_id=0,
        grants={
            vejle.id: GrantScope(
                municipality_id=vejle.id,
                period_from=None,
                period_to=None,
                forms=FACT_FORMS,
                waves=("intake", "follow_up", "exit"),
                approved_waves=("intake", *(f"follow_up_{m}" for m in range(6, 61, 6))),
                free_text=False,
            )
        },
    )
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with tenant_scope(vejle):
            pooled = compute(Cohort((vejle.id,), date.today()))
            studied = compute(Cohort((vejle.id,), date.today(), scope))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert any("answer_value" in s for s in statements)
    assert [s for s in statements if re.search(r"\banswers\b", s)] == []
    for raw in (pooled, studied):
        n, on_support = raw["adults_income_support_intake"][(vejle.id, "single_entry")]
        assert n > 0 and on_support > 0
    assert studied["single_parent_households"] != {}


def _bip_rows(member_id: int) -> dict[str, AnswerValue]:
    with unscoped("test: a person's typed BIP answers"):
        rows = db.session.scalars(
            select(AnswerValue)
            .join(Submission, Submission.id == AnswerValue.submission_id)
            .where(Submission.member_id == member_id, Submission.form_id == "jammerbugt.bip")
        )
        return {row.name: row for row in rows}


@pytest.mark.parametrize("way", ["anonymisation", "erasure"])
def test_removing_identifying_answers_removes_their_typed_rows(
    app_ctx, municipalities, make_family, way
):
    jammerbugt = municipalities["jammerbugt"]
    family = make_family("jammerbugt", adults=0, children=1, enrolment=date(2026, 1, 15))
    with tenant_scope(jammerbugt):
        family = db.session.get(Family, family.id)
        adult = add_member(family, "adult", "Voksen Jensen", date(2026, 1, 15))
        wave = next(w for w in family.waves if w.kind == "intake")
        bip = db.session.scalars(
            select(FormVersion).where(FormVersion.form_id == "jammerbugt.bip")
        ).first()
        raw = valid_formdata(bip.form, TODAY)
        raw["bip_note"] = f"Har talt med {adult.name} om job"
        _save(jammerbugt, wave, bip, adult, raw, submit=True)
        db.session.commit()
        adult_id = adult.id
    before = _bip_rows(adult_id)
    assert before["bip_note"].text == "Har talt med Voksen Jensen om job"
    identifying = {f.name for f in bip.form.fields if f.privacy is not None}
    assert identifying and identifying <= set(before)
    with tenant_scope(jammerbugt):
        if way == "anonymisation":
            anonymise_family(db.session.get(Family, family.id), reason="retention")
        else:
            erase_member(db.session.get(Member, adult_id), reason="sag 12", actor_id=None)
        db.session.commit()
    after = _bip_rows(adult_id)
    assert set(after) == set(before) - identifying
    assert after["bip_job_belief"].number == before["bip_job_belief"].number
    assert typed_differences() == []


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    yield from scratch_database_url(request, tmp_path, "typed")


def test_the_migration_fills_the_rows_of_every_submission_there_was(empty_database):
    """Down to 0020 (no table of typed answers), submissions written there as the
    application then wrote them, and up again: every submission has its rows."""
    app = create_app({**TEST_CONFIG, "DATABASE_URL": empty_database})
    with app.app_context():
        upgrade()
        with unscoped("filling a scratch database for the typed answers' migration"):
            seed_demo(
                load_directory(Path(app.config["MUNICIPALITIES_DIR"])),
                DEFAULT_PASSWORD,
                load_catalogue(Path(app.config["FORMS_DIR"])),
            )
            db.session.commit()
            municipalities = db.session.scalars(select(Municipality)).all()
            for municipality in municipalities:
                generate(municipality, 8, seed=5)
            db.session.commit()
            # One municipality's submissions leave, and come back below 0021.
            table = Submission.__table__
            gone = municipalities[0].id
            kept = [
                dict(row._mapping)
                for row in db.session.execute(select(table).where(table.c.municipality_id == gone))
            ]
            db.session.execute(delete(table).where(table.c.municipality_id == gone))
            db.session.commit()
        before = typed_count()
        assert kept and before
        db.session.remove()

        downgrade(revision="0020_plan_goals")
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SELECT set_config('helhed.cross_tenant', 'on', true)")
            # As the application then wrote them: only the columns there were at 0020
            # (a later migration's column, such as self_reported, is not there yet).
            there = {c["name"] for c in inspect(connection).get_columns("submission")}
            then = sa_table(
                "submission", *(sa_column(c.name, c.type) for c in table.c if c.name in there)
            )
            connection.execute(
                insert(then), [{k: v for k, v in row.items() if k in there} for row in kept]
            )
        upgrade()

        with unscoped("test: the backfilled rows"):
            back = set(
                db.session.scalars(
                    select(AnswerValue.submission_id).where(AnswerValue.municipality_id == gone)
                )
            )
        assert back == {row["id"] for row in kept if any(row["answers"].values())}
        assert typed_count() > before
        assert typed_differences() == []
        db.session.remove()
        db.engine.dispose()
