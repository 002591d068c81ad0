"""``flask backup create`` and ``flask backup restore``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click
import psycopg
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from app.audit.services import record
from app.backup.base import BackupError, VerificationError, safe_url
from app.backup.services import (
    BACKEND_NAMES,
    Manifest,
    backend_of,
    check_backup,
    code_revisions,
    create_backup,
    default_path,
    manifest_path,
    restore_backup,
    revision_state,
)
from app.core.db import db
from app.privacy import journal
from app.privacy.reapply import reapply_journal

#: Errors whose message already tells the operator what is wrong and what to do.
_EXPECTED = (BackupError, OSError, sqlite3.Error, psycopg.Error)


def _database_url() -> str:
    return str(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _describe(manifest: Manifest) -> str:
    return (
        f"revision {manifest.alembic_revision or '(none)'}, "
        f"{len(manifest.row_counts)} tables, {manifest.total_rows:,} rows"
    )


@click.group(help="Backups of the whole database (operators).")
def backup() -> None:
    pass


@backup.command("create")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The backup file [default: <instance>/backups/helhed-<UTC time>.<sqlite3|dump>].",
)
@with_appcontext
def create(out: Path | None) -> None:
    """Back up the database (safe while the application runs)."""
    url = _database_url()
    try:
        backend = backend_of(url)
        out = out or default_path(Path(current_app.instance_path), backend)
        manifest = create_backup(url, out)
    except _EXPECTED as exc:
        raise click.ClickException(str(exc)) from exc
    record(
        "backup.created",
        details={
            "file": str(out),
            "backend": backend,
            "size": manifest.size,
            "sha256": manifest.sha256,
            "alembic_revision": manifest.alembic_revision,
        },
    )
    db.session.commit()
    click.echo(f"backup: {out}")
    click.echo(f"size: {manifest.size:,} bytes")
    click.echo(f"sha256: {manifest.sha256}")
    click.echo(f"metadata: {manifest_path(out)} ({_describe(manifest)})")
    click.echo(
        "It holds personal data: keep it encrypted, readable only by the operators, "
        "and separate from FIELD_ENCRYPTION_KEY."
    )


@backup.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm: the current database is replaced.")
@with_appcontext
def restore(file: Path, yes: bool) -> None:
    """Replace the database with a backup and verify the result.

    Without --yes only checks FILE and says what a restore would do.
    """
    url = _database_url()
    try:
        manifest = check_backup(file, url)
        heads, known = code_revisions()
        state = revision_state(manifest.alembic_revision, heads, known)
    except _EXPECTED as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"backup: {file}, {BACKEND_NAMES[manifest.backend]}, made {manifest.created_at} "
        f"by Helhed {manifest.app_version}; {_describe(manifest)}"
    )
    if not yes:
        # A check that found the backup good has succeeded: exit 0, and no "Error:".
        entries = _journal_entries()
        click.echo(
            f"The backup is good. Restoring replaces the current database ({safe_url(url)}) "
            f"with it: everything written since {manifest.created_at} is lost, except the "
            f"erasures and retention purges of the privacy journal ({len(entries)} entries), "
            "which are applied again. Stop the application, then run the command again with "
            "--yes."
        )
        return
    try:
        restored = restore_backup(file, url, manifest)
    except VerificationError as exc:
        # The database was replaced all the same: the trail must say so.
        _record_restore(file, manifest, verified=False)
        raise click.ClickException(str(exc)) from exc
    except _EXPECTED as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(restored.row_counts.values())
    click.echo(
        f"restored into {safe_url(url)} and verified: revision "
        f"{restored.alembic_revision or '(none)'}; the row counts of all "
        f"{len(restored.row_counts)} tables match the backup ({rows:,} rows)"
    )
    _record_restore(file, manifest, verified=True)
    if state == "older":
        entries = _journal_entries()
        click.echo(
            f"The backup's revision {manifest.alembic_revision or '(none)'} is older than this "
            f"software's ({', '.join(heads)}): run `flask db upgrade` now, then "
            f"`flask privacy reapply` (the privacy journal's {len(entries)} erasures and "
            "retention purges are applied to the current schema only), before starting the "
            "application."
        )
    else:
        _reapply_privacy_journal()


def _journal_entries() -> list[journal.Entry]:
    try:
        return journal.read()[0]
    except OSError as exc:
        raise click.ClickException(
            f"cannot read the privacy journal {journal.journal_path()}: {exc}. Make it "
            "readable (PRIVACY_JOURNAL): its erasures and retention purges must be applied "
            "again after a restore (`flask privacy reapply`)"
        ) from exc


def _reapply_privacy_journal() -> None:
    """Erase again whoever the restore brought back (see app.privacy.journal)."""
    try:
        result = reapply_journal()
        db.session.commit()
    except (SQLAlchemyError, OSError) as exc:
        db.session.rollback()
        raise click.ClickException(
            f"the database is restored, but applying the privacy journal again failed: {exc}. "
            "Do not start the application before `flask privacy reapply` succeeds"
        ) from exc
    click.echo(result.summary())


def _record_restore(file: Path, manifest: Manifest, *, verified: bool) -> None:
    try:
        record(
            "backup.restored",
            details={
                "file": str(file),
                "backend": manifest.backend,
                "sha256": manifest.sha256,
                "created_at": manifest.created_at,
                "alembic_revision": manifest.alembic_revision,
                "verified": verified,
            },
        )
        db.session.commit()
    except SQLAlchemyError as exc:
        # The data is restored either way; an older schema may not take today's audit row.
        db.session.rollback()
        click.echo(
            f"warning: the restore could not be recorded in the audit trail: {exc}", err=True
        )
