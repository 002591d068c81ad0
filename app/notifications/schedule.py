"""The daily digest as a periodic task of the job queue (``flask jobs worker``).

Every few minutes (``DIGEST_EVERY_SECONDS``) one worker of all looks at the clock: from
``DIGEST_HOUR`` (Copenhagen) it sends the day's digest unless a row for the day is in
``digest_run``. On PostgreSQL Procrastinate lets one worker's job through per tick; on
SQLite each local worker looks for itself. Either way the row's key is the day, so of
several workers the database lets one send. A worker that stops mid-digest leaves the
day's row without ``finished_at``; that day is not sent again automatically
(``flask notifications send --again`` does it). Nothing runs where no worker does: tests
and the command line send only when told to.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Flask

from app.core import dates, jobs
from app.notifications.digest import run_daily

log = logging.getLogger("helhed.notifications")

#: The queue's name for the periodic task.
TASK = "notifications.digest"

#: How often a worker looks at the clock, unless DIGEST_EVERY_SECONDS says otherwise.
WAKE_SECONDS = 300


@jobs.periodic(TASK, every_seconds=WAKE_SECONDS, setting="DIGEST_EVERY_SECONDS")
def send_when_due(app: Flask) -> int | None:
    """Send today's digest if its hour has come and nobody sent it yet; the mails sent."""
    if not app.config["DIGEST_SCHEDULE"]:
        return None
    if datetime.now(dates.time_zone()).hour < app.config["DIGEST_HOUR"]:
        return None
    sent = run_daily(dates.today())
    if sent is not None:
        log.info("daily digest: %d mails sent", sent)
    return sent
