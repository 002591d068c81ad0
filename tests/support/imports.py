"""Import files made from the municipality's own intake forms: every column filled with an
answer its field type calls plausible (``FieldType.sample``), for the import tests."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from openpyxl import Workbook, load_workbook

from app.imports.layout import (
    CONFIRMED,
    REF,
    SEPARATOR,
    SHEET_COLUMN,
    SHEETS,
    Column,
    intake_forms,
    sheet_columns,
)
from app.tenancy.models import Municipality

ENROLMENT = date(2026, 1, 15)


def cell_of(value: Any) -> Any:
    """A stored answer as a person would type it into a cell."""
    if isinstance(value, list):
        return SEPARATOR.join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def sample_cell(column: Column, today: date) -> Any:
    if column.form is None or column.field is None:
        return None
    if column.field.kind.stored_in == "day":
        # The intake day itself: no "after intake" or "in the future" warning fires.
        return ENROLMENT.isoformat()
    return cell_of(column.field.kind.sample(column.field, column.form, today))


def sample_rows(
    municipality: Municipality, families: int, today: date, *, adults: int = 1, children: int = 1
) -> dict[str, list[dict[str, Any]]]:
    """Rows of every sheet for *families* families, each cell a valid answer."""
    columns = sheet_columns(intake_forms(municipality))
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in SHEETS}
    answers = {
        name: {c.name: sample_cell(c, today) for c in cols if c.form is not None}
        for name, cols in columns.items()
    }
    for i in range(families):
        ref = f"F{i + 1:05d}"
        rows["families"].append(
            {
                REF: ref,
                "label": f"Familien {i + 1}",
                "enrolment_date": ENROLMENT.isoformat(),
                **answers["families"],
            }
        )
        for sheet, count, word in (("adults", adults, "Voksen"), ("children", children, "Barn")):
            for k in range(count):
                rows[sheet].append({REF: ref, "name": f"{word} {k + 1}", **answers[sheet]})
    return rows


def headers(municipality: Municipality) -> dict[str, list[str]]:
    return {
        name: [c.name for c in cols]
        for name, cols in sheet_columns(intake_forms(municipality)).items()
    }


def xlsx_bytes(header: dict[str, list[str]], rows: dict[str, list[dict[str, Any]]]) -> bytes:
    workbook = Workbook(write_only=True)
    for sheet, names in header.items():
        ws = workbook.create_sheet(sheet)
        ws.append(names)
        ws.append(["label" for _ in names])
        for row in rows.get(sheet, []):
            ws.append([row.get(n) for n in names])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(header: dict[str, list[str]], rows: dict[str, list[dict[str, Any]]]) -> bytes:
    names = [SHEET_COLUMN]
    for sheet_names in header.values():
        names += [n for n in sheet_names if n not in names]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(names)
    writer.writerow(["label" for _ in names])
    for sheet, sheet_rows in rows.items():
        for row in sheet_rows:
            writer.writerow([sheet if n == SHEET_COLUMN else row.get(n, "") for n in names])
    return out.getvalue().encode("utf-8")


def fill_template(template: bytes, rows: dict[str, list[dict[str, Any]]]) -> bytes:
    """The template with *rows* typed in below its two header rows."""
    workbook = load_workbook(io.BytesIO(template))
    for sheet in SHEETS:
        ws = workbook[sheet]
        names = [c.value for c in ws[1]]
        for row in rows.get(sheet, []):
            ws.append([row.get(n) for n in names])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


__all__ = [
    "CONFIRMED",
    "ENROLMENT",
    "csv_bytes",
    "fill_template",
    "headers",
    "sample_rows",
    "xlsx_bytes",
]
