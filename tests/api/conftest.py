"""A live Helhed server per database backend, seeded with the demo, for API clients."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.api.tokens import create_token
from app.auth.services import find_user
from app.core.db import db
from app.definitions.loader import load_catalogue
from app.demo.services import seed_demo
from app.tenancy.config_files import load_directory
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope
from bench.harness import serve_in_thread
from tests.support.apps import build_app


@dataclass
class LiveApi:
    url: str
    app: object

    def token(self, email: str, slug: str) -> str:
        from sqlalchemy import select

        with self.app.app_context():  # type: ignore[attr-defined]
            municipality = db.session.scalar(select(Municipality).filter_by(slug=slug))
            user = find_user(email)
            with tenant_scope(municipality, user.id):
                _, plain = create_token(user, municipality, "test")
                db.session.commit()
        return plain


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live_api(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[LiveApi]:
    if request.param == "postgresql":
        # A database of its own, so the data tests' clean-up cannot race with the server.
        base = request.getfixturevalue("postgres_url")
        url = _second_database(base)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('api') / 'helhed.sqlite3'}"
    app = build_app(url)
    with app.app_context():
        seed_demo(
            load_directory(Path(app.config["MUNICIPALITIES_DIR"])),
            "api demo password",
            load_catalogue(Path(app.config["FORMS_DIR"])),
        )
        db.session.commit()
    try:
        with serve_in_thread(app) as port:
            yield LiveApi(f"http://127.0.0.1:{port}", app)
    finally:
        with app.app_context():
            db.engine.dispose()
        if request.param == "postgresql":
            _drop_database(url)


def _second_database(base_url: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(base_url)
    name = f"{parsed.database}_api"
    admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    import os

    import psycopg
    from sqlalchemy.engine import make_url

    from tests.support.apps import DEFAULT_PG_URL

    parsed = make_url(url)
    # Connect to the database the tests were given, never to the one being dropped.
    home = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL)).database
    admin = parsed.set(drivername="postgresql", database=home).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
