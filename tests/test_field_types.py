"""Field types as one registry: each type round-trips, renders, exports and has a privacy
class; every bound of every published form holds on the page and through the API, zero
and negative bounds included; no code outside the registry compares type names."""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import render_template_string
from sqlalchemy import select

from app.collection.models import FormVersion, Submission
from app.collection.services import forms_for_wave, publish_catalogue
from app.collection.waves import start_exit
from app.config import PROJECT_ROOT
from app.core.db import db
from app.definitions.compile import build_form_class
from app.definitions.field_checks import _FIELD_KEYS, _check_field, _normalise_field
from app.definitions.fields import FIELD_TYPES, FREE_TEXT, IDENTIFYING, WIDGETS
from app.definitions.fields.parsing import InvalidAnswer
from app.definitions.loader import earlier_content_hash, load_catalogue
from app.definitions.model import FieldDef, FormDef, questions_hash
from app.definitions.validation import validate_answers
from app.families.models import Family
from app.families.services import expected_forms
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.forms import valid_formdata

TODAY = date.today()
LANGUAGES = ("da", "en")
TEXT = {"da": "Spørgsmål", "en": "Question"}
COLOURS = {
    "codelist": "colours",
    "title": {"da": "Farver", "en": "Colours"},
    "codes": [
        {"code": "red", "label": {"da": "Rød", "en": "Red"}},
        {"code": "blue", "label": {"da": "Blå", "en": "Blue"}},
    ],
}
WHO5 = [f"who5_{i}" for i in range(1, 6)]

#: Table Schema field types (frictionless), and the JSON types an answer is stored as.
TABLE_SCHEMA_TYPES = {"string", "number", "integer", "boolean", "date", "array", "object"}
STORAGE_TYPES = {"string", "number", "integer", "boolean", "date", "array"}
EXPORT_CELL_TYPES = {"string": str, "number": float, "integer": int, "boolean": bool}


def _item(type_name: str, **extra: Any) -> dict[str, Any]:
    """The smallest definition of a field of *type_name* that the checks accept."""
    kind = FIELD_TYPES[type_name]
    item: dict[str, Any] = {"name": "answer", "type": type_name, "label": TEXT}
    if kind.needs_codelist:
        item["codelist"] = "colours"
    if kind.bounded:
        item.update(min=0, max=10)
    if not kind.input:
        item["compute"] = "who5_score"
    item.update(extra)
    return item


