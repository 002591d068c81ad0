"""``flask backup create`` / ``restore``: a restore brings back exactly what was backed up.

Each test runs on SQLite and on PostgreSQL. On PostgreSQL the restore replaces the
session's scratch database; the tests after it rely on the same tables, policies, triggers
and grants being back, which the suite's clean-up between tests exercises.

Where the suite runs the application as a role bound by row-level security, the app names
the table owner's URL in ``TEST_OWNER_DATABASE_URL``; backups are run as the owner, as
migrations are, and the tests read and change rows with the owner's rights too.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import create_engine, delete, select, text, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from app.audit.models import AuditEvent
from app.audit.services import record
from app.auth.models import Membership, User
from app.backup.base import safe_url
from app.backup.postgres import libpq
from app.backup.services import code_revisions, manifest_path
from app.config import process_name
from app.core.db import db, listen_to_engine
from app.families.models import Family, Member
from app.families.services import enrol_family
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope


def run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["backup", *args])


def succeeded(result: Result) -> str:
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def refused(result: Result, *phrases: str) -> str:
    assert result.exit_code == 1, result.output + repr(result.exception)
    for phrase in phrases:
        assert phrase in result.output
    return result.output


@pytest.fixture
def owner(app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Run the commands with the table owner's URL; an engine with its rights for reads.

    No pool: nothing the test holds outlives a restore.
    """
    owner_url = app_ctx.config.get("TEST_OWNER_DATABASE_URL")
    if owner_url:
        monkeypatch.setitem(app_ctx.config, "SQLALCHEMY_DATABASE_URI", owner_url)
    engine = create_engine(app_ctx.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    # As the application's engine: real foreign keys and WAL on SQLite.
    listen_to_engine(engine)
    yield engine
    engine.dispose()


def all_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order: the database's whole content."""
    with engine.connect() as connection:
        rows = {
            table.name: [
                tuple(row)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in db.metadata.sorted_tables
        }
        rows["alembic_version"] = [
            tuple(row) for row in connection.execute(text("SELECT * FROM alembic_version"))
        ]
    return rows


def schema_objects(engine: Engine) -> set[tuple[Any, ...]]:
    """What a restore must bring back besides rows: tables, indexes, triggers, and on
    PostgreSQL row-level security, its policies and the grants to the application role."""
    queries = {
        "sqlite": ["SELECT type, tbl_name, name, sql FROM sqlite_master"],
        "postgresql": [
            "SELECT 'table', tablename, '', '' FROM pg_tables WHERE schemaname = 'public'",
            "SELECT 'index', tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = 'public'",
            "SELECT 'policy', tablename, policyname, concat(qual, ' / ', with_check) "
            "FROM pg_policies",
            "SELECT 'trigger', c.relname, t.tgname, t.tgenabled::text FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal",
            "SELECT 'row security', relname, relrowsecurity::text, relforcerowsecurity::text "
            "FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'",
            "SELECT 'grant', table_name, grantee, privilege_type "
            "FROM information_schema.role_table_grants WHERE table_schema = 'public'",
        ],
    }[engine.dialect.name]
    with engine.connect() as connection:
        return {tuple(row) for query in queries for row in connection.execute(text(query))}


def family_labels(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.scalars(select(Family.__table__.c.label)))


def audit_events(engine: Engine) -> list[tuple[str, dict[str, Any]]]:
    table = AuditEvent.__table__
    with engine.connect() as connection:
        return [
            (row.action, row.details)
            for row in connection.execute(
                select(table.c.action, table.c.details).order_by(table.c.id)
            )
        ]


@pytest.fixture
def populated(
    owner: Engine, app_ctx: Flask, make_family: Any, make_user: Any, municipalities: Any
) -> Flask:
    """Two municipalities' families, their staff, and the audit trail that made them."""
    lead = make_user(municipalities["brondby"], "lead")
    make_user(municipalities["brondby"], "staff")
    make_family("brondby", label="Familien Andersen", adults=2, children=2, team=[lead])
    make_family("brondby", label="Familien Berg", enrolment=date(2026, 2, 1))
    make_family("vejle", label="Familien Christensen")
    return app_ctx


def alter_everything(engine: Engine, make_family: Any) -> None:
    """Changes of every kind after the backup: rows added, changed and deleted."""
    make_family("brondby", label="Familien Efter Backup")
    record("test.after_backup", details={"why": "must be gone after the restore"})
    db.session.commit()
    family, member = Family.__table__, Member.__table__
    with engine.begin() as connection:
        connection.execute(
            update(family).where(family.c.label == "Familien Andersen").values(label="Omdøbt")
        )
        connection.execute(update(User.__table__).values(active=False))
        connection.execute(delete(Membership.__table__))
        first_member = connection.scalar(select(member.c.id).order_by(member.c.id).limit(1))
        connection.execute(delete(member).where(member.c.id == first_member))


# -- create and restore ------------------------------------------------------------------


def test_restore_brings_back_exactly_the_backed_up_database(
    populated: Flask, owner: Engine, make_family: Any, tmp_path: Path
) -> None:
    before = all_rows(owner)
    schema = schema_objects(owner)
    out = tmp_path / "nightly.backup"

    output = succeeded(run(populated, "create", "--out", str(out)))
    assert str(out) in output
    assert f"sha256: {json.loads(manifest_path(out).read_text())['sha256']}" in output
    assert audit_events(owner)[-1][0] == "backup.created"

    alter_everything(owner, make_family)
    assert all_rows(owner) != before
    assert "Familien Efter Backup" in family_labels(owner)

    output = succeeded(run(populated, "restore", str(out), "--yes"))
    assert "verified" in output
    assert "flask db upgrade" not in output

    after = all_rows(owner)
    # The audit trail is the backup's plus one event, the restore itself: backup.created
    # was written after the copy, test.after_backup after the backup.
    restored_event = after["audit_event"].pop()
    assert after == before
    assert restored_event[0] > before["audit_event"][-1][0]
    assert family_labels(owner) == {"Familien Andersen", "Familien Berg", "Familien Christensen"}
    assert schema_objects(owner) == schema

    # The restored database takes new work: sequences, grants, policies and pools sound.
    # (The restore closed the session, so objects loaded before it are loaded again.)
    brondby = db.session.scalar(select(Municipality).filter_by(slug="brondby"))
    with tenant_scope(brondby):
        enrol_family(brondby, "Familien Bagefter", date(2026, 3, 1))
        db.session.commit()
    assert "Familien Bagefter" in family_labels(owner)


def test_the_audit_trail_records_create_and_restore(
    populated: Flask, owner: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "audited.backup"
    succeeded(run(populated, "create", "--out", str(out)))
    created = audit_events(owner)[-1]
    sha256 = json.loads(manifest_path(out).read_text())["sha256"]
    assert created[0] == "backup.created"
    assert created[1]["sha256"] == sha256 and created[1]["file"] == str(out)

    succeeded(run(populated, "restore", str(out), "--yes"))
    events = [event for event in audit_events(owner) if event[0].startswith("backup.")]
    # backup.created was written after the copy, so the restore took it away again.
    assert [action for action, _details in events] == ["backup.restored"]
    assert events[0][1]["sha256"] == sha256
    assert events[0][1]["file"] == str(out)
    assert events[0][1]["verified"] is True


def test_backup_file_and_metadata(
    populated: Flask, owner: Engine, backend: str, tmp_path: Path
) -> None:
    out = tmp_path / "check.backup"
    before = all_rows(owner)
    succeeded(run(populated, "create", "--out", str(out)))
    manifest = json.loads(manifest_path(out).read_text())
    heads, _known = code_revisions()

    assert manifest["backend"] == backend
    assert manifest["alembic_revision"] in heads
    assert manifest["app_version"]
    assert manifest["size"] == out.stat().st_size
    for table, rows in before.items():
        assert manifest["row_counts"][table] == len(rows), table
    assert manifest["row_counts"]["family"] == 3
    # Personal data: only the owner may read either file.
    assert out.stat().st_mode & 0o777 == 0o600
    assert manifest_path(out).stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name, manifest_path(out).name]

    if backend == "sqlite":
        with closing(sqlite3.connect(f"{out.as_uri()}?mode=ro", uri=True)) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
            labels = {row[0] for row in copy.execute("SELECT label FROM family")}
        assert labels == {"Familien Andersen", "Familien Berg", "Familien Christensen"}
        # One self-contained file: reading it left nothing beside it.
        assert len(list(tmp_path.iterdir())) == 2
    else:
        listing = subprocess.run(
            ["pg_restore", "--list", str(out)], capture_output=True, text=True, check=True
        ).stdout
        assert "TABLE DATA public family " in listing
        # The database's own guards travel with the data: every policy and trigger.
        for kind, table, name, *_rest in schema_objects(owner):
            if kind in ("policy", "trigger"):
                assert f"{kind.upper()} public {table} {name} " in listing


def test_default_location_is_the_instance_folder(
    populated: Flask, backend: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(populated, "instance_path", str(tmp_path))
    output = succeeded(run(populated, "create"))
    files = sorted((tmp_path / "backups").iterdir())
    suffix = {"sqlite": ".sqlite3", "postgresql": ".dump"}[backend]
    assert [f.name for f in files] == [files[0].name, files[0].name + ".json"]
    assert files[0].name.startswith("helhed-") and files[0].name.endswith(suffix)
    assert str(files[0]) in output


def test_an_existing_backup_is_never_overwritten(populated: Flask, tmp_path: Path) -> None:
    out = tmp_path / "once.backup"
    succeeded(run(populated, "create", "--out", str(out)))
    original = out.read_bytes()
    refused(run(populated, "create", "--out", str(out)), "already exists")
    assert out.read_bytes() == original


# -- refusals -----------------------------------------------------------------------------


def test_restore_without_yes_only_checks_and_explains(
    populated: Flask, owner: Engine, make_family: Any, tmp_path: Path
) -> None:
    out = tmp_path / "careful.backup"
    succeeded(run(populated, "create", "--out", str(out)))
    make_family("brondby", label="Familien Efter Backup")
    before = all_rows(owner)

    # Checking a good backup succeeds (exit 0, no "Error:") and changes nothing.
    output = succeeded(run(populated, "restore", str(out)))
    assert "The backup is good" in output and "--yes" in output and "Error" not in output
    assert "revision" in output  # it says what the backup holds
    assert all_rows(owner) == before
    assert "Familien Efter Backup" in family_labels(owner)


def test_restore_refuses_what_is_not_a_backup(
    populated: Flask, owner: Engine, backend: str, tmp_path: Path
) -> None:
    refused(run(populated, "restore", str(tmp_path / "nowhere.dump"), "--yes"), "no backup file")

    garbage = tmp_path / "garbage.dump"
    garbage.write_bytes(b"this is not a database\n" * 100)
    manifest_path(garbage).write_text("{}")
    refused(run(populated, "restore", str(garbage), "--yes"), "not a Helhed backup")

    # A real backup file without its metadata was interrupted or copied carelessly.
    out = tmp_path / "real.backup"
    succeeded(run(populated, "create", "--out", str(out)))
    before = all_rows(owner)
    metadata = manifest_path(out).read_text()
    manifest_path(out).unlink()
    refused(run(populated, "restore", str(out), "--yes"), "no metadata file")

    # Damaged after it was written: the checksum no longer matches.
    manifest_path(out).write_text(metadata)
    with out.open("ab") as handle:
        handle.write(b"\0")
    refused(run(populated, "restore", str(out), "--yes"), "does not match")

    # The other backend's file.
    other = tmp_path / "other.backup"
    if backend == "sqlite":
        other.write_bytes(b"PGDMP" + b"\0" * 100)
        refused(run(populated, "restore", str(other), "--yes"), "is a PostgreSQL backup")
    else:
        with closing(sqlite3.connect(other)) as connection:
            connection.execute("CREATE TABLE t (x)")
        refused(run(populated, "restore", str(other), "--yes"), "is a SQLite backup")

    assert all_rows(owner) == before


def test_restore_refuses_a_backup_from_newer_software(
    populated: Flask, owner: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "future.backup"
    succeeded(run(populated, "create", "--out", str(out)))
    metadata = json.loads(manifest_path(out).read_text())
    metadata["alembic_revision"] = "9999_from_a_later_version"
    manifest_path(out).write_text(json.dumps(metadata))
    before = all_rows(owner)

    output = refused(run(populated, "restore", str(out), "--yes"), "newer", "upgrade Helhed")
    assert "9999_from_a_later_version" in output
    assert all_rows(owner) == before


def test_a_restore_that_does_not_match_its_metadata_says_so(
    populated: Flask, owner: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "miscounted.backup"
    succeeded(run(populated, "create", "--out", str(out)))
    metadata = json.loads(manifest_path(out).read_text())
    metadata["row_counts"]["family"] += 1
    manifest_path(out).write_text(json.dumps(metadata))

    refused(
        run(populated, "restore", str(out), "--yes"),
        "does not match the backup",
        "table family: 3 rows, the backup has 4",
        "Do not start the application",
    )
    # It did replace the database, and the trail says it could not be verified.
    action, details = audit_events(owner)[-1]
    assert action == "backup.restored" and details["verified"] is False


def set_revision(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})


def test_restore_of_an_older_revision_says_to_upgrade(
    populated: Flask, owner: Engine, tmp_path: Path
) -> None:
    heads, known = code_revisions()
    older = sorted(known - set(heads))[-1]
    # A database that says it is at an older revision stands in for one made by an older
    # version of Helhed.
    set_revision(owner, older)
    try:
        out = tmp_path / "older.backup"
        succeeded(run(populated, "create", "--out", str(out)))
        output = succeeded(run(populated, "restore", str(out), "--yes"))
        assert "verified" in output
        assert f"revision {older} is older" in output
        assert "flask db upgrade" in output
    finally:
        set_revision(owner, heads[0])


def test_a_table_the_backup_does_not_know(
    populated: Flask, owner: Engine, backend: str, tmp_path: Path
) -> None:
    out = tmp_path / "narrow.backup"
    succeeded(run(populated, "create", "--out", str(out)))
    with owner.begin() as connection:
        connection.execute(text("CREATE TABLE added_after_backup (id integer)"))
    try:
        result = run(populated, "restore", str(out), "--yes")
        if backend == "sqlite":
            # The backup API replaces the whole file: the table is simply gone.
            succeeded(result)
        else:
            # pg_restore --clean would leave it behind; refuse rather than half-replace.
            refused(result, "added_after_backup", "empty database")
    finally:
        with owner.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS added_after_backup"))


# pg_dump and the application role are PostgreSQL's: these run there only.
@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_a_failing_pg_dump_shows_its_error_and_leaves_nothing(
    populated: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    fake = tools / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump: error: server version mismatch' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "backups" / "failed.dump"

    refused(run(populated, "create", "--out", str(out)), "pg_dump failed", "version mismatch")
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_the_application_role_cannot_make_a_backup(app_ctx: Flask, tmp_path: Path) -> None:
    assert app_ctx.config["TEST_OWNER_DATABASE_URL"], "the suite runs PostgreSQL as the app role"
    # Row-level security would hide rows from it: refused, never an incomplete backup.
    out = tmp_path / "partial.dump"
    refused(run(app_ctx, "create", "--out", str(out)), "row-level security", "BYPASSRLS")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_a_restore_refuses_while_the_application_is_connected(
    populated: Flask, owner: Engine, make_family: Any, tmp_path: Path
) -> None:
    out = tmp_path / "nightly.dump"
    succeeded(run(populated, "create", "--out", str(out)))
    make_family("brondby", label="Familien Efter Backup")
    db.session.commit()
    # An app server and a job worker of another process, as their engines name themselves.
    url = make_url(populated.config["SQLALCHEMY_DATABASE_URI"])
    dsn, _ = libpq(url)
    running = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import os, psycopg, sys, time; c = psycopg.connect(sys.argv[1], "
                "application_name=sys.argv[2].replace(str(sys.argv[3]), str(os.getpid()))); "
                "print('connected', flush=True); time.sleep(60)",
                dsn,
                # The name this kind of process gives itself, with the child's own pid.
                process_name([program, *words]),
                str(os.getpid()),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for program, words in (("gunicorn", []), ("flask", ["--app", "wsgi", "jobs", "worker"]))
    ]
    try:
        for process in running:
            assert process.stdout is not None and process.stdout.readline() == "connected\n"
        output = refused(
            run(populated, "restore", str(out), "--yes"),
            "2 Helhed processes are connected to the database",
            "1 app server process(es), 1 job worker(s)",
            "Nothing was changed",
        )
        assert "verified" not in output
        assert "Familien Efter Backup" in family_labels(owner)
    finally:
        for process in running:
            process.kill()
            process.wait()
            if process.stdout is not None:
                process.stdout.close()
    # Once they are gone the same restore runs.
    assert "verified" in succeeded(run(populated, "restore", str(out), "--yes"))
    assert "Familien Efter Backup" not in family_labels(owner)


def test_each_process_names_itself_to_the_database() -> None:
    names = {
        ("gunicorn", "-c", "python:app.core.gunicorn_conf", "wsgi:app"): "web",
        ("flask", "--app", "wsgi", "run"): "web",
        ("flask", "--app", "wsgi", "jobs", "worker"): "worker",
        ("flask", "--app", "wsgi", "backup", "restore", "x.dump"): "command",
    }
    for argv, kind in names.items():
        assert process_name(list(argv)) == f"helhed {kind} {os.getpid()}"


# -- credentials --------------------------------------------------------------------------


def test_the_password_travels_in_the_environment_only() -> None:
    url = make_url("postgresql+psycopg://owner:pa%2Fss@db.example:5433/helhed?sslmode=require")
    dsn, env = libpq(url)
    assert "pa/ss" not in dsn and "pa%2Fss" not in dsn
    assert env["PGPASSWORD"] == "pa/ss"
    assert dsn == "postgresql://owner@db.example:5433/helhed?sslmode=require"
    shown = safe_url(url.render_as_string(hide_password=False))
    assert "pa/ss" not in shown and "pa%2Fss" not in shown and "***" in shown
