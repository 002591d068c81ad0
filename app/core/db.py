"""The database handle, the declarative base and the engine settings shared by every model."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from typing import Any

import psycopg
from flask import Flask, current_app, got_request_exception, has_app_context
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import JSON, DateTime, MetaData, String, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.schema import PrimaryKeyConstraint, Table
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from app.core import dates

#: Constraint names are fixed so migrations say the same thing on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: ``Column.info`` key of a table's distribution column: the column Citus would shard the
#: table by (``municipality_id``, see app/tenancy/distribution.py). On PostgreSQL it joins
#: the table's primary key, which Citus requires of a distributed table.
DISTRIBUTION_COLUMN = "distribution_column"

#: JSON everywhere, JSONB on PostgreSQL (indexable, compact).
JSONType = JSON().with_variant(JSONB(), "postgresql")


#: The SQLite function that gives a stored timestamp's day in a time zone.
LOCAL_DATE_FUNCTION = "helhed_local_date"


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both databases.

    SQLite has no time zones and hands back naive values; we store UTC and hand back aware
    datetimes everywhere, so no comparison in the code mixes naive and aware times.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: The largest id a row can have: PostgreSQL's integer. A larger number from a URL or a body
#: names no row, and passed on to the database it would fail as an overflow, not a 404.
MAX_ID = 2_147_483_647


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TenantSession(FlaskSession):
    """The application's session class; :mod:`app.tenancy.scoping` attaches the tenant rules."""


#: ``hide_parameters``: an error's message never carries the values of its statement (a
#: person's name, an encrypted CPR number), so no log or traceback does either.
db = SQLAlchemy(
    model_class=Base,
    session_options={"class_": TenantSession},
    engine_options={"hide_parameters": True},
)

#: SQLSTATE classes whose PostgreSQL messages name the constraint, table or column at fault
#: but never quote a value: integrity (the value itself is in the DETAIL, which is dropped),
#: connection, transaction state and rollback, syntax and access, resources, object state,
#: operator intervention.
_MESSAGES_WITHOUT_VALUES = ("08", "23", "25", "40", "42", "53", "55", "57", "22001")
#: A trigger's own exception (SQLSTATE P0001) says whatever its code formats into it, rows
#: included: only the messages of our own triggers are kept, which name an operation.
_OWN_TRIGGER_MESSAGE = re.compile(r"^[a-z_]+ is append-only: [A-Z]+ refused$")


def _no_values_in_database_errors(context: Any) -> None:
    """Keep the values of a refused row out of the error's message, and so out of the logs.

    PostgreSQL's messages quote values: ``DETAIL: Key (email)=(…) already exists``,
    ``Failing row contains (…)``, ``invalid input syntax for type date: "…"``. What stays
    is what a developer needs: the error's class, its SQLSTATE, the constraint, table and
    column, and the main message where it never holds a value. SQLite's messages name only
    the constraint or column, and stay as they are.
    """
    original = context.original_exception
    if not isinstance(original, psycopg.Error) or context.sqlalchemy_exception is None:
        return
    diag = original.diag
    state = original.sqlstate or diag.sqlstate or ""
    primary = diag.message_primary or ""
    if primary and (
        state.startswith(_MESSAGES_WITHOUT_VALUES)
        or (state.startswith("P0") and _OWN_TRIGGER_MESSAGE.match(primary))
    ):
        message = primary
    else:
        message = "(its message is withheld: it may quote a value)"
    names = (
        ("constraint", diag.constraint_name),
        ("table", diag.table_name),
        ("column", diag.column_name),
    )
    where = "".join(f", {name} {value}" for name, value in names if value)
    original.args = (f"{message} [SQLSTATE {state}{where}]",)
    wrapper = context.sqlalchemy_exception
    wrapper.args = (f"({type(original).__module__}.{type(original).__name__}) {original}",)


@got_request_exception.connect
def _roll_back_a_failed_request(sender: Any, exception: BaseException, **extra: Any) -> None:
    """A request whose write failed leaves its session unusable until rolled back, and the
    error page reads through it (the signed-in user): roll back before it is rendered."""
    db.session.rollback()


