"""Migrations change the schema and lose no row.

SQLite alters a table by copying it and dropping the old one; with foreign keys on, the
drop deletes every row that points at the table through ON DELETE CASCADE. A new column
on ``user_account`` once took every API token and membership with it. This test fills a
database at the head with the demonstration data (every table that data reaches), steps
down to the last released revision and up again, one revision at a time, and compares
the row counts of every table after each step, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.api.tokens import create_token
from app.core.db import db
from app.definitions.loader import load_catalogue
from app.demo.generate import generate
from app.demo.services import DEFAULT_PASSWORD, seed_demo
from app.tenancy.config_files import load_directory
from app.tenancy.models import Membership, Municipality
from app.tenancy.scoping import unscoped
from tests.support.apps import TEST_CONFIG, scratch_database_url

#: The head of the last release: every revision after it is checked step by step.
RELEASED = "0014_check_confirmations"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    yield from scratch_database_url(request, tmp_path, "steps")


def _counts() -> dict[str, int]:
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT set_config('helhed.cross_tenant', 'on', true)")
        return {
            table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in inspect(connection).get_table_names()
            if table != "alembic_version"
        }


def test_every_step_since_the_release_keeps_every_row(empty_database):
    app = create_app({**TEST_CONFIG, "DATABASE_URL": empty_database})
    with app.app_context():
        upgrade()
        with unscoped("filling a scratch database for the migration steps"):
            seed_demo(
                load_directory(Path(app.config["MUNICIPALITIES_DIR"])),
                DEFAULT_PASSWORD,
                load_catalogue(Path(app.config["FORMS_DIR"])),
            )
            db.session.commit()
            for municipality in db.session.scalars(db.select(Municipality)).all():
                generate(municipality, 12, seed=3)
                # An API token points at its user and membership with ON DELETE CASCADE.
                first = db.session.scalar(
                    db.select(Membership).where(Membership.municipality_id == municipality.id)
                )
                create_token(first.user, municipality, "migration steps")
            db.session.commit()
        db.session.remove()
        at_head = _counts()
        assert at_head["api_token"] and at_head["membership"] and at_head["submission"]
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        steps = [
            r.revision for r in script.walk_revisions(base=RELEASED, head="heads")
        ]  # newest first
        assert len(steps) > 1
        for down_to in steps[1:]:
            downgrade(revision=down_to)
            now = _counts()
            lost = {t: (at_head[t], n) for t, n in now.items() if t in at_head and n != at_head[t]}
            assert not lost, f"down to {down_to}: (rows before, after) {lost}"
        for up_to in reversed(steps[:-1]):
            upgrade(revision=up_to)
            now = _counts()
            lost = {t: (at_head[t], n) for t, n in now.items() if t in at_head and n != at_head[t]}
            assert not lost, f"up to {up_to}: (rows before, after) {lost}"
        assert _counts() == at_head
        db.engine.dispose()
