"""The job queue: work that outlives the request that asked for it, run by ``flask jobs worker``.

A feature registers a task by name (:func:`task`) and asks for it with :func:`enqueue`,
inside the request's own transaction: the job is a row written through the request's
session, so a request that rolls back leaves no job, and one that commits leaves exactly
one. Workers are separate processes (:func:`run_worker`), as many as the load needs, on
any machine that reaches the database.

Two queues stand behind the same interface:

- on PostgreSQL, Procrastinate (:mod:`app.core.procrastinate_queue`): its jobs table, its
  retries with backoff, its heartbeats, and its periodic tasks, deferred once per tick
  whatever the number of workers;
- on SQLite (``make run``), the small ``job_queue`` table below, claimed by a local worker
  one row at a time (SQLite has one writer, so a claim is a conditional update).

Either way a task is retried after a failure (``JOBS_RETRIES`` attempts in all, waiting
``JOBS_BACKOFF_SECONDS`` plus 2, 4, 8 … seconds between them), and a job whose worker
died (no heartbeat for ``JOBS_STALLED_SECONDS``) is handed to another worker. A task's
progress and outcome are the feature's own rows (``ReportJob``, ``ExportJob``), which the
pages read; a cancelled job stops at its next progress step (:class:`Cancelled`).

Tests keep two settings: ``EXPORTS_INLINE`` runs the task in the request itself, after the
request's work is committed, and ``JOBS_RUN = False`` asks for no job at all, for a
harness that compares the whole database before and after each request.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from app.core import logs
from app.core.db import JSONType, UTCDateTime, db, utcnow
from app.core.tasks import (
    CARRIED,
    PERIODIC,
    REQUESTED_BY,
    TASKS,
    Cancelled,
    attempt,
    carry_over,
    execute,
    last_attempt,
    periodic,
    task,
    test_delay,
)

__all__ = [
    "Cancelled",
    "attempt",
    "cancel",
    "carry_over",
    "enqueue",
    "execute",
    "last_attempt",
    "periodic",
    "run_worker",
    "task",
    "test_delay",
]

log = logging.getLogger("helhed.jobs")

#: The local queue's states; Procrastinate's are its own (todo, doing, succeeded, ...).
QUEUE_STATUSES = ("queued", "running", "done", "failed", "cancelled")


def uses_procrastinate(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


class QueuedJob(db.Model):
    """A job of the local queue (SQLite). Holds only ids and the carried scope, never a
    person's data; the feature's own job row holds the progress the pages show."""

    __tablename__ = "job_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(100))
    #: What the task is called with, the carried scope included.
    args: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: Names the job for cancelling it: the feature's row, such as "report_job:7".
    key: Mapped[str | None] = mapped_column(String(100), default=None, index=True)
    #: queued, running, done, failed or cancelled.
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The worker running it and its last sign of life: a job whose worker fell silent is
    #: queued again.
    worker: Mapped[str | None] = mapped_column(String(100), default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: The last failure's exception class (never its message, which may quote a value).
    error: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


def enqueue(name: str, *, key: str | None = None, **args: Any) -> None:
    """Ask for the task *name* in the current transaction; it runs once that commits."""
    if name not in TASKS:
        raise KeyError(f"no task {name!r}")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("JOBS_RUN", True):
        return
    capture, _rebuild = app.extensions[CARRIED]
    payload = {**args, "scope": capture()}
    if (asked_by := logs.request_id()) is not None:
        payload[REQUESTED_BY] = asked_by
    if app.config.get("EXPORTS_INLINE"):
        # Tests: the worker's code, in the request. The worker would see the request's
        # work committed, so it is committed first.
        db.session.commit()
        execute(app, name, payload)
        return
    if uses_procrastinate(app):
        # Imported here: only PostgreSQL needs Procrastinate.
        from app.core import procrastinate_queue

        procrastinate_queue.defer(db.session, name, payload, key)
    else:
        db.session.add(QueuedJob(task=name, args=payload, key=key))


def cancel(key: str) -> None:
    """Cancel the queued job named *key* (in the current transaction). A running job
    learns of it from its own row, which the caller marks cancelled."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if uses_procrastinate(app):
        # Imported here: only PostgreSQL needs Procrastinate.
        from app.core import procrastinate_queue

        procrastinate_queue.cancel(db.session, key)
        return
    db.session.execute(
        update(QueuedJob)
        .where(QueuedJob.key == key, QueuedJob.status.in_(("queued", "running")))
        .values(status="cancelled", finished_at=utcnow())
    )


def backoff(app: Flask, attempts: int) -> timedelta:
    """The wait before the next attempt, after *attempts* made: JOBS_BACKOFF_SECONDS
    plus 2, 4, 8 … seconds, as Procrastinate's retry strategy waits."""
    return timedelta(seconds=int(app.config["JOBS_BACKOFF_SECONDS"]) + 2**attempts)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


# -- the local worker (SQLite) ---------------------------------------------------------------


