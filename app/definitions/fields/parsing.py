"""Reading typed input, shared by the field types: whole numbers, decimals, dates, ranges.

Input may be a raw string from an HTML form or a typed JSON value; both read the same.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

_DATE_FORMATS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})[-./](?P<m>\d{1,2})[-./](?P<y>\d{4})$"),
)

#: Numbers as JSON are held to what the page's text allows (nine digits): beyond it
#: ``float()`` overflows, and NaN and infinities are no one's answer (nor valid JSON).
_NUMBER_LIMIT = 10**9


class InvalidAnswer(Exception):
    """An answer that does not fit its field; the message is shown beside the field."""

    def __init__(self, message: Any):
        self.message = message


def number_text(value: float) -> str:
    """A limit in a message, in the reader's language ("2,5"), without grouping (years)."""
    # Imported here: the formatting lives with the templates, which import the compiled
    # forms and so, through them, this module.
    from app.core.templating import format_number

    return format_number(value, group=False)


def parse_integer(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if abs(raw) < _NUMBER_LIMIT else None
    if isinstance(raw, float) and raw.is_integer():
        return int(raw) if abs(raw) < _NUMBER_LIMIT else None
    if isinstance(raw, str) and re.fullmatch(r"\s*[-+]?\d{1,9}\s*", raw):
        return int(raw)
    return None


def parse_decimal(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        # abs() of a huge int stays an int, so the comparison cannot overflow; NaN fails it.
        return float(raw) if abs(raw) < _NUMBER_LIMIT else None
    if isinstance(raw, str) and re.fullmatch(r"\s*[-+]?\d{1,9}([.,]\d{1,6})?\s*", raw):
        return float(raw.strip().replace(",", "."))
    return None


def parse_date(raw: Any) -> date | None:
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


def check_range(value: float, low: float | None, high: float | None) -> None:
    """Refuse *value* outside [*low*, *high*]; a bound of 0 is a bound like any other."""
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            raise InvalidAnswer(
                _l(
                    "Write a number from %(low)s to %(high)s.",
                    low=number_text(low),
                    high=number_text(high),
                )
            )
        if low is not None:
            raise InvalidAnswer(_l("Write a number of at least %(low)s.", low=number_text(low)))
        raise InvalidAnswer(_l("Write a number of at most %(high)s.", high=number_text(high)))
