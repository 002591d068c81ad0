"""The date functions the indicators need, written once for SQLite and PostgreSQL.

Answers keep dates as ISO text inside JSON; columns keep them as DATE (or, on SQLite, as
ISO text). Both databases can subtract them, each in its own way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Float, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.core import dates
from app.core.db import LOCAL_DATE_FUNCTION


class days_between(FunctionElement[float]):
    """Whole days from the second date to the first (negative when the first is earlier)."""

    type = Float()
    name = "days_between"
    inherit_cache = True


@compiles(days_between)
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"(julianday({later}) - julianday({earlier}))"


@compiles(days_between, "postgresql")
def _days_between_postgresql(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST({later} AS DATE) - CAST({earlier} AS DATE))"


class local_date(FunctionElement[Any]):
    """The installation's calendar day of a stored (UTC) timestamp: a form submitted at
    23:30 UTC on a window's last day was submitted the next day in Copenhagen. The zone
    travels as a parameter, read when the statement is built (app.core.dates)."""

    type = Date()
    name = "local_date"
    inherit_cache = True

    def __init__(self, value: Any) -> None:
        super().__init__(value, literal(dates.time_zone().key))


@compiles(local_date)
def _local_date_sqlite(element: local_date, compiler: Any, **kw: Any) -> str:
    # SQLite knows no time zones: app.core.db gives every connection this function.
    value, zone = (compiler.process(c, **kw) for c in element.clauses)
    return f"{LOCAL_DATE_FUNCTION}({value}, {zone})"


@compiles(local_date, "postgresql")
def _local_date_postgresql(element: local_date, compiler: Any, **kw: Any) -> str:
    value, zone = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(({value} AT TIME ZONE {zone}) AS DATE)"