def recover_stalled(app: Flask) -> int:
    """Queue again every running job whose worker has been silent too long; how many."""
    silent = utcnow() - timedelta(seconds=float(app.config["JOBS_STALLED_SECONDS"]))
    with db.engine.begin() as connection:
        result = connection.execute(
            update(QueuedJob)
            .where(QueuedJob.status == "running", QueuedJob.heartbeat_at < silent)
            .values(status="queued", worker=None)
        )
    if result.rowcount:
        log.warning("%d jobs of a stopped worker queued again", result.rowcount)
    return int(result.rowcount)


def _claim(name: str) -> QueuedJob | None:
    """Take the oldest due job, or None. The update is conditional on the row still being
    queued, so of two workers that chose the same row only one gets it."""
    while True:
        with db.engine.begin() as connection:
            job_id = connection.scalar(
                select(QueuedJob.id)
                .where(QueuedJob.status == "queued", QueuedJob.run_after <= utcnow())
                .order_by(QueuedJob.id)
                .limit(1)
            )
            if job_id is None:
                return None
            taken = connection.execute(
                update(QueuedJob)
                .where(QueuedJob.id == job_id, QueuedJob.status == "queued")
                .values(
                    status="running",
                    worker=name,
                    heartbeat_at=utcnow(),
                    attempts=QueuedJob.attempts + 1,
                )
            ).rowcount
        if taken:
            job = db.session.get(QueuedJob, job_id)
            db.session.rollback()  # a plain copy: the task has the session to itself
            return job


def _finish(job_id: int, **values: Any) -> None:
    with db.engine.begin() as connection:
        # Not over a cancellation that came while the job ran.
        connection.execute(
            update(QueuedJob)
            .where(QueuedJob.id == job_id, QueuedJob.status == "running")
            .values(**values)
        )


def _beat(app: Flask, job_id: int, done: threading.Event) -> None:
    with app.app_context():
        while not done.wait(float(app.config["JOBS_HEARTBEAT_SECONDS"])):
            with db.engine.begin() as connection:
                connection.execute(
                    update(QueuedJob).where(QueuedJob.id == job_id).values(heartbeat_at=utcnow())
                )


def run_one(app: Flask, name: str) -> bool:
    """Claim and run one job of the local queue; False if none was due."""
    job = _claim(name)
    if job is None:
        return False
    done = threading.Event()
    beat = threading.Thread(target=_beat, args=(app, job.id, done), daemon=True)
    beat.start()
    # The failure's line too carries the job and its request.
    with logs.job_context(job.task, job.args.get(REQUESTED_BY)):
        try:
            with attempt(last=job.attempts >= int(app.config["JOBS_RETRIES"])):
                execute(app, job.task, job.args)
        except Cancelled:
            _finish(job.id, status="cancelled", finished_at=utcnow())
        except Exception as exc:  # a task's failure is the queue's to retry, whatever it is
            db.session.rollback()
            log.exception("job %s (%s) failed, attempt %d", job.id, job.task, job.attempts)
            if job.attempts < int(app.config["JOBS_RETRIES"]):
                _finish(
                    job.id,
                    status="queued",
                    worker=None,
                    run_after=utcnow() + backoff(app, job.attempts),
                    error=type(exc).__name__,
                )
            else:
                _finish(job.id, status="failed", error=type(exc).__name__, finished_at=utcnow())
        else:
            _finish(job.id, status="done", finished_at=utcnow())
        finally:
            done.set()
            beat.join()
            db.session.remove()
    return True


def _run_periodic(app: Flask, last: dict[str, float]) -> None:
    for entry in PERIODIC.values():
        if time.monotonic() - last.get(entry.name, -1e9) < entry.interval(app):
            continue
        last[entry.name] = time.monotonic()
        try:
            entry.run(app)
        except Exception:  # the worker must outlive one bad periodic run
            log.exception("periodic task %s failed", entry.name)
        finally:
            db.session.remove()


def run_local_worker(
    app: Flask, stop: threading.Event | None = None, *, drain: bool = False
) -> None:
    """The local queue's worker: recover, then claim and run jobs until *stop* is set (or,
    with *drain*, until no job is due), running the periodic tasks on their schedule."""
    stop = stop or threading.Event()
    name = worker_name()
    last: dict[str, float] = {}
    with app.app_context():
        recover_stalled(app)
        checked = time.monotonic()
        while not stop.is_set():
            _run_periodic(app, last)
            if time.monotonic() - checked > float(app.config["JOBS_HEARTBEAT_SECONDS"]):
                recover_stalled(app)
                checked = time.monotonic()
            if run_one(app, name):
                continue
            if drain:
                return
            stop.wait(float(app.config["JOBS_POLL_SECONDS"]))


def run_worker(app: Flask, stop: threading.Event | None = None, *, drain: bool = False) -> None:
    """Run a worker on the application's queue until stopped (``flask jobs worker``)."""
    if uses_procrastinate(app):
        # Imported here: only PostgreSQL needs Procrastinate.
        from app.core import procrastinate_queue

        procrastinate_queue.run_worker(app, stop, drain=drain)
    else:
        run_local_worker(app, stop, drain=drain)
