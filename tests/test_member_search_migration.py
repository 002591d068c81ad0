"""The migration that makes members findable by CPR number fills in every member's hash.

A database at ``0015_missed_waves`` whose members (in two municipalities) hold CPR numbers,
encrypted as the application stores them, is upgraded to ``0016_member_search``: each
member with a number gets the hash the application itself writes when the number is
saved, a member without one gets none, and the family list finds them by it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.collection.services import publish_catalogue
from app.core.db import db
from app.definitions.loader import load_catalogue
from app.families.models import Family, Member
from app.families.services import add_member, enrol_family
from app.tenancy.config_files import load_directory
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope
from app.tenancy.services import sync_municipalities
from tests.support.apps import TEST_CONFIG

ROOT = Path(__file__).resolve().parent.parent
#: Per municipality: the members' names and CPR numbers (None: the member has none).
PEOPLE = {
    "brondby": [("Anna Backfill", "150387-4721"), ("Bo Backfill", None)],
    "vejle": [("Carl Backfill", "0101901234"), ("Dorte Backfill", "150387-4721")],
}


def _fresh_postgres_database(base_url: str) -> str:
    # Here, not at the top: only the PostgreSQL case needs the driver.
    import psycopg

    parsed = make_url(base_url)
    name = f"{parsed.database}_backfill"
    admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(base_url: str, url: str) -> None:
    # Here, not at the top: only the PostgreSQL case needs the driver.
    import psycopg

    admin = make_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An application on a database of its own, migrated to the newest revision."""
    if request.param == "postgresql":
        base = request.getfixturevalue("postgres_url")
        url = _fresh_postgres_database(base)
    else:
        url = f"sqlite:///{tmp_path / 'backfill.sqlite3'}"
    application = create_app(
        {**TEST_CONFIG, "DATABASE_URL": url, "EXPORTS_DIR": str(tmp_path / "exports")}
    )
    with application.app_context():
        upgrade()
    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
        if request.param == "postgresql":
            _drop_postgres_database(base, url)


def _hashes() -> dict[str, str | None]:
    rows = db.session.execute(
        text("SELECT name, cpr_hash FROM family_member WHERE name LIKE '% Backfill'")
    ).all()
    return {name: cpr_hash for name, cpr_hash in rows}


def test_the_upgrade_to_0016_fills_in_every_members_cpr_hash(migrated_app: Flask) -> None:
    with migrated_app.app_context():
        sync_municipalities(load_directory(ROOT / "municipalities"))
        publish_catalogue(load_catalogue(ROOT / "forms"))
        db.session.commit()
        places = {m.slug: m for m in db.session.scalars(select(Municipality))}
        for slug, people in PEOPLE.items():
            with tenant_scope(places[slug]):
                family = enrol_family(places[slug], f"Familien {slug}", date(2026, 3, 2))
                for name, cpr in people:
                    add_member(family, "adult", name, family.enrolment_date, cpr)
                db.session.commit()
        # What the application writes when a number is saved: the migration must agree.
        written = _hashes()
        assert set(written) == {name for people in PEOPLE.values() for name, _ in people}
        assert {name for name, value in written.items() if value is None} == {"Bo Backfill"}
        db.session.commit()

        downgrade(revision="0015_missed_waves")
        db.session.remove()
        columns = {c["name"] for c in inspect(db.engine).get_columns("family_member")}
        assert "cpr_hash" not in columns and "cpr" in columns
        # The numbers are still there, encrypted, with nothing beside them.
        stored = db.session.execute(
            text("SELECT cpr FROM family_member WHERE cpr IS NOT NULL")
        ).scalars()
        assert all(value.startswith("v1:") for value in stored)
        db.session.commit()

        upgrade(revision="0016_member_search")
        db.session.remove()
        assert _hashes() == written
        db.session.commit()

        # And the list's CPR search finds each member by the filled-in hash.
        places = {m.slug: m for m in db.session.scalars(select(Municipality))}
        for slug, people in PEOPLE.items():
            with tenant_scope(places[slug]):
                for name, cpr in people:
                    if cpr is None:
                        continue
                    found = db.session.scalars(
                        select(Family.label)
                        .join(Member, Member.family_id == Family.id)
                        .where(Member.cpr_hash == written[name])
                    ).all()
                    assert found == [f"Familien {slug}"]
                db.session.commit()