#: The SQLite function behind :class:`folded`.
FOLD_FUNCTION = "helhed_fold"


def _fold(value: str | None) -> str | None:
    return None if value is None else value.lower()


class folded(FunctionElement[str]):
    """``lower(text)`` for every letter on both databases, for case-insensitive search:
    PostgreSQL's lower() follows the database's (UTF-8) character type; on SQLite it is
    Python's str.lower, registered on each connection."""

    type = String()
    inherit_cache = True


@compiles(folded)
def _folded_default(element: folded, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "sqlite")
def _folded_sqlite(element: folded, compiler: Any, **kw: Any) -> str:
    return f"{FOLD_FUNCTION}({compiler.process(element.clauses, **kw)})"


@compiles(PrimaryKeyConstraint, "postgresql")
def _primary_key_with_distribution_column(
    constraint: PrimaryKeyConstraint, compiler: Any, **kw: Any
) -> str:
    """``PRIMARY KEY (id, municipality_id)`` on PostgreSQL for a table with a distribution
    column, while the mapped key stays ``id``.

    Only PostgreSQL: Citus is PostgreSQL, and on SQLite an ``INTEGER PRIMARY KEY`` must stay
    the single column that aliases the rowid, or ids would no longer be given out. The ORM
    keeps ``id`` as the identity either way (``db.session.get(Family, id)``), and ``id``
    stays the autoincrement column the sequence fills.
    """
    columns = list(constraint.columns)
    table = getattr(constraint, "parent", None)
    if not columns or not isinstance(table, Table):
        return compiler.visit_primary_key_constraint(constraint, **kw)  # type: ignore[no-any-return]
    extra = [c for c in table.columns if c.info.get(DISTRIBUTION_COLUMN)]
    columns += [c for c in extra if c not in columns]
    text = ""
    if constraint.name is not None:
        name = compiler.preparer.format_constraint(constraint)
        if name is not None:
            text = f"CONSTRAINT {name} "
    text += "PRIMARY KEY (" + ", ".join(compiler.preparer.quote(c.name) for c in columns) + ")"
    return text + compiler.define_constraint_deferrability(constraint)  # type: ignore[no-any-return]


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL for concurrent readers, real foreign keys, and waiting instead of failing on locks."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    timeout = 5000
    if has_app_context():
        timeout = int(current_app.config.get("SQLITE_BUSY_TIMEOUT_MS", timeout))
    # The calendar day of a stored timestamp in a time zone (app.reports.sql.local_date).
    dbapi_connection.create_function(
        LOCAL_DATE_FUNCTION, 2, dates.local_day_text, deterministic=True
    )
    # SQLite's own lower() folds only A-Z; names have Æ, Ø, Å (see folded()).
    dbapi_connection.create_function(FOLD_FUNCTION, 1, _fold, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={timeout:d}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def listen_to_engine(engine: Engine) -> None:
    """Attach the database's listeners to *engine*: values kept out of error messages, and
    the SQLite pragmas on every new connection."""
    event.listen(engine, "handle_error", _no_values_in_database_errors)
    event.listen(engine, "connect", _sqlite_pragmas)


def init_app(app: Flask) -> None:
    """Listen on *app*'s own engines, before their first connection.

    Not on SQLAlchemy's ``Engine`` class: that would reach every engine in the process,
    another application's and a benchmark's baseline as well.
    """
    with app.app_context():
        for engine in db.engines.values():
            listen_to_engine(engine)


#: Tables a library keeps in the schema (Procrastinate's job queue, made by its own SQL in
#: a migration). No model declares them, so a comparison of the models with the database
#: would always propose to drop them.
LIBRARY_TABLE_PREFIXES = ("procrastinate_",)


def compared(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's ``include_object``: leave out what a library keeps in the schema."""
    if type_ == "table":
        table = name or ""
    else:
        owner = getattr(obj, "table", None)
        if owner is None:
            owner = getattr(obj, "parent", None)
        table = getattr(owner, "name", "") or ""
    return not (reflected and compare_to is None and table.startswith(LIBRARY_TABLE_PREFIXES))
