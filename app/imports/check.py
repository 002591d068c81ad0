"""Checking an import file in full: every problem, by sheet, row and column, at once.

Answers are checked by the forms' own rules, :func:`app.definitions.validation.
validate_answers` with the same check context as a save (app.collection.services), so a
value the form page would refuse is refused here with the same message. The family's and
the members' own columns are checked as the family services check them
(``normalise_cpr``). Families whose reference the municipality has already are left as
they are, with their rows: importing a file again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.collection.models import FormVersion
from app.core.dates import parse_date
from app.core.db import db
from app.definitions.checks import CheckContext, cpr_birth_date
from app.definitions.validation import validate_answers
from app.families.models import Family
from app.families.services import FamilyError, normalise_cpr
from app.imports.layout import (
    CONFIRMED,
    REF,
    REF_LENGTH,
    SEPARATOR,
    SHEET_COLUMN,
    SHEETS,
    Column,
    Sheet,
    column_name,
    sheet_columns,
)

#: The longest name of a family or a person (app.families.models).
NAME_LENGTH = 200


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class PersonPlan:
    role: str
    name: str
    cpr: str | None
    #: form id → the raw answers of the row's cells (checked).
    answers: dict[str, dict[str, Any]]
    confirmed: list[str]


@dataclass
class FamilyPlan:
    row: int
    ref: str
    label: str
    enrolment_date: date
    answers: dict[str, dict[str, Any]]
    confirmed: list[str]
    members: list[PersonPlan] = field(default_factory=list)


@dataclass
class Checked:
    """A checked file: what it would create, what is there already, every problem."""

    families: list[FamilyPlan] = field(default_factory=list)
    #: References of families the municipality has already (their rows are left alone).
    present: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        members = [m for f in self.families for m in f.members]
        return {
            "rows": self.rows,
            "families": len(self.families),
            "adults": sum(m.role == "adult" for m in members),
            "children": sum(m.role == "child" for m in members),
            "submissions": sum(len(f.answers) for f in self.families)
            + sum(len(m.answers) for m in members),
            "already_present": len(self.present),
        }


class _Sheet:
    """One sheet being checked; collects its problems into the file's."""

    def __init__(self, name: str, columns: list[Column], problems: list[Problem]):
        self.name = name
        self.columns = {c.name: c for c in columns}
        self.problems = problems

    def report(self, row: int, column: str, message: Any) -> None:
        self.problems.append(Problem(self.name, row, column, str(message)))

    def text(self, number: int, row: dict[str, Any], name: str, limit: int) -> str | None:
        value = row.get(name)
        if value is None:
            self.report(number, name, _l("Fill in this column."))
            return None
        text = str(value).strip()
        if len(text) > limit:
            self.report(number, name, _l("At most %(n)d characters.", n=limit))
            return None
        return text


def check_file(sheets: list[Sheet], versions: list[FormVersion], today: date) -> Checked:
    """Check *sheets* against the intake forms *versions*; nothing is written."""
    result = Checked()
    columns = sheet_columns(versions)
    read = {s.name: s for s in sheets}
    for sheet in sheets:
        if sheet.name not in SHEETS:
            for number, _row in sheet.rows:
                # Not the cell's text as the sheet's name: only where and what.
                result.problems.append(
                    Problem(
                        "",
                        number,
                        SHEET_COLUMN,
                        str(_l("Write families, adults or children.")),
                    )
                )
            continue
        checker = _Sheet(sheet.name, columns[sheet.name], result.problems)
        every = {c.name for cols in columns.values() for c in cols}
        _check_header(checker, sheet, every if sheet.combined else set(checker.columns))
        result.rows += len(sheet.rows)
    families = _families(read.get("families"), columns["families"], today, result)
    for name, role in (("adults", "adult"), ("children", "child")):
        if name in read:
            _members(read[name], columns[name], role, families, today, result)
    result.families = [f for f in families.values() if f is not None]
    return result


def _check_header(checker: _Sheet, sheet: Sheet, known: set[str]) -> None:
    """Row 1 of a sheet: its columns once each, none unknown (*known*), none missing."""
    seen: set[str] = set()
    for name in sheet.header:
        if not name:
            continue
        if name in seen:
            checker.report(1, name, _l("This column is there twice."))
        seen.add(name)
    if sheet.combined and sheet.name != "families":
        # A CSV file has one header: its strangers are reported once, with the families.
        known = seen
    for name in sorted(seen - known):
        checker.report(1, name, _l("There is no such column in this sheet."))
    for column in checker.columns.values():
        if column.form is None and column.required and column.name not in seen:
            checker.report(1, column.name, _l("This column is missing."))


def _existing_refs(refs: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(refs), 1000):
        chunk = refs[start : start + 1000]
        found.update(
            db.session.scalars(select(Family.external_ref).where(Family.external_ref.in_(chunk)))
        )
    return found


