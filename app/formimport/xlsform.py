"""An XLSForm (its ``survey``, ``choices`` and optional ``settings`` sheets) as a local form.

| XLSForm | Helhed |
|---|---|
| integer, decimal, text, date | the type of the same name |
| select_one LIST / select_multiple LIST | one or several codes of the list's code list |
| begin group / end group | a section (questions outside a group: one section) |
| label::da / label::en (or label::Danish (da), ...) | the label's two languages |
| hint::da / hint::en | help |
| required yes/true/1 | required |
| relevant | show_if (app.formimport.expressions) |
| constraint ``. >= a and . <= b`` | min and max |

Metadata types (start, end, today, deviceid, ...) ask nothing and are passed over. A
value in a column that changes what a question asks (default, choice_filter, read_only,
calculation, trigger) is refused rather than dropped.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l

from app.definitions.fields.choices import MultipleChoice, SingleChoice
from app.definitions.fields.dates import Date
from app.definitions.fields.numbers import Decimal, Integer
from app.definitions.fields.text import Text
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
from app.formimport.expressions import Unconvertible, constraint_bounds, xlsform_relevant
from app.formimport.reading import Rows

#: XLSForm types asked as they are, and the Helhed type each becomes.
PLAIN_TYPES = {
    "integer": Integer.name,
    "decimal": Decimal.name,
    "text": Text.name,
    "date": Date.name,
}
#: ``select_one LIST`` and ``select_multiple LIST``.
SELECT_TYPES = {"select_one": SingleChoice.name, "select_multiple": MultipleChoice.name}
GROUP_MARKS = {
    "begin group": "begin",
    "begin_group": "begin",
    "end group": "end",
    "end_group": "end",
}
#: Types that record facts of the device or the interview, not answers.
METADATA_TYPES = frozenset(
    {"start", "end", "today", "deviceid", "username", "phonenumber", "simserial", "audit"}
)
WHOLE_NUMBERS = frozenset({Integer.name})
#: Columns that change what a question asks or records: a value in one would be lost
#: without a word, so it is refused. (``appearance``, ``constraint_message`` and the like
#: change only how a question looks or what a refusal says, and are passed over.)
UNCARRIED_COLUMNS = ("default", "choice_filter", "read_only", "calculation", "trigger")
_YES = {"yes", "true", "1", "true()", "ja"}
_NO = {"no", "false", "0", "false()", "nej", ""}
_LANGUAGE_COLUMN = re.compile(r"^(?P<base>[a-z_]+)::(?:[^()]*\()?(?P<lang>da|en)\)?$", re.I)


def language_columns(header: list[str], base: str) -> dict[str, str]:
    """The columns of *base* by language: ``label::da``, ``label::Danish (da)``, ..."""
    found: dict[str, str] = {}
    for column in header:
        match = _LANGUAGE_COLUMN.match(column.strip())
        if match and match.group("base").lower() == base:
            found.setdefault(match.group("lang").lower(), column)
    return found


def _texts(row: dict[str, str], columns: dict[str, str]) -> dict[str, str] | None:
    da, en = row.get(columns.get("da", ""), ""), row.get(columns.get("en", ""), "")
    return text_pair(da, en) if da.strip() and en.strip() else None


def convert_xlsform(
    sheets: dict[str, tuple[list[str], Rows]], slug: str, name: str, level: str, waves: list[str]
) -> Converted:
    """The local form ``<slug>.<name>`` an XLSForm defines, with every problem found."""
    out = Converted("xlsform")
    if "survey" not in sheets:
        out.add("I002", "survey", 1, "", _l("The workbook has no sheet called survey."))
        return out
    header, rows = sheets["survey"]
    labels = language_columns(header, "label")
    hints = language_columns(header, "hint")
    for column in ("type", "name"):
        if column not in header:
            out.add("I003", "survey", 1, column, _l("The sheet has no column %(c)s.", c=column))
    for language in ("da", "en"):
        if language not in labels:
            out.add(
                "I003",
                "survey",
                1,
                f"label::{language}",
                _l("The sheet needs the columns label::da and label::en (Danish and English)."),
            )
    if out.problems:
        return out
    codelists = _choices(out, sheets.get("choices"), slug, name)
    sections: list[dict[str, Any]] = []
    taken: set[str] = set()
    current: dict[str, Any] | None = None
    relevant: dict[str, tuple[str, int]] = {}
    for number, row in rows:
        kind = " ".join(row.get("type", "").split()).lower()
        mark = GROUP_MARKS.get(kind)
        if mark == "begin":
            if current is not None and current.get("group"):
                out.add(
                    "I012", "survey", number, "type", _l("Groups inside groups are not supported.")
                )
                continue
            title = _texts(row, labels) or text_pair(row.get("name", ""), row.get("name", ""))
            current = {"id": section_id(row.get("name") or title["da"], taken), "title": title}
            current.update(group=True, fields=[])
            sections.append(current)
            continue
        if mark == "end":
            if current is None or not current.get("group"):
                out.add("I012", "survey", number, "type", _l("end group without begin group."))
            current = None
            continue
        if kind in METADATA_TYPES:
            continue
        not_carried = [c for c in UNCARRIED_COLUMNS if row.get(c, "").strip()]
        for column in not_carried:
            out.add("I015", "survey", number, column, uncarried(column))
        item = _question(out, number, row, kind, labels, hints, codelists)
        if item is None or not_carried:
            continue
        if row.get("relevant"):
            relevant[item["name"]] = (row["relevant"], number)
        if current is None:
            current = {"id": section_id("questions", taken), "fields": []}
            sections.append(current)
        current["fields"].append(item)
    if current is not None and current.get("group"):
        out.add("I012", "survey", len(rows) + 1, "type", _l("begin group without end group."))
    fields = [f for s in sections for f in s["fields"]]
    kinds = kind_of(fields)
    for field_name, (source, number) in relevant.items():
        try:
            converted = xlsform_relevant(source, kinds)
        except Unconvertible as exc:
            message = _l("The condition cannot be expressed in Helhed: %(why)s.", why=exc.message)
            out.add("I008", "survey", number, "relevant", message)
            continue
        next(f for f in fields if f["name"] == field_name)["show_if"] = converted
    if not fields and not out.problems:
        out.add("I014", "survey", 2, "type", NO_QUESTIONS)
    title = _settings_title(sheets.get("settings")) or text_pair(name, name)
    for section in sections:
        section.pop("group", None)
        section.setdefault("title", title)
    out.definition = {
        "form": f"{slug}.{name}",
        "level": level,
        "waves": list(waves),
        "title": title,
        "sections": [s for s in sections if s["fields"]],
    }
    out.codelists = {
        codelist_name(slug, name, list_name): data for list_name, data in codelists.items()
    }
    return out


def _question(
    out: Converted,
    number: int,
    row: dict[str, str],
    kind: str,
    labels: dict[str, str],
    hints: dict[str, str],
    codelists: dict[str, dict[str, Any]],
) -> dict[str, Any] | None:
    name = row.get("name", "").strip()
    if not kind or not name:
        column = "type" if not kind else "name"
        out.add("I004", "survey", number, column, _l("Every question needs a type and a name."))
        return None
    words = kind.split()
    helhed_type = PLAIN_TYPES.get(kind)
    codelist = None
    if helhed_type is None and len(words) == 2 and words[0] in SELECT_TYPES:
        helhed_type, codelist = SELECT_TYPES[words[0]], words[1]
        if codelist not in codelists:
            message = _l("The choice list %(list)s is not in the choices sheet.", list=codelist)
            out.add("I006", "survey", number, "type", message)
            return None
    if helhed_type is None:
        out.add("I005", "survey", number, "type", _l("The type %(t)s is not supported.", t=kind))
        return None
    out.places[name] = Place(
        "survey",
        number,
        {
            "name": "name",
            "type": "type",
            "label": labels["da"],
            "show_if": "relevant",
            "min": "constraint",
            "required": "required",
        },
    )
    label = _texts(row, labels)
    if label is None:
        missing = labels["en"] if row.get(labels["da"], "").strip() else labels["da"]
        out.add("I011", "survey", number, missing, _l("The label needs both Danish and English."))
        return None
    item: dict[str, Any] = {"name": name, "type": helhed_type, "label": label}
    if codelist is not None:
        item["codelist"] = codelists[codelist]["codelist"]
    help_text = _texts(row, hints)
    if help_text is not None:
        item["help"] = help_text
    required = row.get("required", "").strip().lower()
    if required in _YES:
        item["required"] = True
    elif required not in _NO:
        out.add("I010", "survey", number, "required", _l("required must be yes or no."))
    if row.get("constraint"):
        try:
            low, high = constraint_bounds(row["constraint"], helhed_type in WHOLE_NUMBERS)
        except Unconvertible as exc:
            message = _l("The constraint cannot be expressed as bounds: %(why)s.", why=exc.message)
            out.add("I009", "survey", number, "constraint", message)
        else:
            item.update({k: v for k, v in (("min", low), ("max", high)) if v is not None})
    return item


def _choices(
    out: Converted, sheet: tuple[list[str], Rows] | None, slug: str, name: str
) -> dict[str, dict[str, Any]]:
    """The choice lists by list name, as code lists under the form's namespace."""
    if sheet is None:
        return {}
    header, rows = sheet
    labels = language_columns(header, "label")
    lists: dict[str, dict[str, Any]] = {}
    for number, row in rows:
        list_name, code = row.get("list_name", "").strip(), row.get("name", "").strip()
        label = _texts(row, labels)
        if not list_name or not code or label is None:
            missing_label = (
                labels.get("da", "label")
                if not row.get(labels.get("da", ""))
                else labels.get("en", "label")
            )
            column = "list_name" if not list_name else ("name" if not code else missing_label)
            message = _l(
                "Every choice needs a list_name, a name and a label in Danish and English."
            )
            out.add("I007", "choices", number, column, message)
            continue
        full = codelist_name(slug, name, list_name)
        data = lists.setdefault(
            list_name, {"codelist": full, "title": text_pair(list_name, list_name), "codes": []}
        )
        data["codes"].append({"code": code, "label": label})
        out.code_places[f"{full} / {code}"] = Place(
            "choices", number, {"name": "name", "label": labels.get("da", "name")}
        )
    return lists


def _settings_title(sheet: tuple[list[str], Rows] | None) -> dict[str, str] | None:
    if sheet is None or not sheet[1]:
        return None
    header, rows = sheet
    return _texts(rows[0][1], language_columns(header, "form_title"))
