"""What a job does while it runs: progress in the database, reads that end before writes.

A job is asked for with :func:`app.core.jobs.enqueue` and run by a worker process. Its
progress goes through :func:`update_row` on a connection of its own, so the job's own
transaction is untouched until it commits; the update also tells the job whether it was
cancelled meanwhile (:class:`app.core.jobs.Cancelled`).

A job writes in short transactions that begin with their write, and reads in one that
writes nothing to the database, ended by :func:`end_read` before it writes again. SQLite
has one writer at a time: a transaction that begins with a write waits its turn
(``busy_timeout``), but one that has read cannot become a writer once another connection
has committed since its read began, and fails at once with "database is locked", whatever
the timeout. (The report figures fill a temporary table, so their read is such a
transaction.) Holding the write lock through the read instead would make every other
writer, the job's own progress updates included, wait for the whole job.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import update

from app.core import jobs
from app.core.db import db, utcnow
from app.core.jobs import Cancelled

#: A job not finished this long after it was asked for has lost the thread running it (its
#: worker was restarted or killed): it never will finish, and its page should say so rather
#: than wait for ever. Far beyond any render or export the limits allow.
ABANDONED_AFTER = timedelta(minutes=30)


def job_status(job: Any) -> str:
    """A job's status as its pages show it: "abandoned" for one that will never finish."""
    if job.status in ("queued", "running") and utcnow() - job.created_at > ABANDONED_AFTER:
        return "abandoned"
    return job.status


def update_row(model: Any, row_id: int, **values: object) -> None:
    """Write a job's progress, unless it was cancelled: then raise Cancelled, so the job
    stops at its next step."""
    with db.engine.begin() as connection:
        written = connection.execute(
            update(model).where(model.id == row_id, model.status != "cancelled").values(**values)
        ).rowcount
    if not written:
        raise Cancelled(f"{model.__tablename__} {row_id}")


def cancel_row(model: Any, row_id: int, key: str) -> bool:
    """Cancel a queued or running job (in the request's transaction); False if it had
    finished already."""
    written = db.session.execute(
        update(model)
        .where(model.id == row_id, model.status.in_(("queued", "running")))
        .values(status="cancelled", finished_at=utcnow())
    ).rowcount
    if written:
        jobs.cancel(key)
    return bool(written)


def end_read() -> None:
    """End the job's read transaction, so its next write begins a transaction of its own.

    The read must have left nothing to write: whatever it recorded was committed first.
    """
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a job's read left changes behind: commit them before reading")
    session.rollback()


def output_dir(app: Flask, *parts: str) -> Path:
    """Where finished files wait for download (below EXPORTS_DIR), open to the service's
    user alone: reports and packages hold personal data, and the host's other users must
    not read them whatever the files' own modes are."""
    root = Path(app.config["EXPORTS_DIR"])
    folder = root.joinpath(*parts)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for level in (root, *(root.joinpath(*parts[: i + 1]) for i in range(len(parts)))):
        if level.stat().st_mode & 0o077:
            level.chmod(0o700)  # made before this rule, or by mkdir under a loose umask
    return folder
