"""Test harness: one app per database backend per session, factories, and an auth helper.

Every test that touches data runs twice, on SQLite and on PostgreSQL (test ids end in
``[sqlite]`` / ``[postgresql]``). PostgreSQL comes from ``TEST_DATABASE_URL``; each session
creates a scratch database next to it and drops it at the end. Without PostgreSQL those
tests skip with a message, except in CI (``CI=true``), where a missing service fails.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.auth import twofactor
from app.auth.models import User
from app.auth.services import create_user, grant_membership
from app.config import PROJECT_ROOT
from app.core.db import db
from app.tenancy.config_files import load_directory
from app.tenancy.models import Municipality
from app.tenancy.services import sync_municipalities
from tests.support.checks import avoid_checks

IN_CI = os.environ.get("CI", "").lower() == "true"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "correct horse battery"
#: The authenticator-app secret the factory gives users whose role requires two-factor
#: sign-in; ``auth.login`` answers the code step with it.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

#: Cheap hashing in tests; production uses scrypt (tested separately).
TEST_CONFIG = {
    "HELHED_ENV": "testing",
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "WTF_CSRF_ENABLED": False,
    # Hundreds of sign-ins a minute from one address; the throttle has its own tests.
    "RATELIMIT_ENABLED": False,
}


def missing_service(message: str) -> None:
    """Skip on a developer machine without the service; fail in CI, where it must exist."""
    if IN_CI:
        pytest.fail(f"{message} (CI=true: a missing service is an error, not a skip)")
    pytest.skip(message)


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
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


#: On PostgreSQL the suite runs as the deployment does: migrations as the owner, the
#: application as a role that owns nothing, so row-level security binds every query.
APP_ROLE = "helhed_app"
_OWNER_ENGINES: dict[str, Any] = {}


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
    yield application
    with application.app_context():
        db.engine.dispose()
    engine = _OWNER_ENGINES.pop(application.config.get("TEST_OWNER_DATABASE_URL"), None)
    if engine is not None:
        engine.dispose()


@pytest.fixture
def backend(app: Flask) -> str:
    with app.app_context():
        return db.engine.dialect.name


def _empty_all_tables(app: Flask) -> None:
    # Core statements: the ORM tenant rules do not apply to them, which is what a
    # clean-up between tests needs.
    # As the table owner: row-level security would hide other municipalities' rows from
    # the application role, and only the owner may lift the audit trail's guard.
    from app.audit import guard

    engine = owner_engine(app)
    with app.app_context(), engine.begin() as connection, guard.suspended(connection):
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


def _harness_apply_scope(connection: Any) -> None:
    """The database scope for the test's own code: open, as the table owner would see it.

    Factories and assertions run in the test's app context and reload objects after
    commits outside any municipality (SQLAlchemy's refresh of expired attributes does not
    carry the ORM tenant rules). Requests run in their own app context without the
    ``_test_harness`` mark, so everything the application does stays bound by
    row-level security.
    """
    from flask import g

    _real_apply_scope(connection)
    if g.get("_test_harness"):
        connection.exec_driver_sql("SELECT set_config('helhed.cross_tenant', 'on', true)")


def _install_harness_scope() -> None:
    from app.tenancy import scoping

    global _real_apply_scope
    if scoping._apply_scope is not _harness_apply_scope:
        _real_apply_scope = scoping._apply_scope
        scoping._apply_scope = _harness_apply_scope


_real_apply_scope: Any = None


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An app context on a clean database, emptied again afterwards."""
    from flask import g

    _install_harness_scope()
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


class UserFactory:
    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self,
        municipality: Municipality | None = None,
        role: str | None = None,
        *,
        email: str | None = None,
        platform_role: str | None = None,
        password: str = PASSWORD,
        two_factor: bool | None = None,
    ) -> User:
        self.count += 1
        email = email or f"user{self.count}-{role or platform_role or 'none'}@example.test"
        user = create_user(email, f"Test User {self.count}", password, platform_role=platform_role)
        if municipality is not None and role is not None:
            grant_membership(user, municipality, role)
        if two_factor if two_factor is not None else twofactor.is_required(user):
            user.totp_secret = TOTP_SECRET
        db.session.commit()
        return user


@pytest.fixture
def make_user(app_ctx: Flask) -> UserFactory:
    return UserFactory()


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD) -> Any:
        return log_in(self.client, email, password)

    def logout(self) -> Any:
        return self.client.post("/logout")


def log_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    """Sign in, answering the two-factor step when the account has it."""
    response = client.post("/login", data={"email": email, "password": password})
    if response.status_code == 302 and response.location.endswith("/login/code"):
        return client.post("/login/code", data={"code": fresh_code(client, email)})
    return response


def fresh_code(client: FlaskClient, email: str) -> str:
    """The current code for *email*, with the account's used-code record cleared.

    Tests sign the same user in several times within one 30-second step; a real user
    cannot reuse a code, so the record of the last one is forgotten first.
    """
    import pyotp
    from sqlalchemy import update

    with client.application.app_context(), db.engine.begin() as connection:
        connection.execute(
            update(User.__table__).where(User.email == email).values(totp_last_step=None)
        )
    return pyotp.TOTP(TOTP_SECRET).now()


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


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


@pytest.fixture
def forms_published(app_ctx: Flask) -> Any:
    from app.collection.services import publish_catalogue
    from app.definitions.loader import load_catalogue

    catalogue = load_catalogue(PROJECT_ROOT / "forms")
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


def valid_formdata(form: Any, today: Any, *, language: str = "da") -> dict[str, Any]:
    """Answers that satisfy *form*: every visible question, of the right type."""
    data: dict[str, Any] = {}
    for field in form.fields:
        low, _high = field.bounds(today)
        kind = field.type
        if kind in ("text", "textarea"):
            data[field.name] = "Et svar"
        elif kind in ("integer", "scale"):
            data[field.name] = str(int(low if low is not None else 1))
        elif kind == "decimal":
            data[field.name] = "1,5" if language == "da" else "1.5"
        elif kind == "date":
            data[field.name] = today.isoformat()
        elif kind == "boolean":
            data[field.name] = "true"
        elif kind in ("single_choice", "multiple_choice"):
            codes = form.codelists[field.codelist].choosable(today)
            data[field.name] = codes[0].code if kind == "single_choice" else [codes[0].code]
    return avoid_checks(form, data, today)


def save_family_draft(municipality: Any, family_id: int, today: Any) -> None:
    """A draft of the family-level intake form, saved through the service layer."""
    from app.collection.services import forms_for_wave, save_submission
    from app.families.models import Family

    family = db.session.get(Family, family_id)
    wave = next(w for w in family.waves if w.kind == "intake")
    version = next(v for v in forms_for_wave(municipality, wave) if v.level == "family")
    save_submission(
        municipality,
        wave,
        version,
        None,
        valid_formdata(version.form, today),
        submit=False,
        seen_lock_version=None,
        actor_id=None,
        today=today,
    )
