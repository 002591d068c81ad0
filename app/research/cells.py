"""The package's cells as SQL: each value written by the database as version 1's writer
wrote it in Python, on PostgreSQL and on SQLite.

The notation is that of the package (:mod:`app.research.variables`): an integer prints
``3``, a decimal as Python's ``{:g}`` (``2.5``, ``1.23457e+06``), a date as months since
enrolment to one decimal (``months_between``), a boolean ``true``/``false``, a missing
value as its code; text that a spreadsheet would run as a formula gets its apostrophe
(:func:`app.core.csvfile.neutralise`). Every function takes the dialect's name and column
expressions and returns a text expression, NULL for an empty cell.

Where SQL cannot say a rule cheaply on SQLite (a time zone, a regular expression, a
number of 15 digits or more), :func:`register` gives the connection a small Python
function, called only for the rare values that need it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Date, Integer, Numeric, String, case, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement

from app.core import csvfile, dates

#: The SQLite functions :func:`register` adds, by name.
_NEUTRALISE = "helhed_neutralise"
_LOCAL_DAY = "helhed_local_day"
_BIG_NUMBER = "helhed_big_number"

Expr = ColumnElement[Any]
#: The Table Schema types whose numbers print as whole numbers (the field type's
#: ``export_type`` says which a column is).
_WHOLE = frozenset({"integer"})


def register(dbapi_connection: Any) -> None:
    """Give a SQLite connection the functions the cells below call."""

    def local_day(stored: str | None) -> str | None:
        if stored is None:
            return None
        return dates.local_day(datetime.fromisoformat(stored)).isoformat()

    dbapi_connection.create_function(_NEUTRALISE, 1, csvfile.neutralise, deterministic=True)
    dbapi_connection.create_function(_LOCAL_DAY, 1, local_day, deterministic=True)
    dbapi_connection.create_function(_BIG_NUMBER, 1, _big_number, deterministic=True)


def _big_number(value: float) -> str:
    # The branch of version 1's writer for numbers of 15 digits or more.
    return str(value)


def text(dialect: str, value: Expr) -> Expr:
    """A text answer or a code, neutralised where it starts like a formula."""
    starts = func.substr(value, 1, 1).in_(csvfile.FORMULA_START)
    if dialect == "postgresql":
        plain = value.regexp_match(f"^{csvfile._PLAIN_NUMBER.pattern}$")
        return case((starts & ~plain, literal("'") + value), else_=value)
    return case((starts, getattr(func, _NEUTRALISE)(value)), else_=value)


def integer(dialect: str, value: Expr) -> Expr:
    """An integer (stored as a float) as its digits."""
    return cast(cast(value, BigInteger), String)


def boolean(dialect: str, value: Expr) -> Expr:
    """Table Schema's booleans."""
    return case((value.is_(None), None), (value, "true"), else_="false")


def decimal(dialect: str, value: Expr) -> Expr:
    """A decimal as Python's ``f"{value:g}"`` (six significant digits), or ``str`` from
    10^15 on, as version 1 wrote it."""
    if dialect != "postgresql":
        return case(
            (func.abs(value) >= 1e15, getattr(func, _BIG_NUMBER)(value)),
            else_=func.printf("%g", value),
        )
    # float8 -> numeric keeps 15 significant digits. Rounding those to six is Python's
    # rounding of the binary value except where the 15 digits end exactly on a tie at
    # the seventh (99999.95 is 99999.9499999… in binary: Python prints 99999.9, this
    # 100000). A decimal field's min, max and decimals allow six digits at most in every
    # form of the catalogue, so no answer reaches such a tie.
    number = cast(value, Numeric)
    exponent = func.floor(func.log(func.abs(number)))
    # Six significant digits, then Python's trimming of trailing zeros.
    plain = func.round(number, cast(5 - exponent, Integer))
    mantissa = func.round(number / func.power(literal(10, Numeric), exponent), 5)
    sign = case((exponent < 0, "-"), else_="+")
    scientific = (
        _trimmed(cast(mantissa, String))
        + "e"
        + sign
        + func.lpad(cast(cast(func.abs(exponent), Integer), String), 2, "0")
    )
    return case(
        (value == 0, cast(value, String)),  # 0, or -0 as Python prints it
        # Python's str: digits and ".0" below 10^16, float8's own text (its repr) above.
        (
            (func.abs(value) >= 1e15) & (func.abs(value) < 1e16) & (value == func.trunc(value)),
            cast(cast(value, BigInteger), String) + ".0",
        ),
        (func.abs(value) >= 1e15, cast(value, String)),
        ((func.abs(value) >= 1e-4) & (func.abs(value) < 1e6), _trimmed(cast(plain, String))),
        else_=scientific,
    )


def _trimmed(number_text: Expr) -> Expr:
    return case(
        (func.strpos(number_text, ".") > 0, func.rtrim(func.rtrim(number_text, "0"), ".")),
        else_=number_text,
    )


def months(dialect: str, start: Expr, end: Expr) -> Expr:
    """Months from the date *start* to the date *end*, to one decimal: ``months_between``
    as ``{:g}`` prints it (``6``, ``5.9``, ``-0`` for a day or two before)."""
    if dialect == "postgresql":
        days = end - start
        rounded = func.round(cast(days, Numeric) / literal(30.4375, Numeric), 1)
        is_whole = rounded == func.trunc(rounded)
        whole = cast(cast(func.trunc(rounded), Integer), String)
        exact = cast(rounded, String)
    else:
        days = func.julianday(end) - func.julianday(start)
        rounded = func.round(days / 30.4375, 1)
        is_whole = rounded == cast(rounded, Integer)
        whole = cast(cast(rounded, Integer), String)
        exact = cast(rounded, String)
    return case(
        (end.is_(None), None),
        # Python's round keeps the sign of a negative number that rounds to zero.
        ((rounded == 0) & (days < 0), "-0"),
        (is_whole, whole),
        else_=exact,
    )


def local_day(dialect: str, moment: Expr) -> Expr:
    """The installation's calendar day of a stored UTC moment (:func:`dates.local_day`)."""
    if dialect == "postgresql":
        zone = str(dates.time_zone())
        return cast(func.timezone(zone, moment), Date)
    return getattr(func, _LOCAL_DAY)(moment)


def days_between(dialect: str, start: Expr, end: Expr) -> Expr:
    """Whole days from the date *start* to the date *end*, as digits."""
    if dialect == "postgresql":
        return cast(end - start, String)
    return cast(cast(func.julianday(end) - func.julianday(start), Integer), String)


def number_of_kind(dialect: str, export_type: str, value: Expr) -> Expr:
    """A number column's cell by its Table Schema type."""
    return integer(dialect, value) if export_type in _WHOLE else decimal(dialect, value)
