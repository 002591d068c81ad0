"""Bulk import of families (docs/import.md): checked in full by the forms' own rules, all
or nothing, idempotent on the family's reference, through the family services."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.core import dates
from app.core.db import db
from app.definitions.fields import FIELD_TYPES
from app.definitions.fields.parsing import InvalidAnswer
from app.families.models import Family
from app.imports.layout import intake_forms, sheet_columns
from app.imports.services import check_content
from app.tenancy.scoping import tenant_scope
from tests.support.imports import csv_bytes, fill_template, headers, sample_rows, xlsx_bytes


@pytest.fixture
def brondby(municipalities: dict[str, Any], forms_published: Any) -> Any:
    return municipalities["brondby"]


@pytest.fixture
def counts(count_rows: Any) -> Any:
    """Families, members and submissions in the database, whoever's."""
    return lambda: (count_rows("family"), count_rows("family_member"), count_rows("submission"))


def _run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["families", *args])


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_file_imports_once_and_a_second_import_changes_nothing(
    app_ctx: Flask, brondby: Any, tmp_path: Path, counts: Any, kind: str
) -> None:
    rows = sample_rows(brondby, 3, dates.today(), adults=2, children=1)
    write = xlsx_bytes if kind == "xlsx" else csv_bytes
    path = tmp_path / f"families.{kind}"
    path.write_bytes(write(headers(brondby), rows))

    dry = _run(app_ctx, "import", str(path), "--municipality", "brondby", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "3 families, 6 adults and 3 children would be imported" in dry.output
    assert counts() == (0, 0, 0)

    first = _run(app_ctx, "import", str(path), "--municipality", "brondby")
    assert first.exit_code == 0, first.output
    db.session.expire_all()
    # Every row's intake forms are submitted: 3 family forms, 6 adults' and 3 children's.
    assert counts() == (3, 9, 12)
    with tenant_scope(brondby):
        families = db.session.scalars(select(Family).order_by(Family.id)).all()
        assert [f.external_ref for f in families] == ["F00001", "F00002", "F00003"]
        # Enrolled as on the page: the waves and the completed intake.
        intake = next(w for w in families[0].waves if w.kind == "intake")
        assert intake.completed_at is not None
    with tenant_scope(brondby):
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "families.imported")
        ).all()
    assert len(events) == 1
    assert events[0].details["families"] == 3 and events[0].details["adults"] == 6
    # As on the page, each family, person and form has its own event, each naming its row.
    with tenant_scope(brondby):
        each = Counter(
            (action, object_type)
            for action, object_type, object_id in db.session.execute(
                select(AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id)
            )
            if object_id is not None
        )
    assert each[("family.enrolled", "family")] == 3
    assert each[("member.added", "member")] == 9
    assert each[("submission.submitted", "submission")] == 12

    again = _run(app_ctx, "import", str(path), "--municipality", "brondby")
    assert again.exit_code == 0, again.output
    assert "3 families were there already and are unchanged" in again.output
    assert "nothing changes" in again.output
    db.session.expire_all()
    assert counts() == (3, 9, 12)


def test_the_filled_template_imports(
    app_ctx: Flask, brondby: Any, tmp_path: Path, counts: Any
) -> None:
    out = tmp_path / "template.xlsx"
    made = _run(app_ctx, "import-template", "--municipality", "brondby", "--out", str(out))
    assert made.exit_code == 0, made.output
    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(fill_template(out.read_bytes(), sample_rows(brondby, 2, dates.today())))
    done = _run(app_ctx, "import", str(filled), "--municipality", "brondby")
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    assert counts()[:2] == (2, 4)


def test_the_template_lists_every_variable_label_and_code(
    app_ctx: Flask, brondby: Any, tmp_path: Path, counts: Any
) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "template.xlsx"
    _run(app_ctx, "import-template", "--municipality", "brondby", "--out", str(out))
    workbook = load_workbook(out)
    with tenant_scope(brondby):
        versions = intake_forms(brondby)
    for sheet, columns in sheet_columns(versions).items():
        ws = workbook[sheet]
        assert [c.value for c in ws[1]] == [c.name for c in columns]
        assert all(c.value for c in ws[2])
    listed = {(r[0], r[1]) for r in workbook["codes"].iter_rows(min_row=2, values_only=True)}
    for version in versions:
        for field in version.form.fields:
            if field.codelist and field.kind.input:
                for code in version.form.codelists[field.codelist].choosable(dates.today()):
                    assert (field.codelist, code.code) in listed


def _refused(column: Any, value: Any) -> bool:
    """Whether the field's own type refuses *value* (the registry is the oracle)."""
    try:
        column.field.kind.parse(column.field, value, column.form, dates.today(), [])
    except InvalidAnswer:
        return True
    return False


