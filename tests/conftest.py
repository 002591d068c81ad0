"""Test harness: one app per database backend per session, factories, and an auth helper.

Every test that touches data runs twice, on SQLite and on PostgreSQL (test ids end in
``[sqlite]`` / ``[postgresql]``). PostgreSQL comes from ``TEST_DATABASE_URL``; each session
creates a scratch database next to it and drops it at the end. Without PostgreSQL those
tests skip with a message, except in CI (``CI=true``), where a missing service fails.
"""

from __future__ import annotations

import os
import pickle
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.auth.models import User
from app.config import PROJECT_ROOT
from app.core.db import db
from app.tenancy.config_files import load_directory
from app.tenancy.models import Municipality
from app.tenancy.scoping import open_database_scope_when
from app.tenancy.services import sync_municipalities
from tests.support.apps import (
    DEFAULT_PG_URL,
    TEST_CONFIG,
    IsolatedClient,
    app_role_url,
    build_app,
    dispose_owner_engine,
    missing_service,
    owner_engine,
    prepare_app_role,
)
from tests.support.auth import AuthActions, UserFactory

#: Procrastinate's tables, emptied between tests like the models' (children first).
PROCRASTINATE_TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
)

#: Fixtures shared by several test modules, kept beside the registries they build on.
pytest_plugins = ["tests.support.worlds", "tests.support.cohort", "tests.support.smtp"]


# -- databases ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    import psycopg

    base = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL)).set(
        drivername="postgresql+psycopg"
    )
    name = f"helhed_test_{uuid.uuid4().hex[:10]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        admin = psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        missing_service(f"PostgreSQL not reachable at {base.render_as_string()}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        # A test database need not survive a crash of the server: without waiting for each
        # commit to reach the disk, the suite's many small transactions run at CPU speed.
        admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    if request.param == "postgresql":
        owner_url = request.getfixturevalue("postgres_url")
        owner = build_app(owner_url)
        prepare_app_role(owner)
        with owner.app_context():
            db.engine.dispose()
        application = create_app(
            {
                **TEST_CONFIG,
                "DATABASE_URL": app_role_url(owner_url),
                "EXPORTS_DIR": owner.config["EXPORTS_DIR"],
                "PRIVACY_JOURNAL": owner.config["PRIVACY_JOURNAL"],
                "TEST_OWNER_DATABASE_URL": owner_url,
            }
        )
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'helhed.sqlite3'}"
        application = build_app(url)
    open_database_scope_when(application, _in_the_tests_own_context)
    yield application
    with application.app_context():
        db.engine.dispose()
    dispose_owner_engine(application)


@pytest.fixture
def backend(app: Flask) -> str:
    with app.app_context():
        return db.engine.dialect.name


#: Rows from which a table is emptied with TRUNCATE rather than DELETE (PostgreSQL).
LARGE_TABLE_ROWS = 5000


def _empty_all_tables(app: Flask) -> None:
    # Core statements: the ORM tenant rules do not apply to them, which is what a
    # clean-up between tests needs.
    # As the table owner: row-level security would hide other municipalities' rows from
    # the application role, and only the owner may lift the audit trail's guard.
    from app.audit import guard

    engine = owner_engine(app)
    with app.app_context(), engine.begin() as connection, guard.suspended(connection):
        if connection.dialect.name == "postgresql":
            # A DELETE row by row took 36 s after the 10,000-row import; TRUNCATE empties
            # a table at once but costs more than a DELETE of an empty one, so it is kept
            # for the tables the statistics call large (a stale figure only picks the
            # slower of two ways to the same empty table).
            large = [
                name
                for name in connection.exec_driver_sql(
                    f"SELECT relname FROM pg_stat_user_tables WHERE n_live_tup > {LARGE_TABLE_ROWS}"
                ).scalars()
                if name in db.metadata.tables
            ]
            if large:
                # CASCADE: the tables referring to them go too, as the DELETEs below would.
                connection.exec_driver_sql(f"TRUNCATE {', '.join(large)} CASCADE")
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        if connection.dialect.name == "postgresql":
            # Procrastinate's queue is outside the models: a job one test left would
            # otherwise reach the next test's worker.
            for table in PROCRASTINATE_TABLES:
                connection.exec_driver_sql(f"DELETE FROM {table}")


