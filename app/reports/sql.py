"""Two date functions the indicators need, written once for SQLite and PostgreSQL.

Answers keep dates as ISO text inside JSON; columns keep them as DATE (or, on SQLite, as
ISO text). Both databases can subtract them, each in its own way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


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


class utc_date(FunctionElement[Any]):
    """The UTC calendar day of a timestamp."""

    type = Date()
    name = "utc_date"
    inherit_cache = True


@compiles(utc_date)
def _utc_date_sqlite(element: utc_date, compiler: Any, **kw: Any) -> str:
    (value,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"date({value})"


@compiles(utc_date, "postgresql")
def _utc_date_postgresql(element: utc_date, compiler: Any, **kw: Any) -> str:
    (value,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(({value} AT TIME ZONE 'UTC') AS DATE)"
