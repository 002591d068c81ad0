"""Reading typed input, shared by the field types: whole numbers, decimals, dates, ranges.

Input may be a raw string from an HTML form or a typed JSON value; both read the same.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l

from app.core.dates import parse_date
from app.core.formatting import format_number

__all__ = [
    "InvalidAnswer",
    "check_range",
    "number_text",
    "parse_date",
    "parse_decimal",
    "parse_integer",
]

#: Numbers as JSON are held to what the page's text allows (nine digits): beyond it
#: ``float()`` overflows, and NaN and infinities are no one's answer (nor valid JSON).
_NUMBER_LIMIT = 10**9


class InvalidAnswer(Exception):
    """An answer that does not fit its field; the message is shown beside the field."""

    def __init__(self, message: Any):
        self.message = message


def number_text(value: float) -> str:
    """A limit in a message, in the reader's language ("2,5"), without grouping (years)."""
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