def _in_the_tests_own_context() -> bool:
    """Whether the code running is the test's own (factories, assertions), not a request.

    Factories and assertions run in the test's app context and reload objects after
    commits outside any municipality (SQLAlchemy's refresh of expired attributes does not
    carry the ORM tenant rules), so the database shows them every row. Requests run in
    their own app context without the ``_test_harness`` mark, so everything the
    application does stays bound by row-level security.
    """
    return bool(g.get("_test_harness"))


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An app context on a clean database, emptied again afterwards."""
    _empty_all_tables(app)
    # The privacy journal lives beside the database, so it is emptied with it.
    journal = Path(app.config["PRIVACY_JOURNAL"])
    journal.unlink(missing_ok=True)
    with app.app_context():
        g._test_harness = True
        yield app
        db.session.rollback()
        db.session.remove()
    _empty_all_tables(app)
    journal.unlink(missing_ok=True)


@pytest.fixture
def client(app_ctx: Flask) -> FlaskClient:
    app_ctx.test_client_class = IsolatedClient
    return app_ctx.test_client()


# -- factories ------------------------------------------------------------------------------


@pytest.fixture
def municipalities(app_ctx: Flask) -> dict[str, Municipality]:
    """The five seed municipalities, synced from the repository's files."""
    sync_municipalities(load_directory(PROJECT_ROOT / "municipalities"))
    db.session.commit()
    return {m.slug: m for m in db.session.scalars(select(Municipality))}


@pytest.fixture
def make_user(app_ctx: Flask) -> UserFactory:
    return UserFactory()


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def count_rows(app_ctx: Flask) -> Any:
    def count(table: str) -> int:
        with owner_engine(app_ctx).connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

    return count


@pytest.fixture
def project_root() -> Path:
    return PROJECT_ROOT


# -- what ran where ---------------------------------------------------------------------------

_BACKEND_ID = re.compile(r"\[(sqlite|postgresql)[\]-]")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first, so the two processes share them from the start instead of
    one finishing a minutes-long test alone at the end. First among the hooks: pytest then
    still groups the tests by database, each group keeping this order."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many tests ran on each database and in the browser, so CI logs show it."""
    from collections import Counter

    counts: Counter[tuple[str, str]] = Counter()
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if outcome == "passed" and getattr(report, "when", "call") != "call":
                continue
            match = _BACKEND_ID.search(nodeid)
            if match:
                counts[(match.group(1), outcome)] += 1
            if "tests/browser/" in nodeid:
                counts[("browser (Chromium)", outcome)] += 1
    if not counts:
        return
    terminalreporter.section("where the tests ran")
    for target in ("sqlite", "postgresql", "browser (Chromium)"):
        parts = [
            f"{counts[(target, o)]} {o}"
            for o in ("passed", "failed", "skipped", "error")
            if counts[(target, o)]
        ]
        terminalreporter.write_line(f"{target}: {', '.join(parts) or 'none'}")


# -- families and forms -------------------------------------------------------------------------


#: The forms folder as checked, pickled, under the files' names and modification times.
_CHECKED_FORMS: dict[tuple[tuple[str, int], ...], bytes] = {}


def checked_forms() -> Any:
    """The forms folder, checked once per process while its files stay the same.

    Checking it takes 80 ms and about every second test publishes it; each gets a copy of
    its own (a test may change what it was given), unpickled in under a millisecond.
    """
    from app.definitions.loader import load_catalogue

    folder = PROJECT_ROOT / "forms"
    key = tuple(sorted((str(path), path.stat().st_mtime_ns) for path in folder.rglob("*.y*ml")))
    if key not in _CHECKED_FORMS:
        _CHECKED_FORMS.clear()
        _CHECKED_FORMS[key] = pickle.dumps(load_catalogue(folder))
    return pickle.loads(_CHECKED_FORMS[key])


@pytest.fixture
def forms_published(app_ctx: Flask) -> Any:
    from app.collection.services import publish_catalogue

    catalogue = checked_forms()
    publish_catalogue(catalogue)
    db.session.commit()
    return catalogue


@pytest.fixture
def make_family(municipalities: dict[str, Municipality], forms_published: Any) -> Any:
    from datetime import date

    from app.families.services import add_member, enrol_family
    from app.tenancy.scoping import tenant_scope

    def make(
        slug: str = "brondby",
        *,
        adults: int = 1,
        children: int = 1,
        enrolment: date = date(2026, 1, 15),
        label: str = "Familien Test",
        team: list[User] = (),  # type: ignore[assignment]
        contact: User | None = None,
    ) -> Any:
        """A family with members; *team* are assigned by its model, *contact* as contact
        person (an external, in a family-team municipality that allows it)."""
        from app.auth.models import Membership
        from app.teams.services import assign

        municipality = municipalities[slug]
        with tenant_scope(municipality):
            family = enrol_family(municipality, label, enrolment)
            for i in range(adults):
                add_member(family, "adult", f"Voksen {i + 1} {label}", enrolment)
            for i in range(children):
                add_member(family, "child", f"Barn {i + 1} {label}", enrolment)
            for user in [*team, *([contact] if contact else [])]:
                membership = db.session.scalar(
                    select(Membership).where(Membership.user_id == user.id)
                )
                assign(municipality, family, membership, contact_person=user is contact)
            db.session.commit()
        return family

    return make
