"""Checking answers against a definition: the one implementation for pages and the API.

Input may be raw strings from an HTML form or typed JSON values; both are parsed to the
stored representation (codes, ISO dates, numbers, booleans). A field hidden by its
``show_if`` is neither required nor stored. Drafts skip "required" but never store a value
of the wrong type.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from app.definitions.checks import CheckContext, Fired, run_checks
from app.definitions.compute import apply_computations
from app.definitions.model import FieldDef, FormDef

#: Longest answers accepted, so one form cannot fill the database.
TEXT_LIMIT = 2000
TEXTAREA_LIMIT = 10000

_TRUE = {"true", "1", "yes", "ja", "on"}
_FALSE = {"false", "0", "no", "nej", "off"}
_DATE_FORMATS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})[-./](?P<m>\d{1,2})[-./](?P<y>\d{4})$"),
)


@dataclass
class Result:
    answers: dict[str, Any]
    errors: dict[str, str]
    #: The form's data-quality checks that fire (run only when a context is given).
    fired: list[Fired] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not any(f.blocking for f in self.fired)


class _Invalid(Exception):
    def __init__(self, message: Any):
        self.message = message


def _is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def _number_text(value: float) -> str:
    """A limit in a message, in the reader's language ("2,5"), without grouping (years)."""
    from app.core.templating import format_number

    return format_number(value, group=False)


def _parse(field: FieldDef, raw: Any, form: FormDef, today: date, keep: list[str]) -> Any:
    kind = field.type
    low, high = field.bounds(today)
    if kind in ("text", "textarea"):
        if not isinstance(raw, str):
            raise _Invalid(_l("Write text."))
        value = raw.strip()
        limit = TEXT_LIMIT if kind == "text" else TEXTAREA_LIMIT
        if len(value) > limit:
            raise _Invalid(_l("Write at most %(n)s characters.", n=limit))
        if low is not None and len(value) < low:
            raise _Invalid(_l("Write at least %(n)s characters.", n=_number_text(low)))
        if high is not None and len(value) > high:
            raise _Invalid(_l("Write at most %(n)s characters.", n=_number_text(high)))
        if field.pattern and not re.fullmatch(field.pattern, value):
            raise _Invalid(_l("The answer does not have the expected format."))
        return value
    if kind in ("integer", "scale"):
        value = _integer(raw)
        if value is None:
            raise _Invalid(_l("Write a whole number."))
        _check_range(value, low, high)
        return value
    if kind == "decimal":
        number = _decimal(raw)
        if number is None:
            raise _Invalid(_l("Write a number, e.g. 4,5."))
        if field.decimals is not None and round(number, field.decimals) != number:
            raise _Invalid(_l("Use at most %(n)s decimal(s).", n=field.decimals))
        _check_range(number, low, high)
        return number
    if kind == "date":
        value = _date(raw)
        if value is None:
            raise _Invalid(_l("Write a date as dd-mm-yyyy."))
        return value.isoformat()
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _Invalid(_l("Choose yes or no."))
    if kind == "single_choice":
        codes = _choosable(field, form, today, keep)
        if not isinstance(raw, str) or raw not in codes:
            raise _Invalid(_l("Choose one of the options."))
        return raw
    if kind == "multiple_choice":
        values = raw if isinstance(raw, list) else [raw]
        codes = _choosable(field, form, today, keep)
        if not all(isinstance(v, str) and v in codes for v in values):
            raise _Invalid(_l("Choose only among the options."))
        # Stored in the code list's order, without duplicates.
        return [c for c in codes if c in values]
    raise _Invalid(_l("This field cannot be answered."))


def _choosable(field: FieldDef, form: FormDef, today: date, keep: list[str]) -> list[str]:
    codelist = form.codelists[field.codelist or ""]
    return [c.code for c in codelist.choosable(today, keep)]


def _check_range(value: float, low: float | None, high: float | None) -> None:
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            raise _Invalid(
                _l(
                    "Write a number from %(low)s to %(high)s.",
                    low=_number_text(low),
                    high=_number_text(high),
                )
            )
        if low is not None:
            raise _Invalid(_l("Write a number of at least %(low)s.", low=_number_text(low)))
        raise _Invalid(_l("Write a number of at most %(high)s.", high=_number_text(high)))


#: Numbers as JSON are held to what the page's text allows (nine digits): beyond it
#: ``float()`` overflows, and NaN and infinities are no one's answer (nor valid JSON).
_NUMBER_LIMIT = 10**9


def _integer(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if abs(raw) < _NUMBER_LIMIT else None
    if isinstance(raw, float) and raw.is_integer():
        return int(raw) if abs(raw) < _NUMBER_LIMIT else None
    if isinstance(raw, str) and re.fullmatch(r"\s*[-+]?\d{1,9}\s*", raw):
        return int(raw)
    return None


def _decimal(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        # abs() of a huge int stays an int, so the comparison cannot overflow; NaN fails it.
        return float(raw) if abs(raw) < _NUMBER_LIMIT else None
    if isinstance(raw, str) and re.fullmatch(r"\s*[-+]?\d{1,9}([.,]\d{1,6})?\s*", raw):
        return float(raw.strip().replace(",", "."))
    return None


def _date(raw: Any) -> date | None:
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    for pattern in _DATE_FORMATS:
        match = pattern.match(text)
        if match:
            try:
                parsed = date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
            return parsed if 1900 <= parsed.year <= 2100 else None
    return None


def validate_answers(
    form: FormDef,
    raw: dict[str, Any],
    *,
    complete: bool,
    today: date,
    previous: dict[str, Any] | None = None,
    context: CheckContext | None = None,
    confirmed: set[str] | frozenset[str] = frozenset(),
) -> Result:
    """Parse and check *raw* against *form*.

    *previous* holds the answers already stored, so a code that has since lost its
    validity may stay on the answer that has it (but cannot be chosen anew). With a
    *context*, the form's checks run too, *confirmed* naming the warnings the user confirmed.
    """
    previous = previous or {}
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    input_fields = [f for f in form.fields if f.kind.input]
    unknown = set(raw) - {f.name for f in input_fields}
    for name in sorted(unknown):
        errors[name] = str(_l("This form has no such field."))
    for field in input_fields:
        value = raw.get(field.name)
        if _is_empty(value):
            continue
        keep = previous.get(field.name)
        keep_codes = keep if isinstance(keep, list) else ([keep] if isinstance(keep, str) else [])
        try:
            parsed[field.name] = _parse(field, value, form, today, keep_codes)
        except _Invalid as exc:
            errors[field.name] = str(exc.message)

    # Visibility is decided on the parsed answers, in order, so a chain of conditions works
    # and a hidden field neither counts as missing nor is stored.
    answers: dict[str, Any] = {}
    for field in input_fields:
        if not field.visible(parsed):
            parsed.pop(field.name, None)
            errors.pop(field.name, None)
            continue
        if field.name in parsed:
            answers[field.name] = parsed[field.name]
        elif complete and field.required and field.name not in errors:
            errors[field.name] = str(_l("Answer this question."))
    answers = apply_computations(form.fields, answers)
    if context is None:
        return Result(answers, errors)
    fired = run_checks(form.checks, answers, context, complete=complete, confirmed=confirmed)
    return Result(answers, errors, fired)
