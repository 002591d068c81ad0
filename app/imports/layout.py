"""The import file's layout, shared by XLSX and CSV, and the template that shows it.

A workbook has three sheets, ``families``, ``adults`` and ``children``. In each, row 1
names the columns (the core variables by their names, a local form's as
``<form id>.<name>``), row 2 holds their Danish labels and is not read, and the data
begins in row 3. Adults and children name their family by its ``family_ref``. A CSV file is
the same three sheets in one table: its first column, ``sheet``, says which sheet a row
belongs to, and its header is every sheet's columns once. docs/import.md says it for people.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from app.collection.models import FormVersion
from app.collection.services import latest_versions
from app.core import csvfile
from app.definitions.bilingual import pick
from app.definitions.loader import CORE_FORMS
from app.definitions.model import FieldDef, FormDef
from app.tenancy.models import Municipality

#: The sheets in their order, each with the level of the intake forms its rows answer.
SHEETS = {"families": "family", "adults": "adult", "children": "child"}
SHEET_LABELS = {
    "families": _l("Families"),
    "adults": _l("Adults"),
    "children": _l("Children"),
}
#: The CSV file's first column: which sheet the row belongs to.
SHEET_COLUMN = "sheet"
#: The column naming a row's family, in every sheet; unique in ``families``.
REF = "family_ref"
#: A row's data-quality warnings that are confirmed, by check id, separated by ";".
CONFIRMED = "confirmed_checks"
#: A cell with several codes separates them so.
SEPARATOR = ";"
#: Rows before the data: the names, then the Danish labels.
HEADER_ROWS = 2
#: The longest external reference (app.families.models.Family.external_ref).
REF_LENGTH = 100


@dataclass(frozen=True)
class Column:
    """A column of a sheet: a property of the record, or a field of an intake form."""

    name: str
    label: Any
    required: bool = False
    form: FormDef | None = None
    field: FieldDef | None = None


#: The columns every sheet begins with, before the forms' fields.
RECORD_COLUMNS = {
    "families": (
        Column(REF, _l("The family's reference in the system it comes from"), True),
        Column("label", _l("Name staff recognise the family by"), True),
        Column("enrolment_date", _l("Enrolment date"), True),
    ),
    "adults": (
        Column(REF, _l("The family's reference"), True),
        Column("name", _l("Name"), True),
        Column("cpr", _l("CPR number (optional)")),
    ),
    "children": (
        Column(REF, _l("The family's reference"), True),
        Column("name", _l("Name"), True),
        Column("cpr", _l("CPR number (optional)")),
    ),
}


def intake_forms(municipality: Municipality) -> list[FormVersion]:
    """The published intake forms the municipality asks: the core ones, then its enabled
    local ones (as app.collection.services.forms_for_wave chooses them for a wave)."""
    local = list(municipality.settings.get("local_forms", []))
    versions = latest_versions([*CORE_FORMS, *local])
    chosen = [versions[f] for f in [*CORE_FORMS, *local] if f in versions]
    return [v for v in chosen if "intake" in v.form.waves]


def column_name(form: FormDef, field_: FieldDef) -> str:
    """A core form's fields by their names; a local form's carry its id (no clash)."""
    return f"{form.form_id}.{field_.name}" if form.is_local else field_.name


def sheet_columns(versions: list[FormVersion]) -> dict[str, list[Column]]:
    """Every sheet's columns, in order: the record's, the forms' input fields, the
    confirmations."""
    columns: dict[str, list[Column]] = {}
    for sheet, level in SHEETS.items():
        found = list(RECORD_COLUMNS[sheet])
        for version in versions:
            form = version.form
            if form.level != level:
                continue
            found += [
                Column(column_name(form, f), f.label, f.required, form, f)
                for f in form.fields
                if f.kind.input
            ]
        found.append(Column(CONFIRMED, _l("Confirmed warnings (check ids)")))
        columns[sheet] = found
    return columns


class UnreadableFile(ValueError):
    """The file is no workbook or CSV file of this layout; the message says why."""


@dataclass
class Sheet:
    """A sheet as read: its header, and each data row with its row number in the file."""

    name: str
    header: list[str] = field(default_factory=list)
    #: The header is every sheet's (a CSV file): a column of another sheet is no stranger.
    combined: bool = False
    #: (row number, column name → cell) of every row with a value in it.
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def cell_value(value: Any) -> Any:
    """A cell as the field types read answers: text, a whole or decimal number, a date in
    ISO form; None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool | int | float):
        return value
    text = str(value).strip()
    return text or None


