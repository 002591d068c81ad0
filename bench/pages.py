"""Benchmark: the caseworker's pages with N families in one municipality.

For each database (SQLite, and PostgreSQL when reachable) this fills a scratch database
with ``flask demo generate``'s families in Brøndby, signs a lead in (a lead sees every
family) and times, in the same run and through the same test client:

- the **baseline**: ``/healthz``, the whole request stack with one trivial query;
- the raw driver reading the first page of the family list (what the page must read);
- the dashboard (``/brondby/``) and the family list (``/brondby/families/``, first page and
  a search);
- the status grid (``/brondby/work/grid``, first page, filtered to families with an overdue
  wave, and its whole CSV download);
- the work lists: their overview (``/brondby/work/``, every list counted) and the first page
  of each (``/brondby/work/mine``, ``overdue``, ``due``, ``upcoming``, ``drafts``,
  ``unassigned``), the overdue one also sorted by family. A page that answers 404 is
  reported as *missing* and fails.

On PostgreSQL the application connects as the non-owner role, so row-level security is in
every query, as in a deployment. Prints median and 95th percentile, the ratio to the
baseline and PASS/FAIL against the target (a median < 100 ms at 10,000 families); asserts
nothing. The CSV download holds every family and is reported without a target.

Usage: ``python bench/pages.py [--families 10000] [--requests 30] [--databases …]``
(``make bench-pages``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import DatabaseUnavailable, app_role, scratch_database  # noqa: E402

TARGET_MS = 100.0
PASSWORD = "benchmark password 2026"
FIRST_PAGE = """
SELECT f.id, f.label, f.enrolment_date, f.status FROM family f
WHERE f.municipality_id = :m ORDER BY f.enrolment_date DESC, f.id DESC LIMIT 50
"""


#: The pages with the target, by name; the CSV and the raw driver are reported beside them.
PAGES = {
    "dashboard": "/brondby/",
    "family list": "/brondby/families/",
    "family search": "/brondby/families/?q=Familien+1",
    "status grid": "/brondby/work/grid",
    "grid: overdue": "/brondby/work/grid?status=overdue",
    "work lists": "/brondby/work/",
    "work list: mine": "/brondby/work/mine",
    "work list: overdue": "/brondby/work/overdue",
    "overdue by family": "/brondby/work/overdue?sort=family&order=desc",
    "work list: due": "/brondby/work/due",
    "work list: upcoming": "/brondby/work/upcoming",
    "work list: drafts": "/brondby/work/drafts",
    "work list: unassigned": "/brondby/work/unassigned",
}
WITHOUT_TARGET = {"baseline /healthz": "/healthz", "status grid CSV": "/brondby/work/grid.csv"}
#: What a page that is not there reports instead of its times.
MISSING = "missing"


def _timed(client: object, path: str, requests: int) -> list[float] | str:
    """*requests* timings of *path* in ms, or :data:`MISSING` if it answers 404."""
    first = client.get(path)  # type: ignore[attr-defined]
    first.get_data()
    if first.status_code == 404:
        return MISSING
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)  # type: ignore[attr-defined]
        response.get_data()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return times


def run(url: str, families: int, requests: int) -> dict[str, object]:
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from app import create_app
    from app.auth.services import create_user, grant_membership
    from app.collection.services import publish_catalogue
    from app.core.db import db
    from app.definitions.loader import load_catalogue
    from app.demo.generate import generate
    from app.tenancy.config_files import load_directory
    from app.tenancy.models import Municipality
    from app.tenancy.scoping import tenant_scope
    from app.tenancy.services import sync_municipalities

    exports = tempfile.mkdtemp(prefix="helhed-bench-")
    config = {
        "HELHED_ENV": "testing",
        "EXPORTS_DIR": exports,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    }
    owner = create_app({**config, "DATABASE_URL": url})
    with owner.app_context():
        upgrade()
        sync_municipalities(load_directory(ROOT / "municipalities"))
        publish_catalogue(load_catalogue(ROOT / "forms"))
        db.session.commit()
        brondby = db.session.scalar(select(Municipality).filter_by(slug="brondby"))
        started = time.perf_counter()
        generate(brondby, families, seed=11)
        db.session.commit()
        generated_s = time.perf_counter() - started
        with tenant_scope(brondby):
            lead = create_user("bench-lead@brondby.example", "Bench Lead", PASSWORD)
            grant_membership(lead, brondby, "lead")
            db.session.commit()
        municipality_id = brondby.id
        app_url = app_role(url) if db.engine.dialect.name == "postgresql" else url
        db.engine.dispose()

    app = create_app({**config, "DATABASE_URL": app_url})
    figures: dict[str, object] = {"generate_s": generated_s}
    with app.app_context():
        client = app.test_client()
        response = client.post(
            "/login", data={"email": "bench-lead@brondby.example", "password": PASSWORD}
        )
        assert response.status_code == 302, response.status_code
        for name, path in {**WITHOUT_TARGET, **PAGES}.items():
            # The whole CSV is far larger than a page: a few requests tell its time as well.
            whole = path.endswith(".csv")
            # Warms caches and compiled statements.
            if _timed(client, path, 1 if whole else 3) == MISSING:
                figures[name] = MISSING
                continue
            figures[name] = _timed(client, path, 3 if whole else requests)
        with owner.app_context(), db.engine.connect() as connection:
            raw = []
            for _ in range(requests):
                started = time.perf_counter()
                connection.execute(text(FIRST_PAGE), {"m": municipality_id}).fetchall()
                raw.append((time.perf_counter() - started) * 1000)
            figures["raw driver: first page"] = raw
            db.engine.dispose()
        db.engine.dispose()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    results = []
    for database in args.databases.split(","):
        folder = Path(tempfile.mkdtemp(prefix="helhed-bench-pages-"))
        try:
            with scratch_database(database, folder) as url:
                results.append((database, run(url, args.families, args.requests)))
        except DatabaseUnavailable as exc:
            print(f"{database}: skipped ({exc})")
    print()
    print(f"The caseworker's pages, {args.families} families in one municipality")
    print(f"{'database':<11}{'page':<24}{'median ms':>10}{'p95 ms':>9}{'× baseline':>11}  target")
    failed = 0
    for database, figures in results:
        baseline = statistics.median(figures["baseline /healthz"])  # type: ignore[arg-type]
        for name, times in figures.items():
            if times == MISSING:
                failed += 1
                print(f"{database:<11}{name:<24}{'missing (404)':>30}  FAIL")
                continue
            if not isinstance(times, list):
                continue
            median = statistics.median(times)
            p95 = sorted(times)[int(0.95 * (len(times) - 1))]
            verdict = ""
            if name in PAGES:
                verdict = "PASS" if median < TARGET_MS else "FAIL"
                failed += verdict == "FAIL"
            print(
                f"{database:<11}{name:<24}{median:>10.1f}{p95:>9.1f}"
                f"{median / baseline:>11.1f}  {verdict}"
            )
        print(f"{database:<11}(generating took {figures['generate_s']:.0f} s)")
    print(f"{failed} page(s) missing or over {TARGET_MS:.0f} ms" if failed else "every page PASS")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
