"""Dates, times and numbers as people read them, in the interface language.

One implementation for templates, flash messages, validation messages and the report.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask_babel import get_timezone

from app.core.language import current_language

#: The Babel locale whose conventions dates and numbers follow in each interface language:
#: Danish as in Denmark ("22. maj 2026", "1,7"); English as in Britain ("22 May 2026",
#: "1.7"), not Babel's plain "en", which writes American dates ("May 22, 2026").
FORMAT_LOCALES = {"da": "da_DK", "en": "en_GB"}


def format_locale(language: str | None = None) -> str:
    """The locale for dates and numbers in *language* (default: the interface language)."""
    if language is None:
        try:
            language = current_language()
        except RuntimeError:  # outside an application context
            language = "da"
    return FORMAT_LOCALES.get(language, FORMAT_LOCALES["da"])


def _timezone() -> Any:
    try:
        return get_timezone()
    except RuntimeError:
        return babel_dates.get_timezone("Europe/Copenhagen")


def format_day(
    value: date | datetime | None, format: str = "long", language: str | None = None
) -> str:
    """A date as people read it: "22. maj 2026" / "22 May 2026"; "short" is "22.05.2026".

    A datetime (stored in UTC) is first moved to the installation's time zone, so an event
    at 23:30 UTC on 21 May is shown as 22 May in Copenhagen.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        value = moment.astimezone(_timezone()).date()
    return babel_dates.format_date(value, format=format, locale=format_locale(language))


def format_moment(
    value: datetime | None, format: str = "short", language: str | None = None
) -> str:
    """A point in time in the installation's time zone: "22.05.2026 14.30"."""
    if value is None:
        return ""
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return babel_dates.format_datetime(
        moment, format=format, tzinfo=_timezone(), locale=format_locale(language)
    )


def format_number(
    value: float | int | None,
    decimals: int | None = None,
    language: str | None = None,
    *,
    group: bool = True,
) -> str:
    """A number with the language's decimal sign and grouping: "1,7" / "1.7".

    *decimals* fixes the number of decimals; without it the number keeps its own (up to
    three). ``group=False`` leaves out the thousands separator (for years: "1930").
    """
    if value is None:
        return ""
    if decimals is None:
        pattern = None
    elif decimals == 0:
        pattern = "#,##0"
    else:
        pattern = "#,##0." + "0" * decimals
    return babel_numbers.format_decimal(
        value, format=pattern, locale=format_locale(language), group_separator=group
    )


def format_share(value: float | None, decimals: int = 0, language: str | None = None) -> str:
    """A share (0–1) as a percentage: "50 %" in Danish, "50%" in English."""
    if value is None:
        return ""
    locale = Locale.parse(format_locale(language))
    pattern = locale.percent_formats[None].pattern  # "#,##0 %" in Danish
    if decimals:
        pattern = pattern.replace("0", "0." + "0" * decimals, 1)
    return babel_numbers.format_percent(value, format=pattern, locale=locale)


def counted(count: int, noun: str) -> str:
    """A count with its English noun ("1 problem", "3 problems"), for command-line output:
    the operator's commands speak English; the interface uses ngettext."""
    return f"{count} {noun if count == 1 else noun + 's'}"
