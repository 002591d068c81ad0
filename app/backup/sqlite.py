"""SQLite backups: the online backup API, in both directions."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import URL

from app.backup.base import LOCK_WAIT_SECONDS, BackupError


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def database_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up or restore")
    return Path(url.database)


def state(connection: sqlite3.Connection) -> tuple[str | None, dict[str, int]]:
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


def backup(url: URL, target: Path) -> tuple[str | None, dict[str, int]]:
    source = database_path(url)
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
        return state(copy)


def _readonly(path: Path) -> sqlite3.Connection:
    # Read-only: checking or restoring a backup must never change it.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def check(backup: Path) -> None:
    try:
        with closing(_readonly(backup)) as connection:
            result = connection.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        result = str(exc)
    if result != "ok":
        raise BackupError(f"{backup} is a damaged SQLite database ({result}): use another backup")


def restore(url: URL, backup: Path) -> None:
    target = database_path(url)
    with (
        closing(_readonly(backup)) as copy,
        closing(sqlite3.connect(target, timeout=LOCK_WAIT_SECONDS)) as live,
    ):
        # The backup API in the other direction: the live file's pages are replaced in one
        # write transaction, so the database is either the old one or the backup's.
        copy.backup(live, progress=_give_up_when_locked(f"the database {target}"))
