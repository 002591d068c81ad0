"""PostgreSQL backups: ``pg_dump`` and ``pg_restore`` of custom-format archives."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

from app.backup.base import LOCK_WAIT_SECONDS, BackupError, safe_url
from app.config import APPLICATION_NAME


def libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URL without the password, and an environment that carries it.

    The password goes in ``PGPASSWORD``, never on a command line (which other users of
    the machine can read) or into anything printed.
    """
    dsn = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    ).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    env.setdefault("PGAPPNAME", "helhed-backup")
    return dsn, env


def _role_hint(message: str) -> str:
    """What to do when the role in the URL is not the one backups need."""
    if "row-level security" in message:
        # Reading or writing only the rows a policy lets through would make an incomplete
        # backup or restore look complete, so both refuse instead (row_security = off).
        return (
            "\nThe role in DATABASE_URL is held by row-level security, so it cannot see "
            "every row. Run backups and restores as the role that owns the tables (the one "
            "that runs `flask db upgrade`), given BYPASSRLS: ALTER ROLE <owner> BYPASSRLS"
        )
    if "must be owner" in message:
        return (
            "\nRun restores as the role that owns the tables (the one that runs "
            "`flask db upgrade`), not as the application's role"
        )
    return ""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found on PATH: install the PostgreSQL client programs of the "
            "server's major version (e.g. the postgresql-client-15 package)"
        )
    return path


def connect(url: URL) -> psycopg.Connection[Any]:
    dsn, _env = libpq(url)
    password = None if url.password is None else str(url.password)
    try:
        return psycopg.connect(dsn, password=password, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise BackupError(f"cannot connect to {safe_url(str(url))}: {exc}") from exc


def state(connection: psycopg.Connection[Any]) -> tuple[str | None, dict[str, int]]:
    # As pg_dump does: a table that row-level security would filter is an error here,
    # never a silently smaller count.
    connection.execute("SET LOCAL row_security = off")
    tables = [
        row[0]
        for row in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
    ]
    counts = {
        table: int(
            connection.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]
        )
        for table in tables
    }
    revision = None
    if "alembic_version" in counts:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return revision, counts


def dump(url: URL, target: Path) -> tuple[str | None, dict[str, int]]:
    pg_dump = _tool("pg_dump")
    dsn, env = libpq(url)
    with connect(url) as connection:
        # pg_dump reads the snapshot this transaction exports, so the row counts and the
        # archive describe the same instant even while the application writes.
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        try:
            revision, counts = state(connection)
        except psycopg.Error as exc:
            raise BackupError(
                f"cannot read the database's tables: {exc}{_role_hint(str(exc))}"
            ) from exc
        snapshot = connection.execute("SELECT pg_export_snapshot()").fetchone()[0]
        with target.open("wb") as handle:
            result = subprocess.run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--dbname={dsn}"],
                stdout=handle,
                stderr=subprocess.PIPE,
                env=env,
                check=False,
            )
        connection.rollback()
    if result.returncode != 0:
        stderr = result.stderr.decode(errors="replace").strip()
        raise BackupError(
            f"pg_dump failed (exit status {result.returncode}); no backup was written:\n"
            f"{stderr}{_role_hint(stderr)}"
        )
    return revision, counts


def _archive_tables(backup: Path) -> set[str]:
    """The tables a pg_dump archive holds, from its table of contents."""
    result = subprocess.run(
        [_tool("pg_restore"), "--list", str(backup)], capture_output=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(
            f"{backup} is not a readable pg_dump archive:\n"
            + result.stderr.decode(errors="replace").strip()
        )
    # e.g. "215; 1259 16389 TABLE public family helhed"; "TABLE DATA …" lines have more words.
    entry = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) (\S+)(?: \S+)?$")
    return {
        match.group(2)
        for line in result.stdout.decode(errors="replace").splitlines()
        if (match := entry.match(line))
    }


def check(url: URL, backup: Path) -> None:
    archived = _archive_tables(backup)
    with connect(url) as connection:
        present = {
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        }
    # pg_restore --clean drops only what the archive has. A table the backup does not know
    # (added by a later migration) would survive, keep foreign keys into restored tables
    # and make the next `flask db upgrade` fail.
    extra = sorted(present - archived)
    if extra:
        raise BackupError(
            f"the database has tables the backup does not: {', '.join(extra)}. It was "
            "migrated past the backup's revision. Restore into an empty database instead "
            "(create one, point DATABASE_URL at it, restore, then `flask db upgrade`)"
        )


def connected_processes(url: URL) -> list[str]:
    """The Helhed processes other than this one connected to the database, by kind."""
    mine = f" {os.getpid()}"
    with connect(url) as connection:
        names = connection.execute(
            "SELECT application_name FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND application_name LIKE %s",
            (f"{APPLICATION_NAME} %",),
        ).fetchall()
    return sorted(name for (name,) in names if not name.endswith(mine))


def refuse_while_connected(url: URL) -> None:
    """A restore beside a running application would pull the tables from under it, and
    the application could write into the restored database before it is checked."""
    others = connected_processes(url)
    if not others:
        return
    kinds: dict[str, int] = {}
    for name in others:
        kind = name.split(" ")[1] if name.count(" ") >= 2 else "command"
        kinds[kind] = kinds.get(kind, 0) + 1
    described = ", ".join(f"{n} {_KINDS.get(k, k)}" for k, n in sorted(kinds.items()))
    raise BackupError(
        f"{len(others)} Helhed processes are connected to the database ({described}): stop "
        "the app servers and job workers first (`systemctl stop helhed-web "
        "'helhed-worker@*'`, docs/backups.md), then run the restore again. Nothing was "
        "changed."
    )


_KINDS = {"web": "app server process(es)", "worker": "job worker(s)", "command": "command(s)"}


def restore(url: URL, backup: Path) -> None:
    refuse_while_connected(url)
    dsn, env = libpq(url)
    # A table still locked by a running application would make pg_restore wait forever.
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={LOCK_WAIT_SECONDS}s".strip()
    result = subprocess.run(
        [
            _tool("pg_restore"),
            # Drop what the archive holds before recreating it; IF EXISTS so a restore into
            # an empty database does not fail on the drops.
            "--clean",
            "--if-exists",
            # Objects belong to the role that restores (the URL's), which need not be the
            # role that made the backup on another server.
            "--no-owner",
            # All or nothing: a failure leaves the database as it was.
            "--single-transaction",
            # Privileges are restored (no --no-privileges): the tables are dropped and
            # recreated, and without their GRANTs the application's role could no longer
            # use them. The roles named must exist on the server; roles are not part of a
            # database's dump, and a missing one fails the restore as a whole.
            f"--dbname={dsn}",
            str(backup),
        ],
        capture_output=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        stderr = result.stderr.decode(errors="replace").strip()
        hint = (
            " Stop the application, which holds locks on the tables, and try again."
            if "lock timeout" in stderr
            else ""
        )
        raise BackupError(
            f"pg_restore failed (exit status {result.returncode}); it runs in one "
            f"transaction, so the database is unchanged.{hint}\n{stderr}{_role_hint(stderr)}"
        )
