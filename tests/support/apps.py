"""Applications for tests: the test configuration, the app factory with migrations, the
application role and the table owner's engine on PostgreSQL, and a client whose requests
each run in their own application context.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from app import create_app
from app.core.db import db

IN_CI = os.environ.get("CI", "").lower() == "true"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

#: Cheap hashing in tests; production uses scrypt (tested separately).
TEST_CONFIG = {
    "HELHED_ENV": "testing",
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "WTF_CSRF_ENABLED": False,
    # Hundreds of sign-ins a minute from one address; the throttle has its own tests.
    "RATELIMIT_ENABLED": False,
    # No daily digest from the tests' job workers, but where a test asks for it.
    "DIGEST_SCHEDULE": False,
}

#: On PostgreSQL the suite runs as the deployment does: migrations as the owner, the
#: application as a role that owns nothing, so row-level security binds every query.
APP_ROLE = "helhed_app"
_OWNER_ENGINES: dict[str, Any] = {}


def missing_service(message: str) -> None:
    """Skip on a developer machine without the service; fail in CI, where it must exist."""
    if IN_CI:
        pytest.fail(f"{message} (CI=true: a missing service is an error, not a skip)")
    pytest.skip(message)


def build_app(database_url: str, **overrides: Any) -> Flask:
    import atexit
    import shutil
    import tempfile

    exports = tempfile.mkdtemp(prefix="helhed-exports-")
    atexit.register(shutil.rmtree, exports, ignore_errors=True)
    # Never the checkout's instance folder: a restore there would apply the tests' erasures.
    journal = Path(tempfile.mkdtemp(prefix="helhed-journal-")) / "privacy-journal.jsonl"
    atexit.register(shutil.rmtree, journal.parent, ignore_errors=True)
    app = create_app(
        {
            **TEST_CONFIG,
            "DATABASE_URL": database_url,
            "EXPORTS_DIR": exports,
            "PRIVACY_JOURNAL": str(journal),
            **overrides,
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app


def app_role_url(owner_url: str) -> str:
    return (
        make_url(owner_url)
        .set(username=APP_ROLE, password=None)
        .render_as_string(hide_password=False)
    )


def prepare_app_role(owner_app: Flask) -> None:
    """Create the application role if the server lacks it, then grant it its rights."""
    with owner_app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql(
            "DO $$ BEGIN CREATE ROLE helhed_app LOGIN NOSUPERUSER NOBYPASSRLS; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
    result = owner_app.test_cli_runner().invoke(args=["database", "grant-app-role", APP_ROLE])
    assert result.exit_code == 0, result.output


def owner_engine(app: Flask) -> Any:
    """An engine with the table owner's rights (PostgreSQL), or the app's own (SQLite)."""
    from sqlalchemy import create_engine

    owner_url = app.config.get("TEST_OWNER_DATABASE_URL")
    if owner_url is None:
        with app.app_context():
            return db.engine
    if owner_url not in _OWNER_ENGINES:
        _OWNER_ENGINES[owner_url] = create_engine(owner_url)
    return _OWNER_ENGINES[owner_url]


def dispose_owner_engine(app: Flask) -> None:
    """Close the owner's connections of *app*, at the end of the session that made it."""
    engine = _OWNER_ENGINES.pop(app.config.get("TEST_OWNER_DATABASE_URL"), None)
    if engine is not None:
        engine.dispose()


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own application context.

    Flask reuses an already pushed app context for a request; tests push one for their
    factories, so without this ``g`` and the database session would leak from the test
    into requests and between requests, which never happens in production.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        outer = has_app_context()
        if outer:
            # Publish the test's set-up and end its read snapshot before the request.
            db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if outer:
            # What the test holds was loaded before the request changed it: read again.
            db.session.expire_all()
        return response


def scratch_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, name: str
) -> Iterator[str]:
    """An empty database of the test's backend (``request.param``: sqlite or postgresql)
    for a test that runs migrations itself; a PostgreSQL one is dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
        return
    import psycopg

    base = make_url(request.getfixturevalue("postgres_url"))
    database = f"{base.database}_{name}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')
    yield base.set(database=database).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
