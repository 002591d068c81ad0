"""The database's own refusal to change or delete audit events.

The application has no update or delete path for audit events (see services); these
triggers make the database refuse one too, so neither a bug nor someone with the
application's credentials and a SQL prompt can rewrite the trail. On PostgreSQL the
application role is also granted only SELECT and INSERT on the table (app.tenancy.rls).
Maintenance that must remove rows (emptying a test database) uses :func:`suspended`,
which needs the table owner's rights.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

SQLITE = (
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END""",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
)

# "%%": the driver reads the statement for placeholders and leaves a single "%".
POSTGRESQL = (
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_event is append-only: %% refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$""",
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
)
POSTGRESQL_DROP = (
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    "DROP FUNCTION IF EXISTS audit_event_append_only()",
)


def install(connection: Connection) -> None:
    statements = POSTGRESQL if connection.dialect.name == "postgresql" else SQLITE
    for statement in statements:
        connection.exec_driver_sql(statement)


def remove(connection: Connection) -> None:
    statements = POSTGRESQL_DROP if connection.dialect.name == "postgresql" else SQLITE_DROP
    for statement in statements:
        connection.exec_driver_sql(statement)


@contextmanager
def suspended(connection: Connection) -> Iterator[None]:
    """Lift the guard inside *connection*'s transaction (table owner only), then restore it.

    DDL is transactional on both databases, so other connections never see the table
    unguarded: they wait for the lock, then find the triggers back in place.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
        yield
        connection.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER USER")
    else:
        remove(connection)
        yield
        install(connection)
