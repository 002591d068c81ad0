"""The study's pseudonyms as a table the package's statements join.

Family, person and goal ids leave as keyed HMAC pseudonyms (:class:`Pseudonyms`). The
database cannot compute an HMAC portably (PostgreSQL's needs an extension, SQLite has
none), so each id the study may see is keyed once here, in Python, and the values go into
a temporary table of the export's connection in bulk; the tables' statements join it. The
values are those of :func:`app.research.variables.pseudonym`, so packages of the same
study made before and after keep their ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    insert,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from app.core.db import db
from app.families.models import Family, Member
from app.plans.models import Goal, Plan
from app.research.scope import StudyScope
from app.research.variables import Pseudonyms
from app.tenancy.scoping import scoped

_metadata = MetaData()
#: kind ("family", "person", "goal") and id -> pseudonym, for one export's connection.
table = Table(
    "helhed_research_pseudonym",
    _metadata,
    Column("kind", String(8), nullable=False),
    Column("object_id", Integer, nullable=False),
    Column("value", String(16), nullable=False),
    PrimaryKeyConstraint("kind", "object_id"),
    prefixes=["TEMPORARY"],
)
#: Ids keyed and inserted at a time.
_CHUNK = 10_000


def fill(scope: StudyScope, key: str) -> None:
    """Key every family, member and goal id the study may see into :data:`table`."""
    connection = db.session.connection()
    table.drop(connection, checkfirst=True)
    table.create(connection)
    families = select(Family.id).where(scope.families())
    sources = {
        "family": scoped(families, Family),
        "person": scoped(select(Member.id).where(Member.family_id.in_(families)), Member, Family),
        "goal": scoped(
            select(Goal.id).join(Plan, Plan.id == Goal.plan_id).where(Plan.family_id.in_(families)),
            Goal,
            Plan,
            Family,
        ),
    }
    keyed = Pseudonyms(key)
    for kind, statement in sources.items():
        # A server-side cursor on PostgreSQL: the ids come a chunk at a time, not all at once.
        # Each chunk is fetched whole before it is written: the connection cannot fetch
        # from the cursor while its COPY is open, and would wait on itself for ever.
        result = connection.execute(statement.execution_options(yield_per=_CHUNK))
        for ids in result.scalars().partitions(_CHUNK):
            _insert(connection, [(kind, i, keyed(kind, i)) for i in ids])
    connection.exec_driver_sql(f"ANALYZE {table.name}")


def _insert(connection: Any, rows: list[tuple[str, int, str]]) -> None:
    if connection.dialect.name == "postgresql":
        # COPY: a few hundred thousand rows in one statement, not one round trip each.
        cursor = connection.connection.dbapi_connection.cursor()
        with cursor.copy(f"COPY {table.name} (kind, object_id, value) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    for chunk in _chunks(rows):
        connection.execute(
            insert(table), [{"kind": k, "object_id": i, "value": v} for k, i, v in chunk]
        )


def _chunks(rows: Iterable[tuple[str, int, str]]) -> Iterator[list[tuple[str, int, str]]]:
    chunk: list[tuple[str, int, str]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def drop() -> None:
    table.drop(db.session.connection(), checkfirst=True)


def of(kind: str, object_id: ColumnElement[Any], name: str) -> tuple[Any, ColumnElement[bool]]:
    """An alias of the table for *kind* and the condition that joins it to *object_id*."""
    alias = table.alias(name)
    return alias, and_(alias.c.kind == kind, alias.c.object_id == object_id)
