"""Reading a date as people type it, for the core's date field and the form definitions."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

_DATE_FORMATS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})[-./](?P<m>\d{1,2})[-./](?P<y>\d{4})$"),
)


def parse_date(raw: Any) -> date | None:
    """A date typed as yyyy-mm-dd or dd-mm-yyyy (also with . or /), between 1900 and 2100."""
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
