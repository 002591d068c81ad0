"""Data-quality rules in the definitions: a form's ``checks:``, checked and run.

What REDCap calls data quality rules and DHIS2 program rules. A check is a condition over
the form's answers in the ``show_if`` language (:mod:`app.definitions.conditions`); it fires
when the condition is true::

    checks:
      - id: placement_without_case
        when: "active_case == false and measures in ['bl46_placement']"
        severity: error                    # error: refuses the save; warning: confirm once
        fields: [active_case, measures]    # where the message is shown
        message: {da: "…", en: "…"}

A condition may also use a small, closed set of context names (:data:`CONTEXT_NAMES`),
facts from outside the form that the server fills in. They are never sent to the browser,
stored or logged: the CPR number's birth date is read, compared and forgotten.

Checks judge a combination of answers at the moment of saving; they neither add nor change
a question, a code or a bound. So they are kept out of a version's content hash (see
:func:`app.definitions.model.content_hash`): a check may be added to a version that already
has answers, and a stored answer is judged again only when it is next saved. A check's id
is stable: a check that comes to mean something else gets a new id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.definitions import conditions
from app.definitions.bilingual import LANGUAGES, pick
from app.definitions.fields import FIELD_TYPES
from app.definitions.model import Check

SEVERITIES = ("error", "warning")

#: The context names a check may use, with the kind of value each holds.
CONTEXT_NAMES: dict[str, str] = {
    "$today": "day",  # the day of the save
    "$intake_date": "day",  # the family's enrolment (intake) date
    "$wave_date": "day",  # the due date of the wave the form belongs to
    "$cpr_birth_date": "day",  # the birth date the person's CPR number gives
    "$cpr_birth_year": "number",  # its year
}

_CHECK_KEYS = {"id", "when", "severity", "fields", "message"}
_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ORDERING = {"<", "<=", ">", ">="}
#: An operand's kind in a problem message.
_SAID = {
    "truth": "a yes/no answer",
    "number": "a number",
    "day": "a date",
    "words": "a text",
    "code": "a code",
    "codes": "a list of codes",
    "literal": "a text",
}


# -- context ----------------------------------------------------------------------------------


def cpr_birth_date(cpr: str | None) -> date | None:
    """The birth date in a CPR number (DDMMYY-SSSS), with the century from the 7th digit.

    The CPR Office's rule: 0-3 → 1900s; 4 and 9 → 2000s up to year 36, else 1900s;
    5-8 → 2000s up to year 57, else 1800s. A number whose first six digits are no date
    (e.g. a substitute number) gives None, so no check about it fires.
    """
    digits = "".join(ch for ch in cpr or "" if "0" <= ch <= "9")
    if len(digits) != 10:
        return None
    day, month, year, seventh = int(digits[:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6])
    if seventh <= 3:
        century = 1900
    elif seventh in (4, 9):
        century = 2000 if year <= 36 else 1900
    else:
        century = 2000 if year <= 57 else 1800
    try:
        return date(century + year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True)
class CheckContext:
    """The facts from outside the form, for the server-side evaluation of checks only."""

    today: date
    intake_date: date | None = None
    wave_date: date | None = None
    #: Held only for the evaluation; never shown, stored or logged.
    birth_date: date | None = field(default=None, repr=False)

    def values(self) -> dict[str, Any]:
        def iso(day: date | None) -> str | None:
            return day.isoformat() if day else None

        return {
            "$today": self.today.isoformat(),
            "$intake_date": iso(self.intake_date),
            "$wave_date": iso(self.wave_date),
            "$cpr_birth_date": iso(self.birth_date),
            "$cpr_birth_year": self.birth_date.year if self.birth_date else None,
        }


# -- running ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fired:
    """A check whose condition holds for the answers being saved."""

    check: Check
    confirmed: bool
    #: True if it refuses this save: an error on a complete save, or an unconfirmed warning.
    blocking: bool

    def message(self, language: str) -> str:
        return pick(self.check.message, language)


def run_checks(
    checks: tuple[Check, ...],
    answers: dict[str, Any],
    context: CheckContext,
    *,
    complete: bool,
    confirmed: set[str] | frozenset[str] = frozenset(),
) -> list[Fired]:
    """Every check that fires on *answers*. Like "required", nothing blocks a draft."""
    facts = {**answers, **context.values()}
    fired = []
    for check in checks:
        if not conditions.evaluate(check.condition, facts):
            continue
        is_confirmed = check.severity == "warning" and check.id in confirmed
        blocking = complete and (check.severity == "error" or not is_confirmed)
        fired.append(Fired(check, is_confirmed, blocking))
    return fired


# -- checking the definitions ----------------------------------------------------------------


@dataclass(frozen=True)
class _Operand:
    kind: str  # truth, number, day, words, code, codes, literal (a string), any
    codes: frozenset[str] | None = None
    name: str = ""


def check_definitions(
    raw: Any, fields: list[dict[str, Any]], codelists: dict[str, dict[str, Any]], add: Callable
) -> list[dict[str, Any]]:
    """Check a form's ``checks:`` against its fields; return them normalised.

    *fields* are the form's raw field mappings, *add(code, message, place)* reports a problem.
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        add("F025", "checks must be a list", None)
        return []
    known = {f["name"]: f for f in fields if isinstance(f.get("name"), str)}
    seen: set[str] = set()
    normalised = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            add("F025", f"checks[{index}] must be a mapping", None)
            continue
        check_id = item.get("id")
        place = f"check {check_id}" if isinstance(check_id, str) else f"checks[{index}]"
        if not isinstance(check_id, str) or not _ID_RE.match(check_id):
            add("F035", f"check id {check_id!r} is not a lower-case identifier", place)
        elif check_id in seen:
            add("F035", f"check id {check_id!r} is used twice", place)
        seen.add(str(check_id))
        for key in sorted(set(item) - _CHECK_KEYS):
            add("F003", f"unknown key {key!r}", place)
        for key in sorted(_CHECK_KEYS - set(item)):
            add("F002", f"missing {key!r}", place)
        if "severity" in item and item["severity"] not in SEVERITIES:
            add("F033", f"unknown severity {item['severity']!r}; use error or warning", place)
        message = item.get("message")
        if "message" in item and not (
            isinstance(message, dict)
            and all(
                isinstance(message.get(lang), str) and message[lang].strip() for lang in LANGUAGES
            )
        ):
            add("F034", "message needs da and en", place)
        about = item.get("fields")
        if "fields" in item:
            if (
                not isinstance(about, list)
                or not about
                or not all(isinstance(n, str) for n in about)
            ):
                add("F025", "fields must be a non-empty list of field names", place)
            else:
                for name in about:
                    if name not in known:
                        add("F029", f"fields names unknown field {name!r}", place)
        if "when" in item:
            _check_when(item["when"], known, codelists, place, add)
        normalised.append(dict(item))
    return normalised


