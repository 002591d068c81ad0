"""The daily digest in production: a thread of the serving process sends it each morning.

Each process that serves requests (``flask run``, every gunicorn worker) starts, at its
first request, a daemon thread that wakes every few minutes; from ``DIGEST_HOUR``
(Copenhagen) it sends the day's digest unless a row for the day is in ``digest_run``. The
row's key is the day, so of several processes the database lets one send. A process that
stops mid-digest leaves the day's row without ``finished_at``; that day is not sent again
automatically (``flask notifications send --again`` does it). Tests and the command line
never start the thread (``DIGEST_SCHEDULE``, and it starts only on a served request).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from flask import Flask

from app.core import dates
from app.notifications.digest import run_daily

log = logging.getLogger("helhed.notifications")

#: How often the thread looks at the clock.
WAKE_SECONDS = 300


def init_app(app: Flask) -> None:
    if app.testing or not app.config["DIGEST_SCHEDULE"]:
        return
    started = threading.Event()

    @app.before_request
    def _start_schedule() -> None:
        if not started.is_set():
            started.set()
            threading.Thread(target=_loop, args=(app,), daemon=True).start()


def _loop(app: Flask) -> None:
    while True:
        try:
            with app.app_context():
                if datetime.now(dates.time_zone()).hour >= app.config["DIGEST_HOUR"]:
                    sent = run_daily(dates.today())
                    if sent is not None:
                        log.info("daily digest: %d mails sent", sent)
        except Exception as exc:  # the thread must outlive one bad morning
            log.error("daily digest failed: %s", type(exc).__name__)
        time.sleep(WAKE_SECONDS)
