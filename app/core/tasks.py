"""The job queue's registry: tasks and periodic tasks by name, and how a job runs.

Both queues (:mod:`app.core.jobs`) call :func:`execute`; the features register their
tasks here when imported.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask

#: Where the application keeps the capture and rebuild of the tenant scope a job carries.
CARRIED = "helhed.job_carries"
#: The key of a job's payload that holds the id of the request that asked for it.
REQUESTED_BY = "request_id"


class Cancelled(Exception):
    """Raised by a task's progress step when its job was cancelled: it stops, not retried."""


@dataclass(frozen=True)
class Task:
    name: str
    run: Callable[..., None]


@dataclass(frozen=True)
class Periodic:
    name: str
    run: Callable[[Flask], Any]
    every_seconds: int
    #: The setting that may change how often, if any.
    setting: str | None = None

    def interval(self, app: Flask) -> int:
        return int(app.config.get(self.setting or "", None) or self.every_seconds)


#: Every task by name, and every periodic task: filled as the features are imported.
TASKS: dict[str, Task] = {}
PERIODIC: dict[str, Periodic] = {}


def task(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``run(app, scope, **args)`` as the task *name*."""

    def register(run: Callable[..., None]) -> Callable[..., None]:
        TASKS[name] = Task(name, run)
        return run

    return register


def periodic(
    name: str, *, every_seconds: int, setting: str | None = None
) -> Callable[[Callable[[Flask], Any]], Callable[[Flask], Any]]:
    """Register ``run(app)`` to run about every *every_seconds* (or the setting's value),
    on one worker of all (Procrastinate) or on each local worker (SQLite): *run* must
    itself make sure that what it does is done once."""

    def register(run: Callable[[Flask], Any]) -> Callable[[Flask], Any]:
        PERIODIC[name] = Periodic(name, run, every_seconds, setting)
        return run

    return register


def carry_over(app: Flask, capture: Callable[[], Any], rebuild: Callable[[Any], Any]) -> None:
    """How a job carries the tenant scope of the request that asked for it: *capture*
    returns it as JSON in the request, *rebuild* makes it again in the worker
    (``app.tenancy.scoping`` registers both); row-level security needs it there."""
    app.extensions[CARRIED] = (capture, rebuild)


_attempt = threading.local()


@contextmanager
def attempt(*, last: bool) -> Iterator[None]:
    """Run a job's attempt knowing whether the queue will retry it if it fails."""
    _attempt.last = last
    try:
        yield
    finally:
        _attempt.last = True


def last_attempt() -> bool:
    """Whether the running attempt is its job's last: a task that fails records the
    failure on its own row only then, and otherwise raises for the queue to retry."""
    return getattr(_attempt, "last", True)


def execute(app: Flask, name: str, payload: dict[str, Any]) -> None:
    """Run one job's task with its carried scope; the worker's own step, either queue."""
    _capture, rebuild = app.extensions[CARRIED]
    args = dict(payload)
    scope = rebuild(args.pop("scope"))
    # Where the job came from is the log's (app.core.logs.job_context), not the task's.
    args.pop(REQUESTED_BY, None)
    TASKS[name].run(app, scope, **args)


def test_delay(app: Flask) -> None:
    """Wait ``JOB_TEST_DELAY`` seconds: a test's way to catch a job between two steps."""
    delay = float(app.config.get("JOB_TEST_DELAY") or 0)
    if delay:
        time.sleep(delay)