def _row_dict(header: list[str], values: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    row = {}
    for name, value in zip(header, values, strict=False):
        cell = cell_value(value)
        if name and cell is not None:
            row[name] = cell
    return row


def read_file(content: bytes, file_format: str) -> list[Sheet]:
    """The sheets of an uploaded file; raises :class:`UnreadableFile`."""
    if file_format == "xlsx":
        return _read_xlsx(content)
    return _read_csv(content)


def _read_xlsx(content: bytes) -> list[Sheet]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(_l("The file is not an Excel workbook (.xlsx).")) from exc
    sheets = []
    try:
        for name in SHEETS:
            if name not in workbook.sheetnames:
                continue
            sheet = Sheet(name)
            for number, values in enumerate(workbook[name].iter_rows(values_only=True), 1):
                if number == 1:
                    sheet.header = [str(v).strip() if v is not None else "" for v in values]
                elif number > HEADER_ROWS and (row := _row_dict(sheet.header, values)):
                    sheet.rows.append((number, row))
            sheets.append(sheet)
    finally:
        workbook.close()
    if not sheets:
        raise UnreadableFile(_l("The workbook has none of the sheets families, adults, children."))
    return sheets


def _read_csv(content: bytes) -> list[Sheet]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(_l("The CSV file is not UTF-8 text.")) from exc
    dialect = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    reader = csvfile.read_rows(text, dialect)
    header: list[str] = []
    sheets = {name: Sheet(name) for name in SHEETS}
    unknown = Sheet("")
    for number, values in enumerate(reader, 1):
        if number == 1:
            header = [v.strip() for v in values]
            if not header or header[0] != SHEET_COLUMN:
                raise UnreadableFile(
                    _l("The CSV file's first column must be %(name)s.", name=SHEET_COLUMN)
                )
            continue
        if number <= HEADER_ROWS:
            continue
        row = _row_dict(header, values)
        kind = str(row.pop(SHEET_COLUMN, ""))
        if row:
            sheets.get(kind, unknown).rows.append((number, {SHEET_COLUMN: kind, **row}))
    for sheet in sheets.values():
        sheet.header = [h for h in header if h != SHEET_COLUMN]
        sheet.combined = True
    result = list(sheets.values())
    if unknown.rows:
        unknown.header = header
        result.append(unknown)
    return result


# -- the template ------------------------------------------------------------------------------


def codelist_rows(versions: list[FormVersion], today: date) -> Iterator[tuple[str, str, str]]:
    """(code list, code, Danish label) of every code the template's fields may take."""
    seen: set[str] = set()
    for version in versions:
        form = version.form
        for field_ in form.fields:
            name = field_.codelist
            if not field_.kind.input or not name or name in seen:
                continue
            seen.add(name)
            for code in form.codelists[name].choosable(today):
                yield name, code.code, pick(code.label, "da")


def write_template(versions: list[FormVersion], today: date) -> bytes:
    """The workbook a municipality fills in: per sheet the names, the Danish labels with
    what each column takes, and a sheet ``codes`` listing every code list."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    # The label row is Danish whatever the language of whoever asks: it is the file's.
    with force_locale("da"):
        for sheet, columns in sheet_columns(versions).items():
            ws = workbook.create_sheet(sheet)
            ws.append([c.name for c in columns])
            ws.append([_template_label(c, today) for c in columns])
            ws.freeze_panes = "A3"
    codes = workbook.create_sheet("codes")
    codes.append(["codelist", "code", "label"])
    for row in codelist_rows(versions, today):
        codes.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _template_label(column: Column, today: date) -> str:
    label = pick(column.label, "da") if isinstance(column.label, dict) else str(column.label)
    notes = []
    field_ = column.field
    if field_ is not None:
        low, high = field_.bounds(today)
        if field_.codelist:
            notes.append(_("codes: %(list)s", list=field_.codelist))
        if field_.kind.multiple:
            notes.append(_("several separated by %(separator)s", separator=SEPARATOR))
        if low is not None or high is not None:
            low_text = "" if low is None else f"{low:g}"
            high_text = "" if high is None else f"{high:g}"
            notes.append(f"{low_text}–{high_text}")
        if field_.show_if:
            notes.append(_("only when %(condition)s", condition=field_.show_if))
    if column.required:
        notes.append(_("required"))
    return f"{label} ({', '.join(notes)})" if notes else label
