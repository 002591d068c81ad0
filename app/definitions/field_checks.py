"""The checks and normalisation of one field of a form definition.

A field is checked on its own, against the names in its form, the known code lists and the
core variable names: its type, texts, bounds, pattern and ``show_if``; what only one type
checks (a scale's anchors, a computation's inputs) its type checks, in
:mod:`app.definitions.fields`. The identifier check lives here too, since the field checks
are its main user. Kept apart from the loader so the rules for a single field can be read
and changed in one place, without the folder walking and whole-form checks around them.
"""

from __future__ import annotations

import re
from typing import Any

from app.core import dates
from app.definitions import conditions
from app.definitions.bilingual import text_ok
from app.definitions.fields import FIELD_TYPES

#: A bound that moves with the calendar, e.g. ``max: current_year`` for a year of birth.
CURRENT_YEAR = "current_year"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

_FIELD_KEYS = {
    "name",
    "type",
    "label",
    "help",
    "required",
    "min",
    "max",
    "pattern",
    "codelist",
    "show_if",
    "identifying",
    "free_text",
    "unit",
    "compute",
    "anchors",
    "decimals",
}


#: The loader checks form and section texts with the same rule.
_text_ok = text_ok


def _check_field(
    item: dict[str, Any],
    names: list[str],
    slug: str | None,
    codelists: dict[str, dict[str, Any]],
    core_names: set[str],
    used_codelists: dict[str, dict[str, Any]],
    add: Any,
) -> None:
    name = item.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        add("F023", f"field name {name!r} is not a lower-case identifier", str(name))
        return
    for key in sorted(set(item) - _FIELD_KEYS):
        add("F003", f"unknown key {key!r}", name)
    if slug is not None and name in core_names:
        add("F016", f"{name!r} is a core variable; a local form must use another name", name)
    kind = item.get("type")
    if kind not in FIELD_TYPES:
        add("F010", f"unknown type {kind!r}; use one of {', '.join(FIELD_TYPES)}", name)
        return
    field_type = FIELD_TYPES[kind]
    if not _text_ok(item.get("label")):
        add("F008", "label needs da and en", name)
    for key in ("help", "unit"):
        if key in item and not _text_ok(item[key]):
            add("F008", f"{key} needs da and en", name)
    for key in ("required", "identifying", "free_text"):
        if key in item and not isinstance(item[key], bool):
            add("F025", f"{key} must be true or false", name)

    codelist = item.get("codelist")
    if field_type.needs_codelist and not codelist:
        add("F012", f"a {kind} field needs a codelist", name)
    if codelist is not None:
        if codelist not in codelists:
            add("F013", f"unknown code list {codelist!r}", name)
        else:
            used_codelists[codelist] = codelists[codelist]

    low, high = item.get("min"), item.get("max")
    for key, value in (("min", low), ("max", high)):
        if value == CURRENT_YEAR:
            continue
        if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
            add("F018", f"{key} must be a number or {CURRENT_YEAR!r}", name)
            return
    year = dates.today().year
    low = year if low == CURRENT_YEAR else low
    high = year if high == CURRENT_YEAR else high
    if (low is not None or high is not None) and not field_type.bounded:
        add("F018", f"min/max do not apply to a {kind} field", name)
    if low is not None and high is not None and low > high:
        add("F018", f"min {low} is greater than max {high}", name)
    field_type.check(
        item, names=names, low=low, high=high, report=lambda code, text: add(code, text, name)
    )
    if "decimals" in item and (not isinstance(item["decimals"], int) or item["decimals"] < 0):
        add("F025", "decimals must be a whole number of 0 or more", name)
    if "pattern" in item:
        try:
            re.compile(str(item["pattern"]))
        except re.error as exc:
            add("F019", f"pattern {item['pattern']!r} is not valid: {exc}", name)

    show_if = item.get("show_if")
    if show_if is not None:
        try:
            tree = conditions.parse(show_if)
        except conditions.ConditionError as exc:
            add("F014", f"show_if: {exc}", name)
        else:
            for used in sorted(conditions.fields_used(tree)):
                if used == name:
                    add("F027", "show_if refers to the field itself", name)
                elif used not in names:
                    add("F015", f"show_if names unknown field {used!r}", name)


def _is_default(value: Any) -> bool:
    """Absent, false or empty: what a field means when the key is left out.

    Compared by identity and type, not ``==``: ``0 == False``, and ``min: 0`` or
    ``decimals: 0`` mean something a missing key does not.
    """
    return value is None or value is False or (isinstance(value, (dict, list)) and not value)


def _normalise_field(item: dict[str, Any]) -> dict[str, Any]:
    """Drop defaults so that adding ``required: false`` does not change the content hash."""
    result = {k: v for k, v in item.items() if not _is_default(v)}
    if "anchors" in result:
        result["anchors"] = {str(k): v for k, v in sorted(result["anchors"].items())}
    return result


def earlier_normalisation(data: dict[str, Any]) -> dict[str, Any]:
    """A normalised form as it was normalised before ``min: 0`` was kept.

    Until then every falsy value was dropped, zeros included, so snapshots published then
    lack ``min: 0``/``max: 0``/``decimals: 0``. Hashing a definition this way tells such a
    snapshot apart from one that was really changed (see the publishing of definitions).
    """
    return {
        **data,
        "sections": [
            {
                **section,
                "fields": [
                    {k: v for k, v in f.items() if v not in (None, False, {}, [])}
                    for f in section["fields"]
                ],
            }
            for section in data["sections"]
        ],
    }