def _families(
    sheet: Sheet | None, columns: list[Column], today: date, result: Checked
) -> dict[str, FamilyPlan | None]:
    """The families' rows by reference; None for a family the municipality has."""
    if sheet is None:
        return {}
    checker = _Sheet(sheet.name, columns, result.problems)
    refs = [str(row[REF]).strip() for _n, row in sheet.rows if row.get(REF) is not None]
    present = _existing_refs(refs)
    families: dict[str, FamilyPlan | None] = {}
    for number, row in sheet.rows:
        _outside_sheet(checker, number, row)
        ref = checker.text(number, row, REF, REF_LENGTH)
        if ref is not None and ref in families:
            checker.report(number, REF, _l("This reference is on an earlier row of the sheet."))
            continue
        if ref is not None and ref in present:
            families[ref] = None
            result.present.append(ref)
            continue
        label = checker.text(number, row, "label", NAME_LENGTH)
        enrolment = None
        if row.get("enrolment_date") is None:
            checker.report(number, "enrolment_date", _l("Fill in this column."))
        elif (enrolment := parse_date(row["enrolment_date"])) is None:
            checker.report(number, "enrolment_date", _l("Write a date as dd-mm-yyyy."))
        confirmed = _confirmed(row)
        answers = _answers(checker, number, row, enrolment or today, None, today, confirmed)
        if ref is None or label is None or enrolment is None:
            if ref is not None:
                families[ref] = None  # its people are checked, not refused as strangers
            continue
        families[ref] = FamilyPlan(number, ref, label, enrolment, answers, confirmed)
    return families


def _members(
    sheet: Sheet,
    columns: list[Column],
    role: str,
    families: dict[str, FamilyPlan | None],
    today: date,
    result: Checked,
) -> None:
    checker = _Sheet(sheet.name, columns, result.problems)
    for number, row in sheet.rows:
        _outside_sheet(checker, number, row)
        ref = checker.text(number, row, REF, REF_LENGTH)
        if ref is not None and ref not in families:
            checker.report(number, REF, _l("No family on the sheet families has this reference."))
            continue
        family = families.get(ref) if ref is not None else None
        if ref is not None and family is None and ref in result.present:
            continue  # imported before, with its members
        name = checker.text(number, row, "name", NAME_LENGTH)
        cpr = None
        try:
            cpr = normalise_cpr(str(row["cpr"])) if row.get("cpr") is not None else None
        except FamilyError as exc:
            checker.report(number, "cpr", exc)
        confirmed = _confirmed(row)
        intake = family.enrolment_date if family else today
        answers = _answers(checker, number, row, intake, cpr, today, confirmed)
        if family is not None and name is not None:
            family.members.append(PersonPlan(role, name, cpr, answers, confirmed))


def _outside_sheet(checker: _Sheet, number: int, row: dict[str, Any]) -> None:
    """A CSV row's cells in columns of another sheet: refused, not silently dropped."""
    for name in row:
        if name != SHEET_COLUMN and name not in checker.columns:
            checker.report(number, name, _l("This column does not belong to this sheet."))


def _confirmed(row: dict[str, Any]) -> list[str]:
    raw = row.get(CONFIRMED)
    return [c.strip() for c in str(raw).split(SEPARATOR) if c.strip()] if raw else []


def _answers(
    checker: _Sheet,
    number: int,
    row: dict[str, Any],
    intake: date,
    cpr: str | None,
    today: date,
    confirmed: list[str],
) -> dict[str, dict[str, Any]]:
    """Each form's raw answers from the row, checked as a submitted form is; a form with
    no answer in the row is left unanswered."""
    by_form: dict[str, tuple[Any, dict[str, Any], dict[str, str]]] = {}
    for column in checker.columns.values():
        if column.form is None or column.field is None or column.name not in row:
            continue
        value = row[column.name]
        if column.field.kind.multiple and isinstance(value, str):
            value = [v.strip() for v in value.split(SEPARATOR) if v.strip()]
        entry = by_form.setdefault(column.form.form_id, (column.form, {}, {}))
        entry[1][column.field.name] = value
        entry[2][column.field.name] = column.name
    context = CheckContext(
        today=today, intake_date=intake, wave_date=intake, birth_date=cpr_birth_date(cpr)
    )
    language = str(get_locale() or "da")
    answers: dict[str, dict[str, Any]] = {}
    for form_id, (form, raw, names) in by_form.items():
        checked = validate_answers(
            form, raw, complete=True, today=today, context=context, confirmed=set(confirmed)
        )
        for field_name, message in checked.errors.items():
            found = form.field(field_name)
            where = names.get(field_name) or (column_name(form, found) if found else field_name)
            checker.report(number, where, message)
        for fired in checked.fired:
            if not fired.blocking:
                continue
            first = next((f for f in fired.check.fields if f in names), None)
            column = names[first] if first else (fired.check.fields or ("",))[0]
            message = fired.message(language)
            if fired.check.severity == "warning":
                message = str(
                    _l(
                        "%(message)s To confirm it, write %(check)s in the column %(column)s.",
                        message=message,
                        check=fired.check.id,
                        column=CONFIRMED,
                    )
                )
            checker.report(number, column, message)
        answers[form_id] = raw
    return answers
