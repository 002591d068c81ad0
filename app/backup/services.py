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
import sqlite3
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy.engine import make_url

from app.backup import postgres, sqlite
from app.backup.base import BackupError, VerificationError
from app.core.db import db
from app.core.version import __version__ as APP_VERSION

#: The shape of the metadata file; a restore refuses shapes it does not know.
FORMAT = 1
SUFFIXES = {"sqlite": "sqlite3", "postgresql": "dump"}
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
#: The first bytes of each kind of file: a SQLite database and a pg_dump custom archive.
_MAGIC = {"sqlite": b"SQLite format 3\x00", "postgresql": b"PGDMP"}


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
            revision, counts = sqlite.backup(url, part)
        else:
            revision, counts = postgres.dump(url, part)
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
        sqlite.check(backup)
    else:
        postgres.check(make_url(database_url), backup)
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
            sqlite.restore(url, backup)
        else:
            postgres.restore(url, backup)
    finally:
        db.engine.dispose()
    if manifest.backend == "sqlite":
        with closing(sqlite3.connect(sqlite.database_path(url))) as connection:
            revision, counts = sqlite.state(connection)
    else:
        with postgres.connect(url) as connection:
            revision, counts = postgres.state(connection)
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
