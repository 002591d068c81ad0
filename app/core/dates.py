"""Today's date, and reading a date as people type it (the core's date field, the forms).

"Today" is the installation's day everywhere (``BABEL_DEFAULT_TIMEZONE``, Copenhagen):
due dates, windows, overdue, reminders, code-list validity and the pages. The programmes
run in Denmark, and a server's clock is often set to UTC, an hour or two behind: from
22:00 or 23:00 UTC a wave's window would still be open on the server while it had closed
for the caseworker. Timestamps stay in UTC (:func:`app.core.db.utcnow`); only the calendar
day is local.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

#: The programmes' time zone when no application says otherwise (app.config's default).
DEFAULT_TIME_ZONE = "Europe/Copenhagen"


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def time_zone() -> ZoneInfo:
    """The installation's time zone: the day a caseworker lives in."""
    if has_app_context():
        return _zone(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_TIME_ZONE)
    return _zone(DEFAULT_TIME_ZONE)


def today() -> date:
    """Today in the installation's time zone, whatever the server's clock zone."""
    return datetime.now(time_zone()).date()


def local_day(moment: datetime) -> date:
    """The installation's calendar day of a stored moment (UTC; a naive one is UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(time_zone()).date()


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


def local_day_text(stored: str | None, zone: str) -> str | None:
    """:func:`local_day` for SQLite, which keeps timestamps as text: the ISO day, or None."""
    if stored is None:
        return None
    moment = datetime.fromisoformat(stored)
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(_zone(zone)).date().isoformat()
