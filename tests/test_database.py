"""The schema comes from the migrations, identical to the models, on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import text

from app.core.db import compared, db
from tests.support.apps import build_app


def test_migrations_create_exactly_the_models_schema(app_ctx: Flask) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": compared}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_are_at_head(app_ctx: Flask) -> None:
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate

    migrate: Migrate = app_ctx.extensions["migrate"]
    script = ScriptDirectory.from_config(migrate.migrate.get_config())
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    assert set(current) == set(script.get_heads())


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    # The pragmas are SQLite's own; PostgreSQL has these properties built in.
    sqlite_app = build_app(f"sqlite:///{tmp_path / 'pragmas.sqlite3'}")
    with sqlite_app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_the_listeners_are_on_each_apps_engines_and_nowhere_else(
    app: Flask, tmp_path: Path
) -> None:
    """Another engine in the process (a benchmark's baseline, a second app before its
    init_app) keeps SQLite's defaults and an unscoped transaction: the listeners are on
    the application's engines, not on SQLAlchemy's Engine class."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import Engine

    from app.core import db as database
    from app.tenancy import scoping

    other = create_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        with other.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 0
            assert connection.execute(text("PRAGMA journal_mode")).scalar() != "wal"
        database.listen_to_engine(other)
        other.dispose()
        with other.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        other.dispose()
    listeners = [
        ("handle_error", database._no_values_in_database_errors),
        ("connect", database._sqlite_pragmas),
        ("begin", scoping._scope_new_transaction),
    ]
    with app.app_context():
        engine = db.engine
    for name, listener in listeners:
        assert not event.contains(Engine, name, listener), name
        assert event.contains(engine, name, listener), name


def test_foreign_keys_are_enforced(app_ctx: Flask) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO department (code, name_da, name_en, active, municipality_id) "
                "VALUES ('x', 'x', 'x', true, 999999)"
            )
        )
