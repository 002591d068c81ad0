"""Work that must not hold up a web worker: run in a thread, progress in the database.

The web worker records a job row and returns; :func:`launch` runs the work in a daemon
thread with its own application context. Progress goes through :func:`update_row` on a
connection of its own, so the job's own transaction is untouched until it commits.

A job writes in short transactions that begin with their write, and reads in one that
writes nothing to the database, ended by :func:`end_read` before it writes again. SQLite
has one writer at a time: a transaction that begins with a write waits its turn
(``busy_timeout``), but one that has read cannot become a writer once another connection
has committed since its read began, and fails at once with "database is locked", whatever
the timeout. (The report figures fill a temporary table, so their read is such a
transaction.) Holding the write lock through the read instead would make every other
writer, the job's own progress updates included, wait for the whole job.

Two settings change how :func:`launch` runs the work, for tests: ``EXPORTS_INLINE`` runs
it in the request itself (the same code, without a thread), and ``JOBS_RUN = False``
leaves the job queued without running it at all, for a harness that compares the whole
database before and after each request and must not see a job thread write meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import update

from app.core.db import db, utcnow

#: Where the application keeps what a job carries over from the request that started it.
CARRIED = "helhed.job_carries"

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
    with db.engine.begin() as connection:
        connection.execute(update(model).where(model.id == row_id).values(**values))


def end_read() -> None:
    """End the job's read transaction, so its next write begins a transaction of its own.

    The read must have left nothing to write: whatever it recorded was committed first.
    """
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a job's read left changes behind: commit them before reading")
    session.rollback()


def carry_over(app: Flask, capture: Callable[[], Any]) -> None:
    """Hand what *capture* returns in the starting request to every job, as its third
    argument: the tenant scope (``app.tenancy.scoping`` registers it), which the database's
    row-level security needs to find the job's own rows."""
    app.extensions[CARRIED] = capture


def launch(work: Callable[[Flask, int, Any], None], job_id: int) -> None:
    """Run *work* in a thread, with what the request that started it carries over
    (:func:`carry_over`)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    scope = app.extensions[CARRIED]()
    if not app.config.get("JOBS_RUN", True):
        return
    if app.config.get("EXPORTS_INLINE"):
        work(app, job_id, scope)  # tests: the same code, without a thread
    else:
        threading.Thread(target=work, args=(app, job_id, scope), daemon=True).start()


def output_dir(app: Flask, *parts: str) -> Path:
    """Where finished files wait for download (below EXPORTS_DIR)."""
    folder = Path(app.config["EXPORTS_DIR"]).joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
