"""Benchmark: what asking for a job costs a request, and how fast a worker runs jobs.

For each database (SQLite, and PostgreSQL when reachable) a scratch database is migrated
and served as the application serves it (on PostgreSQL as the non-owner role). Then:

- **enqueue**: ``--jobs`` transactions that each write one row and commit, timed one by
  one; **the baseline** writes the same row alone, Helhed's also asks for a job in the
  same transaction (:func:`app.core.jobs.enqueue`: on PostgreSQL Procrastinate's defer
  function on the session's connection, on SQLite a row of the local queue). The two
  alternate, so a busy moment of the machine falls on both alike. Target: the median
  transaction with its job ≤ 1.5 × the baseline's.
- **worker**: the same number of jobs of a task that does nothing, run by one worker
  until none is left (``run_worker(drain=True)``): jobs a second, informational (what a
  worker costs beside a report's seconds of SQL and PDF).

Printed with the load average, since the machine may be shared; asserted nowhere.

Usage: ``python bench/jobs.py [--jobs 300] [--databases sqlite,postgresql]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import DatabaseUnavailable, app_role, scratch_database

TARGET_RATIO = 1.5


def measure(database: str, count: int, folder: Path) -> tuple[float, float, float] | None:
    from flask_migrate import upgrade

    from app import create_app
    from app.core import jobs
    from app.core.db import db
    from app.notifications.models import DigestRun

    @jobs.task("bench.nothing")
    def nothing(app, scope, n: int) -> None:
        pass

    try:
        with scratch_database(database, folder) as url:
            settings = {"HELHED_ENV": "testing", "EXPORTS_DIR": str(folder / "exports")}
            owner = create_app({**settings, "DATABASE_URL": url})
            with owner.app_context():
                upgrade()
                served = app_role(url) if db.engine.dialect.name == "postgresql" else url
                db.engine.dispose()
            app = create_app({**settings, "DATABASE_URL": served, "JOBS_POLL_SECONDS": 0.05})
            with app.app_context():
                base, with_job = [], []
                day = date(2000, 1, 1)
                for n in range(count):
                    for timings, ask in ((base, False), (with_job, True)):
                        day += timedelta(days=1)
                        started = time.perf_counter()
                        db.session.add(DigestRun(day=day))
                        if ask:
                            jobs.enqueue("bench.nothing", n=n)
                        db.session.commit()
                        timings.append(time.perf_counter() - started)
                db.session.remove()
            started = time.perf_counter()
            jobs.run_worker(app, drain=True)
            rate = count / (time.perf_counter() - started)
            with app.app_context():
                db.engine.dispose()
            return statistics.median(base) * 1000, statistics.median(with_job) * 1000, rate
    except DatabaseUnavailable as exc:
        print(f"{database}: skipped ({exc})")
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--databases", default="sqlite,postgresql")
    options = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'database':<11}{'baseline ms':>12}{'with job ms':>12}{'ratio':>8}{'jobs/s':>9}")
    failed = 0
    for database in options.databases.split(","):
        with tempfile.TemporaryDirectory(prefix="helhed-bench-jobs-") as folder:
            result = measure(database, options.jobs, Path(folder))
        if result is None:
            continue
        base, with_job, rate = result
        ratio = with_job / base
        verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
        failed += verdict == "FAIL"
        print(f"{database:<11}{base:>12.2f}{with_job:>12.2f}{ratio:>8.2f}{rate:>9.0f}  {verdict}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
