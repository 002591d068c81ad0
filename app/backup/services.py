"""Creating, checking and restoring backups; the commands are in :mod:`app.backup.cli`.

A backup is two files: the database copy (``.sqlite3`` or a ``pg_dump`` custom archive
``.dump``) and its metadata (the same name plus ``.json``). The metadata says which
backend and migration revision the copy holds and how many rows each table had, so a
restore can refuse what it cannot restore and prove afterwards that it restored it all.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from app import __version__ as APP_VERSION
from app.core.db import db

#: The shape of the metadata file; a restore refuses shapes it does not know.
FORMAT = 1
SUFFIXES = {"sqlite": "sqlite3", "postgresql": "dump"}
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
#: The first bytes of each kind of file: a SQLite database and a pg_dump custom archive.
_MAGIC = {"sqlite": b"SQLite format 3\x00", "postgresql": b"PGDMP"}
#: How long to wait for a database the application still has locked. Longer than any
#: request holds a lock; a restore blocked for longer means the application is running.
LOCK_WAIT_SECONDS = 30


class BackupError(Exception):
    """A backup or restore cannot go ahead; the message says what to do instead."""


class VerificationError(BackupError):
    """The restore ran, but the database does not match the backup's metadata."""


@dataclass(frozen=True)
class Manifest:
    """The metadata file written next to every backup."""

    created_at: str
    backend: str
    #: The database's migration revision (``alembic_version``); None before any migration.
    alembic_revision: str | None
    app_version: str
    #: Rows per table, counted in the same snapshot the backup copied.
    row_counts: dict[str, int]
    #: The backup file's name (not its path: backups are moved between machines).
    file: str
    size: int
    sha256: str
    format: int = FORMAT

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())

    def dumps(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("format") != FORMAT:
                raise BackupError(
                    f"{path.name} has metadata format {raw.get('format')!r}; this version of "
                    f"Helhed reads format {FORMAT}: restore with the version that made it"
                )
            return cls(
                created_at=str(raw["created_at"]),
                backend=str(raw["backend"]),
                alembic_revision=raw["alembic_revision"],
                app_version=str(raw["app_version"]),
                row_counts={str(k): int(v) for k, v in raw["row_counts"].items()},
                file=str(raw["file"]),
                size=int(raw["size"]),
                sha256=str(raw["sha256"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(
                f"{path} is not readable backup metadata ({exc.__class__.__name__}: {exc}); "
                "it must be the .json file written with the backup"
            ) from exc


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    alembic_revision: str | None
    row_counts: dict[str, int]


# -- names and places ---------------------------------------------------------------------


def backend_of(database_url: str) -> str:
    backend = make_url(database_url).get_backend_name()
    if backend not in SUFFIXES:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {backend!r}")
    return backend


def safe_url(database_url: str) -> str:
    """The URL to show an operator: never the password."""
    return make_url(database_url).render_as_string(hide_password=True)


def default_path(instance_path: Path, backend: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return instance_path / "backups" / f"helhed-{stamp}.{SUFFIXES[backend]}"


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".json")


def _part(path: Path) -> Path:
    return path.with_name(path.name + ".part")


def _private_file(path: Path) -> None:
    """Create *path* empty and readable by its owner only: backups hold personal data."""
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def checksum(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


# -- create -------------------------------------------------------------------------------


def create_backup(database_url: str, out: Path) -> Manifest:
    """Copy the database to *out* and write its metadata next to it.

    Both are written under temporary names and renamed at the end, the metadata last: a
    restore needs the metadata, so an interrupted backup never passes for a complete one.
    """
    url = make_url(database_url)
    backend = backend_of(database_url)
    sidecar = manifest_path(out)
    for existing in (out, sidecar):
        if existing.exists():
            raise BackupError(
                f"{existing} already exists; a backup is never overwritten: "
                "choose another --out or move the old one away"
            )
    out.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    part, sidecar_part = _part(out), _part(sidecar)
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        _private_file(part)
        if backend == "sqlite":
            revision, counts = _sqlite_backup(url, part)
        else:
            revision, counts = _pg_dump(url, part)
        size, sha256 = checksum(part)
        manifest = Manifest(
            created_at=created_at,
            backend=backend,
            alembic_revision=revision,
            app_version=APP_VERSION,
            row_counts=counts,
            file=out.name,
            size=size,
            sha256=sha256,
        )
        _private_file(sidecar_part)
        sidecar_part.write_text(manifest.dumps(), encoding="utf-8")
        # On disk before the names say "complete", so a crash cannot leave a complete-
        # looking backup with missing contents.
        _fsync(part)
        _fsync(sidecar_part)
        part.replace(out)
        sidecar_part.replace(sidecar)
        _fsync(out.parent)
    except BaseException:
        part.unlink(missing_ok=True)
        sidecar_part.unlink(missing_ok=True)
        if not sidecar.exists():
            # *out* did not exist when we started, so a copy there without metadata is ours.
            out.unlink(missing_ok=True)
        raise
    return manifest


# -- check before restoring ---------------------------------------------------------------


def check_backup(backup: Path, database_url: str) -> Manifest:
    """The backup's metadata, once the file is known to be a complete backup for this
    database; refuses (BackupError) anything else before the database is touched."""
    backend = backend_of(database_url)
    if not backup.is_file():
        raise BackupError(f"no backup file {backup}: check the path")
    with backup.open("rb") as handle:
        head = handle.read(16)
    kind = next((name for name, magic in _MAGIC.items() if head.startswith(magic)), None)
    if kind is None:
        raise BackupError(
            f"{backup} is not a Helhed backup: it is neither a SQLite database nor a "
            "pg_dump custom archive"
        )
    if kind != backend:
        raise BackupError(
            f"{backup} is a {BACKEND_NAMES[kind]} backup, but this installation uses "
            f"{BACKEND_NAMES[backend]}: restore it into a {BACKEND_NAMES[kind]} installation"
        )
    sidecar = manifest_path(backup)
    if not sidecar.is_file():
        raise BackupError(
            f"{backup} has no metadata file {sidecar.name} next to it. A backup is complete "
            "only with it: the backup was interrupted, or the file was copied without it"
        )
    manifest = Manifest.load(sidecar)
    if manifest.backend != backend:
        raise BackupError(
            f"{sidecar.name} describes a {manifest.backend} backup, but this installation "
            f"uses {BACKEND_NAMES[backend]}"
        )
    size, sha256 = checksum(backup)
    if (size, sha256) != (manifest.size, manifest.sha256):
        raise BackupError(
            f"{backup} does not match {sidecar.name} (size or SHA-256 differs): the file "
            "is damaged or incomplete, or the metadata belongs to another backup"
        )
    if backend == "sqlite":
        _sqlite_check(backup)
    else:
        _pg_check(make_url(database_url), backup)
    return manifest


def revision_state(revision: str | None, heads: tuple[str, ...], known: set[str]) -> str:
    """``"current"`` or ``"older"`` than this software's migrations; refuses a newer one.

    A revision the code does not know comes from a later version of Helhed: its tables
    may have columns this code would drop or misread.
    """
    if revision in heads:
        return "current"
    if revision is None or revision in known:
        return "older"
    raise BackupError(
        f"the backup's database revision {revision} is newer than this software knows "
        f"(its newest is {', '.join(heads)}): upgrade Helhed to the version that made the "
        "backup (see app_version in its .json file) first, then restore"
    )


def code_revisions() -> tuple[tuple[str, ...], set[str]]:
    """The migration heads and every revision this code's migrations know."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    return tuple(script.get_heads()), {rev.revision for rev in script.walk_revisions()}


# -- restore ------------------------------------------------------------------------------


def restore_backup(backup: Path, database_url: str, manifest: Manifest) -> Restored:
    """Replace the database with *backup* (checked by :func:`check_backup`) and verify it.

    Raises BackupError when the restore fails (the database is unchanged) or when the
    restored database does not match the metadata.
    """
    url = make_url(database_url)
    # Our own pooled connections may hold locks on the tables being replaced and, on
    # PostgreSQL, prepared statements for them: give them all back before, and drop them
    # after, so nothing opened before the restore is used after it.
    db.session.close()
    db.engine.dispose()
    try:
        if manifest.backend == "sqlite":
            _sqlite_restore(url, backup)
        else:
            _pg_restore(url, backup)
    finally:
        db.engine.dispose()
    if manifest.backend == "sqlite":
        with closing(sqlite3.connect(_sqlite_path(url))) as connection:
            revision, counts = _sqlite_state(connection)
    else:
        with _pg_connect(url) as connection:
            revision, counts = _pg_state(connection)
    _verify(manifest, revision, counts)
    return Restored(manifest, revision, counts)


def _verify(manifest: Manifest, revision: str | None, counts: dict[str, int]) -> None:
    problems = []
    if revision != manifest.alembic_revision:
        problems.append(f"revision {revision}, the backup's is {manifest.alembic_revision}")
    for table in sorted(set(counts) | set(manifest.row_counts)):
        found, expected = counts.get(table), manifest.row_counts.get(table)
        if found != expected:
            problems.append(
                f"table {table}: "
                + ("missing" if found is None else f"{found} rows")
                + (", not in the backup" if expected is None else f", the backup has {expected}")
            )
    if problems:
        raise VerificationError(
            "the restore ran but the database does not match the backup: "
            + "; ".join(problems)
            + ". Do not start the application on it: restore again, or from another backup"
        )


# -- SQLite -------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up or restore")
    return Path(url.database)


def _sqlite_state(connection: sqlite3.Connection) -> tuple[str | None, dict[str, int]]:
    tables = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    ]
    counts = {
        table: int(connection.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0])
        for table in tables
    }
    revision = None
    if "alembic_version" in counts:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return revision, counts


def _give_up_when_locked(what: str) -> Callable[[int, int, int], None]:
    """A progress callback for ``Connection.backup``, which on its own retries a locked
    database forever."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS

    def progress(status: int, remaining: int, total: int) -> None:
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and time.monotonic() > deadline:
            raise BackupError(
                f"{what} stayed locked for {LOCK_WAIT_SECONDS} s: another process holds it. "
                "Stop the application (and any other command using the database) and try again"
            )

    return progress


def _sqlite_backup(url: URL, target: Path) -> tuple[str | None, dict[str, int]]:
    source = _sqlite_path(url)
    if not source.is_file():
        raise BackupError(f"the SQLite database {source} does not exist: check DATABASE_URL")
    with (
        closing(sqlite3.connect(source, timeout=LOCK_WAIT_SECONDS)) as live,
        closing(sqlite3.connect(target)) as copy,
    ):
        # One step (all pages at once) copies a consistent snapshot under a read lock; in
        # WAL mode the running application goes on writing meanwhile.
        live.backup(copy, progress=_give_up_when_locked(f"the database {source}"))
        # The copy inherits WAL mode from the live file's header; a backup should be one
        # self-contained file that opening it read-only leaves no -wal/-shm files beside.
        copy.execute("PRAGMA journal_mode=DELETE")
        # Counted in the copy itself, so the metadata describes exactly what it holds.
        return _sqlite_state(copy)


def _readonly(path: Path) -> sqlite3.Connection:
    # Read-only: checking or restoring a backup must never change it.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _sqlite_check(backup: Path) -> None:
    try:
        with closing(_readonly(backup)) as connection:
            result = connection.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        result = str(exc)
    if result != "ok":
        raise BackupError(f"{backup} is a damaged SQLite database ({result}): use another backup")


def _sqlite_restore(url: URL, backup: Path) -> None:
    target = _sqlite_path(url)
    with (
        closing(_readonly(backup)) as copy,
        closing(sqlite3.connect(target, timeout=LOCK_WAIT_SECONDS)) as live,
    ):
        # The backup API in the other direction: the live file's pages are replaced in one
        # write transaction, so the database is either the old one or the backup's.
        copy.backup(live, progress=_give_up_when_locked(f"the database {target}"))


# -- PostgreSQL ---------------------------------------------------------------------------


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
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


def _pg_connect(url: URL) -> psycopg.Connection[Any]:
    dsn, _env = _libpq(url)
    password = None if url.password is None else str(url.password)
    try:
        return psycopg.connect(dsn, password=password, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise BackupError(f"cannot connect to {safe_url(str(url))}: {exc}") from exc


def _pg_state(connection: psycopg.Connection[Any]) -> tuple[str | None, dict[str, int]]:
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


def _pg_dump(url: URL, target: Path) -> tuple[str | None, dict[str, int]]:
    pg_dump = _tool("pg_dump")
    dsn, env = _libpq(url)
    with _pg_connect(url) as connection:
        # pg_dump reads the snapshot this transaction exports, so the row counts and the
        # archive describe the same instant even while the application writes.
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        try:
            revision, counts = _pg_state(connection)
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


def _pg_check(url: URL, backup: Path) -> None:
    archived = _archive_tables(backup)
    with _pg_connect(url) as connection:
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


def _pg_restore(url: URL, backup: Path) -> None:
    dsn, env = _libpq(url)
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
