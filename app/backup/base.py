"""What every part of the backups shares: its errors, its lock wait, how a URL is shown."""

from __future__ import annotations

from sqlalchemy.engine import make_url

#: How long to wait for a database the application still has locked. Longer than any
#: request holds a lock; a restore blocked for longer means the application is running.
LOCK_WAIT_SECONDS = 30


class BackupError(Exception):
    """A backup or restore cannot go ahead; the message says what to do instead."""


class VerificationError(BackupError):
    """The restore ran, but the database does not match the backup's metadata."""


def safe_url(database_url: str) -> str:
    """The URL to show an operator: never the password."""
    return make_url(database_url).render_as_string(hide_password=True)
