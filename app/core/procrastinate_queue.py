"""The job queue on PostgreSQL: Procrastinate's tables, functions and worker.

A job is deferred with Procrastinate's own SQL function (``procrastinate_defer_jobs_v1``)
on the connection of the request's session, so it is part of the request's transaction:
Procrastinate's connectors open connections of their own, which would commit the job
whatever became of the request. The worker is Procrastinate's, with a connector of its
own; each task runs in a thread of it (the tasks are synchronous), in an application
context.

Procrastinate retries a failed task by its retry strategy; a worker that died stops
sending heartbeats, and :func:`_recover` hands its jobs to the living (Procrastinate
finds them, ``get_stalled_jobs``, but leaves the retrying to the application). The
periodic tasks are Procrastinate's too: every worker defers them, and its unique
``procrastinate_periodic_defers`` row lets one job through per tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from typing import Any

import procrastinate
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.core import logs, tasks

log = logging.getLogger("helhed.jobs")

#: The queue every Helhed job goes to.
QUEUE = "helhed"

_DEFER = text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, :lock, NULL, "
    "CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1])"
)
# abort: a queued job is cancelled at once; a running one is asked to stop.
_CANCEL = text(
    "SELECT procrastinate_cancel_job_v1(id, true, false) FROM procrastinate_jobs "
    "WHERE lock = :lock AND status IN ('todo', 'doing')"
)


def defer(session: Session, name: str, payload: dict[str, Any], key: str | None) -> None:
    # The lock holds the key: it names the job for cancel(), and two jobs of one key
    # (there are none) would run one after the other.
    session.execute(
        _DEFER, {"queue": QUEUE, "task": name, "lock": key, "args": json.dumps(payload)}
    )


def cancel(session: Session, key: str) -> None:
    session.execute(_CANCEL, {"lock": key})


def conninfo(app: Flask) -> str:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _cron(every_seconds: int) -> str:
    if every_seconds % 60 == 0:
        return f"*/{every_seconds // 60} * * * *"
    # Procrastinate reads a sixth field as seconds.
    return f"* * * * * */{every_seconds}"


def build(app: Flask) -> procrastinate.App:
    """A Procrastinate application with every registered task and periodic task."""
    queue = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(app)))
    attempts = int(app.config["JOBS_RETRIES"])
    # Procrastinate counts retries, not attempts, and waits wait + 2 ** (n + 1) seconds
    # before retry n + 1: the local queue's backoff (app.core.jobs.backoff).
    retry: procrastinate.RetryStrategy | bool = (
        procrastinate.RetryStrategy(
            max_attempts=attempts - 1,
            wait=int(app.config["JOBS_BACKOFF_SECONDS"]),
            exponential_wait=2,
        )
        if attempts > 1
        else False
    )
    for entry in tasks.TASKS.values():
        queue.task(name=entry.name, queue=QUEUE, retry=retry, pass_context=True)(
            _runner(app, entry.name, attempts)
        )
    for periodic in tasks.PERIODIC.values():
        run = queue.task(name=periodic.name, queue=QUEUE)(_periodic_runner(app, periodic))
        queue.periodic(cron=_cron(periodic.interval(app)), periodic_id=periodic.name)(run)
    return queue


def _runner(app: Flask, name: str, attempts: int) -> Any:
    def run(context: procrastinate.JobContext, **payload: Any) -> None:
        # attempts counts those made before this one
        last = context.job.attempts + 1 >= attempts
        with logs.job_context(name, payload.get(tasks.REQUESTED_BY)), tasks.attempt(last=last):
            try:
                tasks.execute(app, name, payload)
            except tasks.Cancelled:
                log.info("job %s (%s) cancelled", context.job.id, name)
            except Exception:
                # Procrastinate logs the failure too, but outside the job's context: this
                # line is the one that carries the request that asked for the job.
                log.exception(
                    "job %s (%s) failed, attempt %d", context.job.id, name, context.job.attempts + 1
                )
                raise

    return run


def _periodic_runner(app: Flask, periodic: tasks.Periodic) -> Any:
    def run(timestamp: int) -> None:
        with app.app_context():
            periodic.run(app)

    return run


async def _recover(queue: procrastinate.App, app: Flask) -> None:
    """Retry, every heartbeat, the jobs of workers silent for JOBS_STALLED_SECONDS."""
    while True:
        stalled = await queue.job_manager.get_stalled_jobs(
            queue=QUEUE, seconds_since_heartbeat=float(app.config["JOBS_STALLED_SECONDS"])
        )
        for job in stalled:
            log.warning("job %s (%s) of a stopped worker queued again", job.id, job.task_name)
            await queue.job_manager.retry_job(job)
        await asyncio.sleep(float(app.config["JOBS_HEARTBEAT_SECONDS"]))


async def _stopped(stop: threading.Event) -> None:
    while not stop.is_set():
        await asyncio.sleep(0.2)


async def _work(app: Flask, stop: threading.Event | None, drain: bool) -> None:
    queue = build(app)
    in_main = threading.current_thread() is threading.main_thread()
    async with queue.open_async():
        recovering = asyncio.create_task(_recover(queue, app))
        worker = asyncio.create_task(
            queue.run_worker_async(
                queues=[QUEUE],
                wait=not drain,
                install_signal_handlers=in_main and stop is None,
                update_heartbeat_interval=float(app.config["JOBS_HEARTBEAT_SECONDS"]),
                stalled_worker_timeout=float(app.config["JOBS_STALLED_SECONDS"]),
                fetch_job_polling_interval=float(app.config["JOBS_POLL_SECONDS"]),
            )
        )
        waiters = [worker]
        if stop is not None:
            waiters.append(asyncio.create_task(_stopped(stop)))
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for pending in (*waiters, recovering):
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pending


def run_worker(app: Flask, stop: threading.Event | None = None, *, drain: bool = False) -> None:
    asyncio.run(_work(app, stop, drain))
