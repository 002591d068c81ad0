"""The package's cells as the database writes them (app/research/cells.py) are the cells
version 1's writer made in Python, for a spread of numbers, dates and texts."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Date, Float, literal, select

from app.core import csvfile
from app.core.db import db
from app.research import cells
from app.research.variables import months_between
from tests.support.package_v1 import _cell

DECIMALS = [
    0.0, 2.5, 3.0, -1.5, 0.1, 1 / 3, 2 / 3, 12.345678, 99999.94, 123456.7, 999999.4,
    1234567.0, 0.0001, 0.00012345678, 0.00001234, 1e-7, -2.5e-5, 1e15, -4e15, 1.5e16, -3e20,
]  # fmt: skip
# Not 99999.95: PostgreSQL rounds its 15 significant digits, which end on a tie at the
# seventh, where Python rounds the binary value below it (app/research/cells.py says why
# no answer of the catalogue's forms gets there).
TEXTS = ["almindelig", "=1+1", "-2+3", "-3", "-1.5", "-1e-05", "+45 12", "@x", "\tx", "a=b"]


def _one(expression):
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        cells.register(connection.connection.dbapi_connection)
    return db.session.execute(select(expression)).scalar_one()


def test_decimals_print_as_the_reference_writer_printed_them(app_ctx):
    dialect = db.session.connection().dialect.name
    for value in DECIMALS:
        assert _one(cells.decimal(dialect, literal(value, Float))) == _cell(value), value


def test_integers_print_as_their_digits(app_ctx):
    dialect = db.session.connection().dialect.name
    for value in [0, 1, -7, 42, 2025, 10**12]:
        assert _one(cells.integer(dialect, literal(float(value), Float))) == str(value)


def test_dates_print_as_months_since_enrolment(app_ctx):
    dialect = db.session.connection().dialect.name
    start = date(2025, 1, 31)
    for days in [*range(-70, 70), *range(70, 4000, 37)]:
        end = start + timedelta(days=days)
        expected = _cell(months_between(start, end))
        got = _one(cells.months(dialect, literal(start, Date), literal(end, Date)))
        assert got == expected, days


def test_texts_are_neutralised_as_the_csv_writer_neutralises_them(app_ctx):
    dialect = db.session.connection().dialect.name
    for text in TEXTS:
        assert _one(cells.text(dialect, literal(text))) == csvfile.cell(text), text
