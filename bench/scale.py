"""Benchmark: the research export and the indicators as the number of families grows.

One scratch database per engine grows in steps (default 1,000 → 10,000 → 100,000
families, spread over the five municipalities by ``flask demo generate``, which is timed
too). One study is granted all five municipalities. At each step, in the same run:

- **(a) export.** The baseline is the raw driver dumping the rows the package is made
  of (every submitted answer row with its wave and family, every wave, every plan goal)
  to CSV files: ``COPY … TO STDOUT`` on PostgreSQL, the ``sqlite3`` module and
  ``csv.writer`` on SQLite. Then the research package itself (``write_package``:
  pseudonyms, wide tables, codebook, indicators, zip). Each runs in a process of its
  own, so its peak resident memory is its own (``VmHWM``).
  Targets: export ≤ 2 × the raw dump; peak memory grows < 50 MB from 10,000 to 100,000
  families.
- **(c) indicators** of the pooled comparison (one SQL statement per indicator and the
  disclosure control), against the raw driver fetching every submitted answer row they
  read. Targets: < 3 s at 100,000 families on PostgreSQL; growing no faster than
  linearly (time factor / family factor ≤ 1.2 from one step to the next).

The profile that explains a figure is printed with it: each run's time in SQL against
the rest, and the slowest statements. Asserts nothing.

Usage: ``python bench/scale.py [--steps 1000,10000,100000] [--databases sqlite,postgresql]``
(``make bench-scale``).
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import DatabaseUnavailable, scratch_database  # noqa: E402

INDICATORS_TARGET_S = 3.0
LINEAR_SLACK = 1.2
EXPORT_RATIO_TARGET = 2.0
EXPORT_MEMORY_TARGET_MB = 50.0

#: The rows a research package is made of, as the raw driver reads them.
RAW_QUERIES = {
    "answers": """
        SELECT s.family_id, s.member_id, s.form_id, fv.version, s.answers, w.key, w.kind,
               w.due_date, f.enrolment_date, f.team_model, f.municipality_id
        FROM submission s JOIN form_version fv ON fv.id = s.form_version_id
        JOIN wave w ON w.id = s.wave_id JOIN family f ON f.id = s.family_id
        WHERE s.status = 'submitted'
        ORDER BY s.family_id, s.member_id, w.due_date, w.id, s.form_id""",
    "waves": """
        SELECT w.family_id, w.key, w.kind, w.due_date, w.window_end, w.completed_at,
               f.municipality_id, f.enrolment_date, f.team_model
        FROM wave w JOIN family f ON f.id = w.family_id ORDER BY w.family_id, w.due_date""",
    "plans": """
        SELECT p.family_id, f.municipality_id, g.id, g.phase, g.life_area, g.description
        FROM plan p JOIN family f ON f.id = p.family_id LEFT JOIN plan_goal g ON g.plan_id = p.id
        ORDER BY p.family_id, g.id""",
}
#: What the indicators read (bench/reports.py's baseline).
#: One key for the parent and its children, which must read what the parent encrypted.
FIELD_KEY = os.environ.setdefault(
    "BENCH_FIELD_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode()
)
ANSWER_ROWS = """
SELECT s.family_id, s.member_id, s.form_id, s.answers, w.due_date, f.municipality_id,
       f.team_model, f.enrolment_date
