"""Benchmark: indicators and the comparison report for five municipalities × N families.

For each database (SQLite, and PostgreSQL when reachable) this builds a scratch database,
fills it with ``flask demo generate``'s synthetic families, grants one study all five
municipalities, then measures in the same run:

- the **baseline**: the raw driver reading every submitted answer row the indicators read
  (sqlite3 / psycopg cursor, ``fetchall``);
- the indicators (24 SQL statements) and the disclosure control, and the ratio to the
  baseline;
- the comparison report's HTML, and its PDF in the limited renderer process, with the
  renderer's peak memory.

Usage: ``python bench/reports.py [--families 2000] [--databases sqlite,postgresql]``
(``make bench-reports``). Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import make_url  # noqa: E402

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
ANSWER_ROWS = """
SELECT s.family_id, s.member_id, s.form_id, s.answers, w.due_date, f.municipality_id,
       f.team_model, f.enrolment_date
FROM submission s JOIN wave w ON w.id = s.wave_id JOIN family f ON f.id = s.family_id
WHERE s.status = 'submitted'
"""


def _scratch_postgres() -> tuple[str, object] | None:
    import psycopg

    base = make_url(PG_URL)
    name = f"helhed_bench_{uuid.uuid4().hex[:8]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"postgresql: skipped ({exc.__class__.__name__}: not reachable at {PG_URL})")
        return None

    def drop() -> None:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    url = base.set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False), drop


def _raw_dump(url: str) -> tuple[float, int]:
    """The baseline: the driver alone reads the answer rows."""
    started = time.perf_counter()
    if url.startswith("sqlite"):
        import sqlite3

        connection = sqlite3.connect(make_url(url).database)
        rows = connection.execute(ANSWER_ROWS).fetchall()
        connection.close()
    else:
        import psycopg

        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as connection:
            rows = connection.execute(ANSWER_ROWS).fetchall()
    return time.perf_counter() - started, len(rows)


def _renderer_peak_mb(document: str) -> float:
    """The PDF renderer's own peak resident memory, rendering *document* once more.

    Read from /proc while it runs (VmHWM only rises): ``ru_maxrss`` of a child counts the
    pages it shared with this process between fork and exec, that is this process's size.
    """
    import subprocess
    import threading

    from app.reports.render import PROJECT_ROOT, STATIC_DIR

    process = subprocess.Popen(
        [sys.executable, "-m", "app.reports.pdf_worker", "1536", str(STATIC_DIR)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    peak = [0.0]

    def watch() -> None:
        status = Path(f"/proc/{process.pid}/status")
        while process.poll() is None:
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak[0] = max(peak[0], int(line.split()[1]) / 1024)
            except (FileNotFoundError, ProcessLookupError):
                break
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    out, _err = process.communicate(document.encode("utf-8"))
    watcher.join()
    if not out.startswith(b"%PDF"):
        raise RuntimeError("the renderer made no PDF")
    return peak[0]


def run(url: str, families: int, label: str) -> dict[str, float]:
    from flask_migrate import upgrade

    from app import create_app
    from app.collection.services import publish_catalogue
    from app.core.db import db
    from app.definitions.loader import CORE_FORMS, load_catalogue
    from app.demo.generate import generate
    from app.reports.figures import study_report
    from app.reports.render import render_document, render_pdf
    from app.research.services import create_study, grant_study, set_wave_approval
    from app.tenancy.config_files import load_directory
    from app.tenancy.models import Municipality
    from app.tenancy.scoping import tenant_scope, unscoped
    from app.tenancy.services import sync_municipalities

    exports = tempfile.mkdtemp(prefix="helhed-bench-")
    app = create_app(
        {
            "HELHED_ENV": "testing",
            "DATABASE_URL": url,
            "EXPORTS_DIR": exports,
            "REPORT_TIMEOUT_SECONDS": 600,
        }
    )
    figures: dict[str, float] = {}
    with app.app_context():
        upgrade()
        sync_municipalities(load_directory(ROOT / "municipalities"))
        publish_catalogue(load_catalogue(ROOT / "forms"))
        db.session.commit()
        municipalities = list(db.session.scalars(db.select(Municipality)))
        started = time.perf_counter()
        for municipality in municipalities:
            generate(municipality, families, seed=7)
            db.session.commit()
        figures["generate_s"] = time.perf_counter() - started
        study = create_study("Benchmark", "Benchmark", "Benchmark", suppression_k=5)
        keys = [f"follow_up_{6 * k}" for k in range(1, 5)]
        for municipality in municipalities:
            with tenant_scope(municipality):
                grant_study(
                    municipality,
                    study,
                    forms=list(CORE_FORMS),
                    waves=["intake", "follow_up", "exit"],
                )
                for key in ["intake", *keys]:
                    set_wave_approval(municipality, key, True)
                db.session.commit()

        figures["baseline_s"], figures["rows"] = _raw_dump(url)
        started = time.perf_counter()
        with unscoped("benchmark"):
            report = study_report(study)
        figures["indicators_s"] = time.perf_counter() - started
        started = time.perf_counter()
        document = render_document(report, "da")
        figures["html_s"] = time.perf_counter() - started
        started = time.perf_counter()
        pdf = render_pdf(document)
        figures["pdf_s"] = time.perf_counter() - started
        figures["pdf_bytes"] = len(pdf)
        figures["pdf_peak_mb"] = _renderer_peak_mb(document)
        figures["families"] = report.figure("families_enrolled").pooled.value or 0
        db.session.rollback()
        db.engine.dispose()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=2000, help="per municipality")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    results: list[tuple[str, dict[str, float]]] = []
    for name in args.databases.split(","):
        if name == "sqlite":
            folder = tempfile.mkdtemp(prefix="helhed-bench-db-")
            results.append((name, run(f"sqlite:///{folder}/bench.sqlite3", args.families, name)))
        elif name == "postgresql":
            scratch = _scratch_postgres()
            if scratch is None:
                continue
            url, drop = scratch
            try:
                results.append((name, run(url, args.families, name)))
            finally:
                drop()  # type: ignore[operator]
    print()
    print(f"Comparison report, 5 municipalities × {args.families} families")
    header = (
        f"{'database':<11}{'families':>9}{'rows':>9}{'baseline s':>11}{'indicators s':>13}"
        f"{'ratio':>7}{'HTML s':>8}{'PDF s':>7}{'PDF MB':>8}{'total s':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, f in results:
        total = f["indicators_s"] + f["html_s"] + f["pdf_s"]
        print(
            f"{name:<11}{int(f['families']):>9}{int(f['rows']):>9}{f['baseline_s']:>11.2f}"
            f"{f['indicators_s']:>13.2f}{f['indicators_s'] / f['baseline_s']:>7.2f}"
            f"{f['html_s']:>8.2f}{f['pdf_s']:>7.2f}{f['pdf_peak_mb']:>8.0f}{total:>9.2f}"
        )
    print()
    print(
        f"families: those the study counts (with research consent), of 5 × {args.families} "
        "generated;"
    )
    print("baseline: the raw driver fetching every submitted answer row the indicators read;")
    print("ratio: indicators (24 SQL aggregates + disclosure control) / baseline;")
    print("PDF MB: peak resident memory of the renderer process.")
    print("Target (issue 9): comparison PDF < 5 s and < 300 MB peak.")
    for name, f in results:
        total = f["indicators_s"] + f["html_s"] + f["pdf_s"]
        verdict = "PASS" if total < 5 and f["pdf_peak_mb"] < 300 else "FAIL"
        print(f"  {name}: report {total:.2f} s, {f['pdf_peak_mb']:.0f} MB -> {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
