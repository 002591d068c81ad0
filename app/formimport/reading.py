"""Reading an uploaded workbook or CSV file into rows of text, by sheet and row number.

Row numbers are the spreadsheet's (the column names are row 1), so a problem names the
row a person sees. Cells are read as text; a number typed into a cell is its text.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from app.core import csvfile

#: (row number, {column name: text}) for every row with something in it.
Rows = list[tuple[int, dict[str, str]]]


class UnreadableFile(ValueError):
    """Not a workbook or CSV file this can read; the message says so in the reader's words."""


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    return str(value).strip()


def _rows(values: list[list[object]]) -> tuple[list[str], Rows]:
    if not values:
        return [], []
    header = [_text(v) for v in values[0]]
    rows: Rows = []
    for number, line in enumerate(values[1:], 2):
        row = {name: _text(v) for name, v in zip(header, line, strict=False) if name}
        if any(row.values()):
            rows.append((number, row))
    return header, rows


def read_workbook(content: bytes) -> dict[str, tuple[list[str], Rows]]:
    """Every sheet of a workbook by its lower-cased name: its column names and its rows."""
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(_l("The file is not an Excel workbook (.xlsx).")) from exc
    try:
        return {
            name.strip().lower(): _rows(
                [list(r) for r in workbook[name].iter_rows(values_only=True)]
            )
            for name in workbook.sheetnames
        }
    finally:
        workbook.close()


def read_csv(content: bytes) -> tuple[list[str], Rows]:
    """A CSV file's column names and rows (a comma or a semicolon between cells)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(_l("The CSV file is not UTF-8 text.")) from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return _rows([list(r) for r in csvfile.read_rows(text, delimiter)])