FROM submission s JOIN wave w ON w.id = s.wave_id JOIN family f ON f.id = s.family_id
WHERE s.status = 'submitted'
"""


def _dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _app(url: str, exports: str) -> Any:
    from app import create_app

    return create_app(
        {
            "HELHED_ENV": "testing",
            "DATABASE_URL": url,
            "EXPORTS_DIR": exports,
            "REPORT_TIMEOUT_SECONDS": 900,
            "FIELD_ENCRYPTION_KEY": FIELD_KEY,
        }
    )


@contextmanager
def sql_profile(engine: Any) -> Iterator[dict[str, list[float]]]:
    """Time every statement *engine* runs, by its first words."""
    from sqlalchemy import event

    spent: dict[str, list[float]] = defaultdict(list)

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started = conn.info["bench_started"].pop()
        spent[" ".join(statement.split())[:90]].append(time.perf_counter() - started)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield spent
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def sql_seconds(spent: dict[str, list[float]]) -> float:
    return sum(sum(times) for times in spent.values())


def slowest(spent: dict[str, list[float]], count: int = 3) -> list[tuple[float, str]]:
    return sorted(((sum(t), text) for text, t in spent.items()), reverse=True)[:count]


# -- the children: one export or one raw dump each, so each has its own peak memory --------------


def child_raw(url: str, folder: Path) -> dict[str, Any]:
    started = time.perf_counter()
    rows = 0
    if url.startswith("sqlite"):
        import sqlite3

        from sqlalchemy.engine import make_url

        connection = sqlite3.connect(make_url(url).database)
        for name, query in RAW_QUERIES.items():
            with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as out:
                cursor = connection.execute(query)
                writer = csv.writer(out)
                writer.writerow(column[0] for column in cursor.description)
                for row in cursor:
                    writer.writerow(row)
                    rows += 1
        connection.close()
    else:
        import psycopg

        with psycopg.connect(_dsn(url)) as connection:
            for name, query in RAW_QUERIES.items():
                with open(folder / f"{name}.csv", "wb") as out:
                    copy_sql = f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)"
                    with connection.cursor().copy(copy_sql) as copy:
                        for block in copy:
                            out.write(block)
                rows += connection.execute(f"SELECT count(*) FROM ({query}) q").fetchone()[0]
    return {"seconds": time.perf_counter() - started, "rows": rows}


def child_export(url: str, folder: Path, study_id: int) -> dict[str, Any]:
    app = _app(url, str(folder))
    with app.app_context():
        from app.core.db import db
        from app.research.models import Study
        from app.research.package import write_package
        from app.tenancy.scoping import unscoped

        study = db.session.get(Study, study_id)
        # BENCH_PROFILE=FILE keeps a cProfile of the export there, for what SQL time misses.
        profiler = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
        with sql_profile(db.engine) as spent:
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            with unscoped("benchmark"):
                result = write_package(study, folder / "package.zip")
            if profiler:
                profiler.disable()
                profiler.dump_stats(os.environ["BENCH_PROFILE"])
            seconds = time.perf_counter() - started
        db.session.rollback()
        db.engine.dispose()
    return {
        "seconds": seconds,
        "rows": sum(sum(c.values()) for c in result.row_counts.values()),
        "bytes": (folder / "package.zip").stat().st_size,
        "sql_seconds": sql_seconds(spent),
        "slowest": slowest(spent),
    }


def peak_mb() -> float:
    """This process's peak resident memory since it started its program.

    Read from /proc (VmHWM) rather than ``ru_maxrss``: a child's ``ru_maxrss`` counts the
    pages it shared with its parent between fork and exec, that is the parent's size.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def in_child(kind: str, url: str, **options: Any) -> dict[str, Any]:
    """Run a child and return what it printed, with its peak resident memory in MB."""
    folder = Path(tempfile.mkdtemp(prefix=f"helhed-bench-{kind}-"))
    command = [sys.executable, __file__, "--child", kind, "--url", url, "--folder", str(folder)]
    command += [f"--{k.replace('_', '-')}={v}" for k, v in options.items()]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} child failed ({done.returncode}): {done.stdout[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    return figures


# -- the parent: grow, then measure at each step --------------------------------------------------


def _indicator_baseline(url: str) -> tuple[float, int]:
    started = time.perf_counter()
    if url.startswith("sqlite"):
        import sqlite3

        from sqlalchemy.engine import make_url

        connection = sqlite3.connect(make_url(url).database)
        count = len(connection.execute(ANSWER_ROWS).fetchall())
        connection.close()
    else:
        import psycopg

        with psycopg.connect(_dsn(url)) as connection:
            count = len(connection.execute(ANSWER_ROWS).fetchall())
    return time.perf_counter() - started, count


def run(url: str, steps: list[int], export: bool) -> list[dict[str, Any]]:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app.collection.services import publish_catalogue
    from app.core.db import db
    from app.definitions.loader import CORE_FORMS, load_catalogue
    from app.demo.generate import generate
    from app.reports.figures import study_report
    from app.research.services import create_study, grant_study, set_wave_approval
    from app.tenancy.config_files import load_directory
    from app.tenancy.models import Municipality
    from app.tenancy.scoping import tenant_scope, unscoped
    from app.tenancy.services import sync_municipalities

    app = _app(url, tempfile.mkdtemp(prefix="helhed-bench-exports-"))
    results: list[dict[str, Any]] = []
    with app.app_context():
        upgrade()
        sync_municipalities(load_directory(ROOT / "municipalities"))
        publish_catalogue(load_catalogue(ROOT / "forms"))
        db.session.commit()
        municipalities = list(db.session.scalars(select(Municipality).order_by(Municipality.id)))
        study = create_study("Benchmark", "Benchmark", "Benchmark", suppression_k=5)
        for municipality in municipalities:
            with tenant_scope(municipality):
                grant_study(
                    municipality,
                    study,
                    forms=list(CORE_FORMS),
                    waves=["intake", "follow_up", "exit"],
                )
                for key in ["intake", *(f"follow_up_{6 * k}" for k in range(1, 5))]:
                    set_wave_approval(municipality, key, True)
                db.session.commit()
        study_id = study.id
        have = 0
        for step in steps:
            started = time.perf_counter()
            add = step - have
            for index, municipality in enumerate(municipalities):
                share = add // len(municipalities) + (index < add % len(municipalities))
                generate(municipality, share, seed=step)
                db.session.commit()
            generated_s = time.perf_counter() - started
            have = step
            # Fresh planner statistics, as autovacuum would have them after a bulk load.
            with db.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
            row: dict[str, Any] = {"families": step, "generate_s": generated_s}
            row["baseline_s"], row["answer_rows"] = _indicator_baseline(url)
            with sql_profile(db.engine) as spent:
                started = time.perf_counter()
                with unscoped("benchmark"):
                    report = study_report(db.session.get(type(study), study_id))
                row["indicators_s"] = time.perf_counter() - started
            row["indicators_sql_s"] = sql_seconds(spent)
            row["indicators_slowest"] = slowest(spent)
            row["counted"] = report.figure("families_enrolled").pooled.value
            db.session.rollback()
            print(
                f"  {step} families: generated in {generated_s:.1f} s, "
                f"indicators {row['indicators_s']:.2f} s",
                flush=True,
            )
            if export:
                row["raw"] = in_child("raw", url)
                row["export"] = in_child("export", url, study=study_id)
                print(
                    f"  {step} families: raw dump {row['raw']['seconds']:.2f} s, "
                    f"export {row['export']['seconds']:.2f} s",
                    flush=True,
                )
            results.append(row)
        db.engine.dispose()
    return results


def report(results: list[tuple[str, list[dict[str, Any]]]], export: bool) -> None:
    print()
    print("(c) Indicators of the pooled comparison, five municipalities")
    print(
        f"{'database':<11}{'families':>9}{'generate s':>11}{'answer rows':>12}"
        f"{'baseline s':>11}{'indicators s':>13}{'× baseline':>11}{'growth':>8}  target"
    )
    for database, rows in results:
        previous = None
        for row in rows:
            growth, verdicts = "", []
            if previous is not None:
                factor = (row["indicators_s"] / previous["indicators_s"]) / (
                    row["families"] / previous["families"]
                )
                growth = f"{factor:.2f}"
                verdicts.append(f"linear {'PASS' if factor <= LINEAR_SLACK else 'FAIL'}")
            if database == "postgresql" and row["families"] >= 100_000:
                ok = row["indicators_s"] < INDICATORS_TARGET_S
                verdicts.append(f"< {INDICATORS_TARGET_S:.0f} s {'PASS' if ok else 'FAIL'}")
            print(
                f"{database:<11}{row['families']:>9}{row['generate_s']:>11.1f}"
                f"{row['answer_rows']:>12}{row['baseline_s']:>11.2f}{row['indicators_s']:>13.2f}"
                f"{row['indicators_s'] / max(row['baseline_s'], 1e-9):>11.1f}{growth:>8}  "
                + ", ".join(verdicts)
            )
            previous = row
    print("baseline: the raw driver fetching every submitted answer row the indicators read.")
    print("Profile (SQL time of the indicators, and the slowest statements):")
    for database, rows in results:
        row = rows[-1]
        print(
            f"  {database}, {row['families']} families: {row['indicators_sql_s']:.2f} s of "
            f"{row['indicators_s']:.2f} s in SQL"
        )
        for seconds, text in row["indicators_slowest"]:
            print(f"    {seconds:6.2f} s  {text}")
    if not export:
        return
    print()
    print("(a) Research package export vs the raw driver's dump of the same rows")
    print(
        f"{'database':<11}{'families':>9}{'rows':>10}{'raw s':>8}{'export s':>10}"
        f"{'ratio':>7}{'raw MB':>8}{'export MB':>10}  target"
    )
    for database, rows in results:
        by_families = {row["families"]: row for row in rows}
        for row in rows:
            raw, package = row["raw"], row["export"]
            ratio = package["seconds"] / max(raw["seconds"], 1e-9)
            verdicts = [f"≤ {EXPORT_RATIO_TARGET:.0f}× {'PASS' if ratio <= 2 else 'FAIL'}"]
            smaller = by_families.get(row["families"] // 10)
            if smaller is not None and row["families"] >= 100_000:
                grew = package["peak_mb"] - smaller["export"]["peak_mb"]
                ok = grew < EXPORT_MEMORY_TARGET_MB
                verdicts.append(f"memory +{grew:.0f} MB {'PASS' if ok else 'FAIL'}")
            print(
                f"{database:<11}{row['families']:>9}{raw['rows']:>10}{raw['seconds']:>8.2f}"
                f"{package['seconds']:>10.2f}{ratio:>7.2f}{raw['peak_mb']:>8.0f}"
                f"{package['peak_mb']:>10.0f}  " + ", ".join(verdicts)
            )
    print("raw: COPY … TO STDOUT (PostgreSQL) or sqlite3 + csv.writer (SQLite) of the rows")
    print("the package is made of; MB: peak resident memory of each one's own process.")
    print("Profile (SQL time of the export, and the slowest statements):")
    for database, rows in results:
        package = rows[-1]["export"]
        print(
            f"  {database}, {rows[-1]['families']} families: {package['sql_seconds']:.2f} s of "
            f"{package['seconds']:.2f} s in SQL (the rest: pseudonyms, CSV, zip)"
        )
        for seconds, text in package["slowest"]:
            print(f"    {seconds:6.2f} s  {text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="1000,10000,100000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--no-export", action="store_true", help="indicators only")
    parser.add_argument("--child", choices=["raw", "export"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--study", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "raw":
        print(json.dumps({**child_raw(args.url, args.folder), "peak_mb": peak_mb()}))
        return 0
    if args.child == "export":
        print(json.dumps({**child_export(args.url, args.folder, args.study), "peak_mb": peak_mb()}))
        return 0
    steps = sorted(int(s) for s in args.steps.split(","))
    results = []
    for database in args.databases.split(","):
        print(f"{database}:", flush=True)
        folder = Path(tempfile.mkdtemp(prefix="helhed-bench-scale-"))
        try:
            with scratch_database(database, folder) as url:
                results.append((database, run(url, steps, not args.no_export)))
        except DatabaseUnavailable as exc:
            print(f"{database}: skipped ({exc})")
        finally:
            shutil.rmtree(folder, ignore_errors=True)  # a scratch SQLite file is gigabytes
    report(results, not args.no_export)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