def _check_when(
    when: Any,
    known: dict[str, dict[str, Any]],
    codelists: dict[str, dict[str, Any]],
    place: str,
    add: Callable,
) -> None:
    try:
        tree = conditions.parse(when)
    except conditions.ConditionError as exc:
        add("F028", f"when: {exc}", place)
        return
    for name in sorted(conditions.fields_used(tree)):
        if name.startswith("$"):
            if name not in CONTEXT_NAMES:
                add("F030", f"unknown context name {name!r}; use {', '.join(CONTEXT_NAMES)}", place)
        elif name not in known:
            add("F029", f"when names unknown field {name!r}", place)
    _check_types(tree, known, codelists, place, add)


def _operand(
    node: dict[str, Any], known: dict[str, dict[str, Any]], codelists: dict[str, dict[str, Any]]
) -> _Operand:
    if "value" in node:
        value = node["value"]
        if isinstance(value, bool):
            return _Operand("truth")
        if isinstance(value, (int, float)):
            return _Operand("number")
        return _Operand("literal", name=repr(value))
    if "field" in node:
        name = node["field"]
        if name in CONTEXT_NAMES:
            return _Operand(CONTEXT_NAMES[name], name=name)
        item = known.get(name)
        kind = FIELD_TYPES.get(item.get("type")) if item else None
        if kind is None:
            return _Operand("any", name=name)  # reported as unknown already
        codes = None
        if kind.needs_codelist and item and item.get("codelist") in codelists:
            codes = frozenset(str(c["code"]) for c in codelists[item["codelist"]]["codes"])
        # The field's type says what its answer can be compared with.
        return _Operand(kind.compared_as, codes, name)
    return _Operand("truth")  # a nested condition


def _check_types(
    node: dict[str, Any],
    known: dict[str, dict[str, Any]],
    codelists: dict[str, dict[str, Any]],
    place: str,
    add: Callable,
) -> None:
    op = node.get("op")
    args = node.get("args", [])
    if op in ("and", "or", "not"):
        for arg in args:
            _check_types(arg, known, codelists, place, add)
        return
    if op is None:
        return
    left = _operand(args[0], known, codelists)
    if op == "in":
        for literal in args[1]["list"]:
            right = _operand({"value": literal}, known, codelists)
            _compatible(left, right, literal, op, place, add)
        return
    right = _operand(args[1], known, codelists)
    if "value" in args[0] and "value" not in args[1]:
        left, right = right, left
        literal = args[0]["value"]
    else:
        literal = args[1].get("value")
    _compatible(left, right, literal, op, place, add)


def _compatible(
    left: _Operand, right: _Operand, literal: Any, op: str, place: str, add: Callable
) -> None:
    """Report a comparison that can never mean what it says (F031) or an unknown code (F032)."""
    if "any" in (left.kind, right.kind):
        return
    what = f"{left.name or left.kind} {op} {right.name or right.kind}"
    if right.kind == "literal" and left.kind in ("code", "codes"):
        if left.codes is not None and str(literal) not in left.codes:
            add("F032", f"{literal!r} is not a code of {left.name}", place)
        elif op in _ORDERING:
            add("F031", f"codes cannot be ordered: {what}", place)
        return
    if right.kind == "literal" and left.kind == "day":
        if not _ISO_DATE.match(str(literal)):
            add("F031", f"compare a date with a date written YYYY-MM-DD: {what}", place)
        return
    if right.kind == "literal" and left.kind in ("words", "literal"):
        return
    if left.kind != right.kind and {left.kind, right.kind} != {"code", "codes"}:
        add("F031", f"compares {_SAID[left.kind]} with {_SAID[right.kind]}: {what}", place)
    elif op in _ORDERING and left.kind in ("truth", "code", "codes"):
        add("F031", f"{_SAID[left.kind]} cannot be ordered: {what}", place)
