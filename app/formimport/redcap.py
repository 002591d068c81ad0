"""A REDCap data dictionary (its CSV export) as a local form.

| REDCap field type | Helhed |
|---|---|
| text | text; with validation integer, number, date_ymd/date_dmy/date_mdy: integer, decimal, date |
| notes | textarea |
| radio, dropdown | single_choice with the field's choices as a code list |
| checkbox | multiple_choice |
| yesno, truefalse | boolean |

*Text Validation Min/Max* become min/max, *Required Field?* ``y`` required, *Identifier?*
``y`` identifying, *Field Note* help, *Branching Logic* show_if, and a *Section Header*
(or another *Form Name*) starts a section. A *Field Annotation* action tag that changes
what a field asks (@DEFAULT, @SETVALUE, @READONLY, @CALCTEXT, @CALCDATE, @HIDDEN) is
refused rather than dropped. REDCap has one label language: an optional
column ``Field Label (en)`` gives the English; without it the English repeats the Danish,
and the preview says so.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l

from app.definitions.fields import FIELD_TYPES
from app.definitions.fields.choices import Boolean, MultipleChoice, SingleChoice
from app.definitions.fields.dates import Date
from app.definitions.fields.numbers import Decimal, Integer
from app.definitions.fields.text import Text, Textarea
from app.formimport.build import (
    NO_QUESTIONS,
    Converted,
    Place,
    codelist_name,
    kind_of,
    section_id,
    text_pair,
    uncarried,
)
from app.formimport.expressions import Unconvertible, redcap_branching
from app.formimport.reading import Rows

#: The sheet a CSV file's problems are in.
SHEET = "CSV"
FIELD_TYPES_BY_REDCAP = {
    "text": Text.name,
    "notes": Textarea.name,
    "radio": SingleChoice.name,
    "dropdown": SingleChoice.name,
    "checkbox": MultipleChoice.name,
    "yesno": Boolean.name,
    "truefalse": Boolean.name,
}
#: A text field's validation, and the type it makes the field.
VALIDATIONS = {
    "integer": Integer.name,
    "number": Decimal.name,
    "date_ymd": Date.name,
    "date_dmy": Date.name,
    "date_mdy": Date.name,
}
BOUNDED = frozenset({Integer.name, Decimal.name})
#: Each column's names in the exports REDCap has made over the years.
COLUMNS = {
    "name": ("Variable / Field Name", "Field Name"),
    "form": ("Form Name",),
    "section": ("Section Header",),
    "type": ("Field Type",),
    "label": ("Field Label",),
    "label_en": ("Field Label (en)",),
    "choices": ("Choices, Calculations, OR Slider Labels", "Choices OR Calculations"),
    "note": ("Field Note",),
    "validation": ("Text Validation Type OR Show Slider Number", "Text Validation Type"),
    "min": ("Text Validation Min",),
    "max": ("Text Validation Max",),
    "identifier": ("Identifier?",),
    "branching": ("Branching Logic (Show field only if...)", "Branching Logic"),
    "required": ("Required Field?",),
    "annotation": ("Field Annotation",),
}
REQUIRED_COLUMNS = ("name", "type", "label")
#: Action tags of *Field Annotation* that change what a field asks or records: refused, as
#: they would be lost without a word. (Other annotations are notes for people and pass.)
UNCARRIED_TAGS = re.compile(
    r"@(DEFAULT|SETVALUE|READONLY|CALCTEXT|CALCDATE|HIDDEN)(?![A-Z_])", re.IGNORECASE
)
_CHOICE = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*,\s*(.+?)\s*$")


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def convert_redcap(
    header: list[str], rows: Rows, slug: str, name: str, level: str, waves: list[str]
) -> Converted:
    """The local form ``<slug>.<name>`` a data dictionary defines, with every problem."""
    out = Converted("redcap")
    column = {key: next((c for c in names if c in header), "") for key, names in COLUMNS.items()}
    for key in REQUIRED_COLUMNS:
        if not column[key]:
            wanted = COLUMNS[key][0]
            out.add("I003", SHEET, 1, wanted, _l("The file has no column %(c)s.", c=wanted))
    if out.problems:
        return out
    out.same_labels = not column["label_en"]
    sections: list[dict[str, Any]] = []
    taken: set[str] = set()
    last_form = None
    branching: dict[str, tuple[str, int]] = {}
    codelists: dict[str, dict[str, Any]] = {}
    for number, row in rows:
        cell = {key: row.get(col, "").strip() if col else "" for key, col in column.items()}
        if not sections or cell["section"] or cell["form"] != last_form:
            header_text = cell["section"] or cell["form"] or name
            sections.append(
                {"id": section_id(header_text, taken), "title": text_pair(header_text, header_text)}
            )
            sections[-1]["fields"] = []
            last_form = cell["form"]
        item = _field(out, number, cell, column, slug, name, codelists)
        if item is None:
            continue
        if cell["branching"]:
            branching[item["name"]] = (cell["branching"], number)
        sections[-1]["fields"].append(item)
    fields = [f for s in sections for f in s["fields"]]
    kinds = kind_of(fields)
    for field_name, (source, number) in branching.items():
        try:
            converted = redcap_branching(source, kinds)
        except Unconvertible as exc:
            message = _l("The condition cannot be expressed in Helhed: %(why)s.", why=exc.message)
            out.add("I008", SHEET, number, column["branching"], message)
            continue
        next(f for f in fields if f["name"] == field_name)["show_if"] = converted
    if not fields and not out.problems:
        out.add("I014", SHEET, 2, column["name"], NO_QUESTIONS)
    out.definition = {
        "form": f"{slug}.{name}",
        "level": level,
        "waves": list(waves),
        "title": text_pair(name, name),
        "sections": [s for s in sections if s["fields"]],
    }
    out.codelists = codelists
    return out


def _field(
    out: Converted,
    number: int,
    cell: dict[str, str],
    column: dict[str, str],
    slug: str,
    form_name: str,
    codelists: dict[str, dict[str, Any]],
) -> dict[str, Any] | None:
    name, kind = cell["name"], cell["type"].lower()
    if not name or not kind:
        where = column["name"] if not name else column["type"]
        out.add("I004", SHEET, number, where, _l("Every question needs a type and a name."))
        return None
    if tag := UNCARRIED_TAGS.search(cell["annotation"]):
        out.add("I015", SHEET, number, column["annotation"], uncarried(tag.group(0).upper()))
        return None
    helhed_type = FIELD_TYPES_BY_REDCAP.get(kind)
    if helhed_type is None:
        out.add(
            "I005", SHEET, number, column["type"], _l("The type %(t)s is not supported.", t=kind)
        )
        return None
    validation = cell["validation"].lower()
    if helhed_type == Text.name and validation:
        if validation not in VALIDATIONS:
            message = _l("The validation %(v)s is not supported.", v=validation)
            out.add("I009", SHEET, number, column["validation"], message)
            return None
        helhed_type = VALIDATIONS[validation]
    out.places[name] = Place(
        SHEET,
        number,
        {
            "name": column["name"],
            "type": column["type"],
            "label": column["label"],
            "show_if": column["branching"],
            "min": column["min"] or column["validation"],
            "required": column["required"],
        },
    )
    english = cell["label_en"] if column["label_en"] else cell["label"]
    if not cell["label"] or not english:
        where = column["label"] if not cell["label"] else column["label_en"]
        out.add("I011", SHEET, number, where, _l("The label needs both Danish and English."))
        return None
    item: dict[str, Any] = {
        "name": name,
        "type": helhed_type,
        "label": text_pair(cell["label"], english),
    }
    if cell["note"]:
        item["help"] = text_pair(cell["note"], cell["note"])
    if cell["required"].lower() in ("y", "yes", "1"):
        item["required"] = True
    elif cell["required"].lower() not in ("", "n", "no", "0"):
        out.add("I010", SHEET, number, column["required"], _l("required must be yes or no."))
    if cell["identifier"].lower() in ("y", "yes", "1"):
        item["identifying"] = True
    for key in ("min", "max"):
        if not cell[key]:
            continue
        if helhed_type not in BOUNDED or not re.fullmatch(r"-?\d+(\.\d+)?", cell[key]):
            message = _l("Only a number question can have a number as its bound.")
            out.add("I009", SHEET, number, column[key], message)
            return None
        item[key] = _number(cell[key])
    if codelist := _codes(out, number, cell, column, slug, form_name, helhed_type):
        codelists[codelist["codelist"]] = codelist
        item["codelist"] = codelist["codelist"]
    elif FIELD_TYPES[helhed_type].needs_codelist:
        return None
    return item


def _codes(
    out: Converted,
    number: int,
    cell: dict[str, str],
    column: dict[str, str],
    slug: str,
    form_name: str,
    helhed_type: str,
) -> dict[str, Any] | None:
    """The field's choices ("1, Ja | 2, Nej") as a code list, for a choice field."""
    if not FIELD_TYPES[helhed_type].needs_codelist:
        return None
    codes = []
    for part in cell["choices"].split("|") if cell["choices"] else []:
        match = _CHOICE.match(part)
        if not match:
            break
        codes.append({"code": match.group(1), "label": text_pair(match.group(2), match.group(2))})
        where = codelist_name(slug, form_name, cell["name"])
        out.code_places[f"{where} / {match.group(1)}"] = Place(
            SHEET, number, {"name": column["choices"], "label": column["choices"]}
        )
    else:
        if codes:
            full = codelist_name(slug, form_name, cell["name"])
            return {
                "codelist": full,
                "title": text_pair(cell["name"], cell["name"]),
                "codes": codes,
            }
    message = _l("The choices must be written as: 1, Ja | 2, Nej.")
    out.add("I013", SHEET, number, column["choices"] or COLUMNS["choices"][0], message)
    return None
