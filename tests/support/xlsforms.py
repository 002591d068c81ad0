"""XLSForm workbooks built from Python data at run time (no binary fixtures in git): one
valid form asking every supported type, and one broken variant per problem code.

``VALID`` is the valid form's sheets; each entry of ``BROKEN`` changes it so that the
converter or the checker must refuse it with that code at that sheet, row and column.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook

Sheets = dict[str, list[list[Any]]]

SURVEY_HEADER = [
    "type",
    "name",
    "label::Danish (da)",
    "label::English (en)",
    "hint::da",
    "hint::en",
    "required",
    "relevant",
    "constraint",
]

#: Every XLSForm type the converter supports, by one question of the valid form.
VALID: Sheets = {
    "survey": [
        SURVEY_HEADER,
        ["begin group", "home", "Hjemmet", "The home", "", "", "", "", ""],
        [
            "integer",
            "trivsel_rooms",
            "Antal værelser",
            "Number of rooms",
            "Tæl alle",
            "Count all",
            "yes",
            "",
            ". >= 0 and . <= 20",
        ],
        [
            "decimal",
            "trivsel_rent",
            "Husleje (tusinde kr.)",
            "Rent (thousand DKK)",
            "",
            "",
            "",
            "${trivsel_rooms} > 0",
            ". >= 0",
        ],
        ["select_one yesno", "trivsel_garden", "Have", "Garden", "", "", "", "", ""],
        ["end group", "", "", "", "", "", "", "", ""],
        [
            "text",
            "trivsel_garden_note",
            "Om haven",
            "About the garden",
            "",
            "",
            "",
            "${trivsel_garden} = 'yes'",
            "",
        ],
        ["select_multiple pets", "trivsel_pets", "Kæledyr", "Pets", "", "", "", "", ""],
        [
            "date",
            "trivsel_moved",
            "Flyttedato",
            "Date moved in",
            "",
            "",
            "",
            "selected(${trivsel_pets}, 'dog') or ${trivsel_rooms} >= 3",
            "",
        ],
        ["start", "started", "", "", "", "", "", "", ""],
    ],
    "choices": [
        ["list_name", "name", "label::Danish (da)", "label::English (en)"],
        ["yesno", "yes", "Ja", "Yes"],
        ["yesno", "no", "Nej", "No"],
        ["pets", "dog", "Hund", "Dog"],
        ["pets", "cat", "Kat", "Cat"],
    ],
    "settings": [["form_title::da", "form_title::en"], ["Trivsel i hjemmet", "Wellbeing at home"]],
}

#: The XLSForm types the valid form asks (a test loops over them).
SUPPORTED_TYPES = ("integer", "decimal", "text", "date", "select_one", "select_multiple")


def _cell(sheets: Sheets, sheet: str, row: int, column: str, value: Any) -> Sheets:
    changed = copy.deepcopy(sheets)
    header = changed[sheet][0]
    changed[sheet][row - 1][header.index(column)] = value
    return changed


def with_column(sheet: str, column: str, row: int, value: str) -> Callable[[Sheets], Sheets]:
    """A column the valid form lacks, with *value* in one row."""

    def change(sheets: Sheets) -> Sheets:
        changed = copy.deepcopy(sheets)
        changed[sheet] = [[*r, column if n == 0 else ""] for n, r in enumerate(changed[sheet])]
        changed[sheet][row - 1][-1] = value
        return changed

    return change


def _without_sheet(name: str) -> Callable[[Sheets], Sheets]:
    return lambda s: {k: v for k, v in s.items() if k != name}


def _without_column(sheet: str, column: str) -> Callable[[Sheets], Sheets]:
    def change(sheets: Sheets) -> Sheets:
        changed = copy.deepcopy(sheets)
        index = changed[sheet][0].index(column)
        changed[sheet] = [r[:index] + r[index + 1 :] for r in changed[sheet]]
        return changed

    return change


#: code -> (change to the valid form, sheet, row, column the problem must name).
BROKEN: dict[str, tuple[Callable[[Sheets], Sheets], str, int, str]] = {
    "I002": (_without_sheet("survey"), "survey", 1, ""),
    "I003": (_without_column("survey", "label::English (en)"), "survey", 1, "label::en"),
    "I004": (lambda s: _cell(s, "survey", 4, "name", ""), "survey", 4, "name"),
    "I005": (lambda s: _cell(s, "survey", 7, "type", "geopoint"), "survey", 7, "type"),
    "I006": (
        lambda s: _cell(s, "survey", 8, "type", "select_multiple animals"),
        "survey",
        8,
        "type",
    ),
    "I007": (
        lambda s: _cell(s, "choices", 3, "label::Danish (da)", ""),
        "choices",
        3,
        "label::Danish (da)",
    ),
    "I008": (
        lambda s: _cell(s, "survey", 7, "relevant", "count(${trivsel_pets}) > 1"),
        "survey",
        7,
        "relevant",
    ),
    "I009": (
        lambda s: _cell(s, "survey", 3, "constraint", "regex(., '^[0-9]+$')"),
        "survey",
        3,
        "constraint",
    ),
    "I010": (lambda s: _cell(s, "survey", 3, "required", "maybe"), "survey", 3, "required"),
    "I011": (
        lambda s: _cell(s, "survey", 7, "label::English (en)", ""),
        "survey",
        7,
        "label::English (en)",
    ),
    "I012": (lambda s: _cell(s, "survey", 2, "type", "end group"), "survey", 2, "type"),
    "I014": (lambda s: {**s, "survey": [*s["survey"][:1], s["survey"][-1]]}, "survey", 2, "type"),
    "I015": (with_column("survey", "default", 3, "4"), "survey", 3, "default"),
    # The checker's problems, translated back to the row they came from.
    "F011": (lambda s: _cell(s, "survey", 7, "name", "trivsel_rooms"), "survey", 7, "name"),
    "F015": (
        lambda s: _cell(s, "survey", 7, "relevant", "${trivsel_nothing} = 'yes'"),
        "survey",
        7,
        "relevant",
    ),
    "F016": (lambda s: _cell(s, "survey", 7, "name", "household_type"), "survey", 7, "name"),
    "F018": (
        lambda s: _cell(s, "survey", 3, "constraint", ". >= 10 and . <= 5"),
        "survey",
        3,
        "constraint",
    ),
    "F023": (lambda s: _cell(s, "survey", 7, "name", "GardenNote"), "survey", 7, "name"),
    "F027": (
        lambda s: _cell(s, "survey", 7, "relevant", "${trivsel_garden_note} = 'x'"),
        "survey",
        7,
        "relevant",
    ),
    "C003": (lambda s: _cell(s, "choices", 5, "name", "dog"), "choices", 5, "name"),
}


def xlsx(sheets: Sheets) -> bytes:
    """The workbook of *sheets*, as an upload would carry it."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def broken(code: str) -> bytes:
    return xlsx(BROKEN[code][0](VALID))