def _plant(rows: dict[str, list[dict[str, Any]]], brondby: Any) -> list[tuple[str, int, str]]:
    """Bad cells of every kind the registries know: for every field type a value it
    refuses, every bound crossed, every code list given a code it lacks; returns where."""
    planted: list[tuple[str, int, str]] = []
    columns = sheet_columns(intake_forms(brondby))
    seen_types: set[str] = set()
    row_of = {"families": 0, "adults": 0, "children": 0}

    def put(sheet: str, name: str, value: Any) -> None:
        index = row_of[sheet]
        row_of[sheet] += 1
        rows[sheet][index][name] = value
        planted.append((sheet, index + 3, name))

    for sheet, cols in columns.items():
        for column in cols:
            field = column.field
            if field is None or not field.kind.input:
                continue
            kind = field.kind
            low, high = field.bounds(dates.today())
            if field.codelist:
                put(sheet, column.name, "no_such_code")
            elif kind.name not in seen_types and _refused(column, "not an answer"):
                put(sheet, column.name, "not an answer")
            seen_types.add(kind.name)
            if kind.bounded and low is not None and low >= 1:
                put(sheet, column.name, kind.answer_of_size(low - 1))
            if kind.bounded and high is not None:
                put(sheet, column.name, kind.answer_of_size(high + 1))
    return planted


def test_planted_problems_are_all_listed_and_nothing_is_written(
    app_ctx: Flask, brondby: Any, tmp_path: Path, counts: Any
) -> None:
    rows = sample_rows(brondby, 30, dates.today(), adults=1, children=1)
    planted = _plant(rows, brondby)
    # The records' own: an unknown family, a bad CPR number, a reference used twice.
    rows["adults"][-1]["family_ref"] = "NOBODY"
    planted.append(("adults", len(rows["adults"]) + 2, "family_ref"))
    rows["children"][-1]["cpr"] = "12345"
    planted.append(("children", len(rows["children"]) + 2, "cpr"))
    rows["families"][-2]["family_ref"] = rows["families"][0]["family_ref"]
    planted.append(("families", len(rows["families"]) + 1, "family_ref"))
    # The family of that row is then nobody's: its two people are problems too.
    planted += [("adults", len(rows["adults"]) + 1, "family_ref")]
    planted += [("children", len(rows["children"]) + 1, "family_ref")]
    assert len(planted) >= 20
    path = tmp_path / "bad.xlsx"
    path.write_bytes(xlsx_bytes(headers(brondby), rows))
    with tenant_scope(brondby), force_locale("da"):
        checked = check_content(brondby, path.read_bytes(), "xlsx", dates.today())
    found = [(p.sheet, p.row, p.column) for p in checked.problems]
    assert sorted(found) == sorted(planted)
    assert all(p.message for p in checked.problems)
    result = _run(app_ctx, "import", str(path), "--municipality", "brondby")
    assert result.exit_code == 1
    assert f"{len(planted)} problems; nothing was imported." in result.output
    db.session.rollback()
    assert counts() == (0, 0, 0)


def test_every_field_type_of_the_intake_forms_is_planted(app_ctx: Flask, brondby: Any) -> None:
    """The planted file covers every input type the intake forms use (the loop above
    grows with the registry)."""
    with tenant_scope(brondby):
        versions = intake_forms(brondby)
    used = {f.kind.name for v in versions for f in v.form.fields if f.kind.input}
    assert used <= set(FIELD_TYPES)
    assert len(used) >= 5


def test_a_csv_files_own_problems_are_named_by_row_and_column(
    app_ctx: Flask, brondby: Any, counts: Any
) -> None:
    rows = sample_rows(brondby, 3, dates.today())
    # A family's cell in an adult's row, a family whose date is no date (its people are
    # checked as people, not refused as strangers), and a row of no sheet.
    rows["adults"][0]["household_type"] = "two_parents"
    rows["families"][1]["enrolment_date"] = "31-02-2026"
    rows["nonsense"] = [{"family_ref": "F00001"}]
    content = csv_bytes(headers(brondby), rows)
    with tenant_scope(brondby), force_locale("da"):
        checked = check_content(brondby, content, "csv", dates.today())
    # Lines: 1 names, 2 labels, then the families (3-5), the adults (6-8), the children
    # (9-11) and the stray row (12).
    assert sorted((p.sheet, p.row, p.column) for p in checked.problems) == [
        ("", 12, "sheet"),
        ("adults", 6, "household_type"),
        ("families", 4, "enrolment_date"),
    ]
    with force_locale("en"), tenant_scope(brondby):
        english = check_content(brondby, content, "csv", dates.today())
    assert {p.message for p in english.problems} >= {"Write a date as dd-mm-yyyy."}
    assert counts() == (0, 0, 0)