def _problems(item: dict[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    _check_field(
        item,
        [item["name"], *WHO5],
        None,
        {"colours": COLOURS},
        set(),
        {},
        lambda code, message, _where: problems.append((code, message)),
    )
    return problems


def _form(*items: dict[str, Any]) -> FormDef:
    """A checked, normalised definition around *items* (with the WHO-5 items, so a computed
    field has what it needs)."""
    who5 = [{**_item("integer"), "name": name, "min": 0, "max": 5} for name in WHO5]
    for item in (*items, *who5):
        assert _problems(item) == [], item
    return FormDef.from_dict(
        {
            "form": "test_form",
            "version": 1,
            "level": "family",
            "waves": ["intake"],
            "title": TEXT,
            "sections": [{"id": "main", "fields": [_normalise_field(i) for i in (*items, *who5)]}],
            "codelists": {"colours": COLOURS},
        }
    )


# -- every registered type --------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("type_name", list(FIELD_TYPES))
def test_every_type_round_trips_sample_formdata_and_parse(app, type_name, language):
    form = _form(_item(type_name))
    field = form.field("answer")
    assert field is not None and field.kind is FIELD_TYPES[type_name]
    sample = field.kind.sample(field, form, TODAY)
    if not field.kind.input:
        assert sample is None  # filled in by its computation, never typed
        with pytest.raises(InvalidAnswer):
            field.kind.parse(field, "1", form, TODAY, [])
        return
    with app.test_request_context():
        formdata = field.kind.to_formdata(sample, language)
        assert field.kind.parse(field, formdata, form, TODAY, []) == sample
        # The JSON the API takes is the stored value itself.
        assert field.kind.parse(field, sample, form, TODAY, []) == sample
        result = validate_answers(form, {"answer": formdata}, complete=False, today=TODAY)
        assert result.ok and result.answers["answer"] == sample


def test_every_field_of_every_repository_form_round_trips(app):
    catalogue = load_catalogue(PROJECT_ROOT / "forms")
    seen: set[str] = set()
    with app.test_request_context():
        for form in catalogue.forms.values():
            for language in LANGUAGES:
                data = valid_formdata(form, TODAY, language=language)
                result = validate_answers(form, data, complete=True, today=TODAY)
                assert result.ok, (form.form_id, result.errors)
                for field in form.fields:
                    if field.kind.input and field.visible(result.answers):
                        assert result.answers[field.name] == field.kind.sample(
                            field, form, TODAY
                        ), (form.form_id, field.name)
                    seen.add(field.type)
    assert seen <= set(FIELD_TYPES)


@pytest.mark.parametrize("type_name", list(FIELD_TYPES))
def test_every_type_has_a_widget_an_export_type_and_a_privacy_class(app, type_name):
    kind = FIELD_TYPES[type_name]
    assert kind.widget in WIDGETS
    assert kind.storage in STORAGE_TYPES
    assert kind.export_type in TABLE_SCHEMA_TYPES
    assert kind.privacy in (None, IDENTIFYING, FREE_TEXT)
    # A data-quality check can compare every answer with something (app.definitions.checks).
    assert kind.compared_as in ("number", "day", "truth", "words", "code", "codes")

    form = _form(_item(type_name))
    field = form.field("answer")
    assert field is not None
    flagged = _form(_item(type_name, identifying=True)).field("answer")
    assert flagged is not None and flagged.privacy == IDENTIFYING
    free = _form(_item(type_name, free_text=True)).field("answer")
    assert free is not None and free.privacy == FREE_TEXT
    assert field.privacy == kind.privacy

    sample = kind.sample(field, form, TODAY)
    if sample is not None:
        cell = kind.export_cell(sample, date(2026, 1, 15))
        assert isinstance(cell, EXPORT_CELL_TYPES[kind.export_type]), (type_name, cell)

    if not kind.input:
        return
    with app.test_request_context():
        compiled = build_form_class(form, "da", TODAY)(formdata=None, meta={"csrf": False})
        widget = kind.widget_for(compiled["answer"])
        assert widget in WIDGETS
        html = render_template_string(
            '{% from "collection/_definition_field.html" import definition_field with context %}'
            "{{ definition_field(fdef, f, definition, 'da') }}",
            fdef=field,
            f=compiled["answer"],
            definition=form,
        )
    assert TEXT["da"] in html
    if widget == "choices":
        assert "<fieldset" in html and "<legend>" in html
    else:
        assert "<fieldset" not in html and 'id="answer"' in html


def test_a_long_code_list_is_a_drop_down_and_a_short_one_radio_buttons(app):
    many = {**COLOURS, "codes": [{"code": f"c{i}", "label": TEXT} for i in range(12)]}
    for codelist, expected in ((COLOURS, "choices"), (many, "plain")):
        form = FormDef.from_dict(
            {
                **_form(_item("single_choice")).data,
                "codelists": {"colours": codelist},
            }
        )
        field = form.field("answer")
        assert field is not None
        with app.test_request_context():
            compiled = build_form_class(form, "da", TODAY)(formdata=None, meta={"csrf": False})
            assert field.kind.widget_for(compiled["answer"]) == expected


# -- falsy attributes keep their meaning ------------------------------------------------------


def _falsy(annotation: Any) -> list[Any]:
    """The falsy values an attribute of this annotation may be given in a definition."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = typing.get_args(annotation)
    else:
        members = (annotation,)
    values: list[Any] = []
    for member in members:
        if typing.get_origin(member) is dict:
            values.append({})
        elif member is bool:
            values.append(False)
        elif member in (int, float) and 0 not in values:
            values.append(0)
        elif member is str:
            values.append("")
    return values


def test_every_definition_attribute_with_a_falsy_value_keeps_its_meaning():
    hints = typing.get_type_hints(FieldDef)
    read = {f.name for f in dataclasses.fields(FieldDef)} - {"condition", "section"}
    # Every attribute of a field's definition is a key of it, and none is forgotten here.
    assert read == _FIELD_KEYS
    checked = 0
    for attribute in sorted(read - {"name", "type"}):
        for value in _falsy(hints[attribute]):
            item = {"name": "answer", "type": "integer", "label": TEXT, attribute: value}
            stored = _normalise_field(item)
            section = {"id": "main", "fields": [stored]}
            form = FormDef.from_dict(
                {"form": "f", "version": 1, "level": "family", "waves": [], "sections": [section]}
            )
            field = form.field("answer")
            assert field is not None
            assert getattr(field, attribute) == value, (attribute, value)
            if value is not False and not (isinstance(value, dict) and not value):
                # Only "absent" values may be dropped; a 0 or "" changes the hash.
                assert stored[attribute] == value, (attribute, value)
            checked += 1
    assert checked >= len(read) - 2


@pytest.mark.parametrize("type_name", [n for n, t in FIELD_TYPES.items() if t.bounded])
def test_zero_and_negative_bounds_are_enforced(app, type_name):
    kind = FIELD_TYPES[type_name]
    # A length cannot be negative, a number can.
    low = 0 if kind.privacy == FREE_TEXT else -5
    form = _form(_item(type_name, min=low, max=0 if low < 0 else 3))
    field = form.field("answer")
    assert field is not None and field.bounds(TODAY) == (low, 0 if low < 0 else 3)
    with app.test_request_context():
        for size, ok in ((low, True), (low - 1, False), (field.bounds(TODAY)[1], True)):
            if size < 0 and kind.privacy == FREE_TEXT:
                continue
            answer = kind.answer_of_size(size)
            result = validate_answers(form, {"answer": answer}, complete=False, today=TODAY)
            assert result.ok is ok, (type_name, size, result.errors)
        high = field.bounds(TODAY)[1]
        assert high is not None
        refused = validate_answers(
            form, {"answer": kind.answer_of_size(high + 1)}, complete=False, today=TODAY
        )
        assert "answer" in refused.errors


# -- every bound of every published form, on the page and through the API --------------------


def _bounded(form: FormDef) -> list[FieldDef]:
    return [
        f
        for f in form.fields
        if f.kind.input and f.kind.bounded and f.bounds(TODAY) != (None, None)
    ]


def _fill_pages(municipality: Any, family_id: int) -> list[tuple[Any, FormVersion, Any]]:
    """(wave, version, member) for every form of every wave of the family, one each."""
    pages: dict[str, tuple[Any, FormVersion, Any]] = {}
    with tenant_scope(municipality):
        family = db.session.get(Family, family_id)
        for wave in family.waves:
            versions = {v.form_id: v for v in forms_for_wave(municipality, wave)}
            pairs = [(v.form_id, v.level) for v in versions.values()]
            for expected in expected_forms(wave, pairs):
                if expected.form_id not in pages:
                    pages[expected.form_id] = (wave, versions[expected.form_id], expected.member)
    return list(pages.values())


def _outside(field: FieldDef) -> list[Any]:
    low, high = field.bounds(TODAY)
    sizes = [*([low - 1] if low is not None else []), *([high + 1] if high is not None else [])]
    return [field.kind.answer_of_size(s) for s in sizes]


def _inside(field: FieldDef) -> list[Any]:
    return [field.kind.answer_of_size(s) for s in field.bounds(TODAY) if s is not None]


def _stored(wave_id: int, form_id: str, member: Any) -> Submission | None:
    db.session.rollback()
    with unscoped("test: read a submission"):
        return db.session.scalar(
            select(Submission).where(
                Submission.wave_id == wave_id,
                Submission.form_id == form_id,
                Submission.member_id.is_(None)
                if member is None
                else Submission.member_id == member.id,
            )
        )


@pytest.fixture
def bounded_pages(municipalities, make_user, make_family, forms_published):
    """A Jammerbugt family (core forms and the local one) and its staff."""
    municipality = municipalities["jammerbugt"]
    user = make_user(municipality, "staff")
    family = make_family("jammerbugt", adults=1, children=1, team=[user])
    with tenant_scope(municipality):
        start_exit(municipality, db.session.get(Family, family.id), TODAY)  # the exit form
        db.session.commit()
    pages = _fill_pages(municipality, family.id)
    published = {form_id for form_id, _version in forms_published.forms}
    assert {version.form_id for _w, version, _m in pages} == published
    return municipality, user, pages


def _url(wave: Any, version: FormVersion, member: Any) -> str:
    if member is None:
        return f"/jammerbugt/waves/{wave.id}/forms/{version.form_id}"
    return f"/jammerbugt/waves/{wave.id}/members/{member.id}/forms/{version.form_id}"


def _as_formdata(field: FieldDef, value: Any) -> Any:
    return field.kind.to_formdata(value, "da")


def test_every_bound_of_every_published_form_holds_on_the_page(client, auth, bounded_pages):
    _municipality, user, pages = bounded_pages
    auth.login(user.email)
    probed = 0
    for wave, version, member in pages:
        form = version.form
        url = _url(wave, version, member)
        base = valid_formdata(form, TODAY)
        for field in _bounded(form):
            for value in _outside(field):
                data = {**base, field.name: _as_formdata(field, value), "lock_version": "0"}
                response = client.post(url, data=data)
                html = response.get_data(as_text=True)
                assert response.status_code == 422, (version.form_id, field.name, value)
                assert f'id="{field.name}-error"' in html, (version.form_id, field.name)
                assert f'href="#{field.name}"' in html
                assert _stored(wave.id, version.form_id, member) is None
                probed += 1
        # Just inside every bound: the lowest values as a draft, then the highest.
        for index, pick in enumerate((0, -1)):
            inside = {f.name: _inside(f)[pick] for f in _bounded(form)}
            if not inside:
                break
            data = {**base, **{n: _as_formdata(form.field(n), v) for n, v in inside.items()}}
            data["lock_version"] = str(index)
            response = client.post(url, data=data)
            assert response.status_code == 302, (version.form_id, response.status_code)
            stored = _stored(wave.id, version.form_id, member)
            assert stored is not None
            assert {n: stored.answers.get(n) for n in inside} == inside
    assert probed >= 2 * sum(len(_bounded(v.form)) for _w, v, _m in pages) > 0


@pytest.fixture
def token(bounded_pages):
    from app.api.tokens import create_token

    municipality, user, _pages = bounded_pages
    with tenant_scope(municipality, user.id):
        _, plain = create_token(user, municipality, "test")
        db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_every_bound_of_every_published_form_holds_through_the_api(client, bounded_pages, token):
    _municipality, _user, pages = bounded_pages
    probed = 0
    for wave, version, member in pages:
        form = version.form
        url = f"/api/v1/jammerbugt/families/{wave.family_id}/waves/{wave.id}/submissions"
        body = {"form_id": version.form_id, "status": "draft"}
        if member is not None:
            body["member_id"] = member.id
        for field in _bounded(form):
            for value in _outside(field):
                response = client.post(
                    url, headers=token, json={**body, "answers": {field.name: value}}
                )
                assert response.status_code == 422, (version.form_id, field.name, value)
                assert response.mimetype == "application/problem+json"
                assert [e["field"] for e in response.json["errors"]] == [f"answers.{field.name}"]
                assert _stored(wave.id, version.form_id, member) is None
                probed += 1
        lowest = {f.name: _inside(f)[0] for f in _bounded(form)}
        highest = {f.name: _inside(f)[-1] for f in _bounded(form)}
        if not lowest:
            continue
        created = client.post(url, headers=token, json={**body, "answers": lowest})
        assert created.status_code == 201, (version.form_id, created.json)
        assert {n: created.json["answers"][n] for n in lowest} == lowest
        updated = client.put(
            created.headers["Location"],
            headers={**token, "If-Match": created.headers["ETag"]},
            json={"status": "draft", "answers": highest},
        )
        assert updated.status_code == 200, (version.form_id, updated.json)
        assert {n: updated.json["answers"][n] for n in highest} == highest
    assert probed >= 2 * sum(len(_bounded(v.form)) for _w, v, _m in pages) > 0


def test_n_plans_of_minus_three_answers_422(client, bounded_pages, token):
    wave, version, _member = next(p for p in bounded_pages[2] if p[1].form_id == "family_intake")
    assert version.form.field("n_plans").min == 0
    response = client.post(
        f"/api/v1/jammerbugt/families/{wave.family_id}/waves/{wave.id}/submissions",
        headers=token,
        json={"form_id": "family_intake", "status": "draft", "answers": {"n_plans": -3}},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["answers.n_plans"]
    assert _stored(wave.id, "family_intake", None) is None


# -- snapshots published before zeros were kept ------------------------------------------------


def test_a_snapshot_that_lost_its_zero_bounds_is_restored_not_refused(
    app_ctx, make_family, municipalities
):
    """Snapshots published while ``min: 0`` was dropped are the same files: ``forms check``
    does not call them changed in place, and publishing gives them their bounds back,
    answered or not, under the same version."""
    from app.definitions.field_checks import earlier_normalisation
    from tests.support.answers import answer_wave

    family = make_family("jammerbugt", adults=1, children=1)
    municipality = municipalities["jammerbugt"]
    with tenant_scope(municipality):
        family = db.session.get(Family, family.id)
        answer_wave(municipality, family, family.waves[0])
        db.session.commit()
    catalogue = load_catalogue(PROJECT_ROOT / "forms")
    lost = {}
    with unscoped("test: age the snapshots"):
        for version in db.session.scalars(select(FormVersion)):
            form = catalogue.forms[(version.form_id, version.version)]
            if earlier_content_hash(form) != form.content_hash:
                old = earlier_normalisation(form.data)
                version.definition = old
                version.content_hash = questions_hash(old)
                lost[version.form_id] = version.id
        db.session.commit()
    assert {"family_intake", "child_intake", "adult_intake"} <= set(lost)
    with unscoped("test: read"):
        aged = db.session.get(FormVersion, lost["family_intake"])
        assert aged.form.field("n_plans").min is None

    from app.collection.services import published_state

    load_catalogue(PROJECT_ROOT / "forms", published_state())  # no F017
    report = publish_catalogue(load_catalogue(PROJECT_ROOT / "forms"))
    db.session.commit()
    assert sorted(report.restored) == sorted(f"{f} v1" for f in lost)
    assert report.created == [] and report.replaced == []
    with unscoped("test: read"):
        restored = db.session.get(FormVersion, lost["family_intake"])
        assert restored.form.field("n_plans").min == 0
        answered = db.session.scalars(
            select(Submission).where(Submission.form_version_id == restored.id)
        ).all()
    assert answered  # the answers keep their version
    again = publish_catalogue(load_catalogue(PROJECT_ROOT / "forms"))
    assert again.restored == [] and again.created == [] and again.replaced == []


def test_a_real_change_to_an_answered_version_is_still_refused(
    app_ctx, make_family, municipalities
):
    from app.collection.services import PublishError
    from tests.support.answers import answer_wave

    family = make_family("jammerbugt", adults=1, children=1)
    municipality = municipalities["jammerbugt"]
    with tenant_scope(municipality):
        family = db.session.get(Family, family.id)
        answer_wave(municipality, family, family.waves[0])
        db.session.commit()
    catalogue = load_catalogue(PROJECT_ROOT / "forms")
    form = catalogue.forms[("family_intake", 1)]
    data = form.data
    for section in data["sections"]:
        for item in section["fields"]:
            if item["name"] == "n_plans":
                item["max"] = 99
    changed = FormDef.from_dict(data)
    catalogue.forms[("family_intake", 1)] = changed
    with pytest.raises(PublishError):
        publish_catalogue(catalogue)
    db.session.rollback()


# -- no type names outside the registry -------------------------------------------------------

_NAMES = "text|textarea|integer|decimal|scale|date|boolean|single_choice|multiple_choice|computed"
#: A comparison against a field-type name: ``kind == <name>``, ``<name> != t``,
#: ``type in (<name>, <name>)``, quoted either way.
TYPE_NAME_COMPARISON = re.compile(
    rf"(type|kind)[a-z_]* *(==|!=|in) *\(?[\"']({_NAMES})[\"']"
    rf"|[\"']({_NAMES})[\"'] *(==|!=)"
    rf"|in \((\"({_NAMES})\",? ?)+\)"
)
REGISTRY = PROJECT_ROOT / "app" / "definitions" / "fields"


def _sources() -> list[Path]:
    roots = ("app", "templates", "tests", "bench")
    return [
        path
        for root in roots
        for pattern in ("*.py", "*.html")
        for path in sorted((PROJECT_ROOT / root).rglob(pattern))
        if REGISTRY not in path.parents
    ]


def test_no_code_outside_the_registry_compares_field_type_names():
    sources = _sources()
    assert len(sources) > 100  # the scan reads the project, not an empty folder
    found = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if TYPE_NAME_COMPARISON.search(line)
    ]
    assert found == []


# Spelled with placeholders, so that the scan of this very file finds nothing either.
@pytest.mark.parametrize(
    ("pattern", "names"),
    [
        ('if field.type == "%s":', ("date",)),
        ("{%% if fdef.type in ('%s', '%s') %%}", ("boolean", "scale")),
        ('elif kind in ("%s", "%s"):', ("integer", "scale")),
        ('if "%s" != item.type:', ("computed",)),
        ('x = f in ("%s", "%s")', ("text", "textarea")),
    ],
)
def test_the_scan_finds_a_comparison_added_back(pattern, names):
    assert TYPE_NAME_COMPARISON.search(pattern % names)
