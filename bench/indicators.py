"""Benchmark: how the indicator computation grows with the number of families.

One scratch database per engine grows in steps (default 1,000 → 10,000 → 100,000
families, spread over the five municipalities by ``flask demo generate``). At each step,
in the same run:

- the **baseline**: the raw driver reading every submitted answer row the indicators
  read (``bench/reports.py``'s query; sqlite3 / psycopg ``fetchall``);
- the indicators of the pooled comparison (24 SQL statements and the disclosure control).

Prints time, the ratio to the baseline, and the growth from one step to the next against
the growth in families (a factor ≤ 1.2 counts as linear or better); PASS/FAIL against
the target: < 5 s at 100,000 families on PostgreSQL. Asserts nothing.

Usage: ``python bench/indicators.py [--steps 1000,10000,100000] [--databases …]``
(``make bench-indicators``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_faults import DatabaseUnavailable, scratch_database  # noqa: E402
from bench.reports import _raw_dump  # noqa: E402

TARGET_S = 5.0
LINEAR_SLACK = 1.2


def run(url: str, steps: list[int]) -> list[dict[str, float]]:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
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

    app = create_app(
        {"HELHED_ENV": "testing", "DATABASE_URL": url, "EXPORTS_DIR": tempfile.mkdtemp()}
    )
    rows: list[dict[str, float]] = []
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
                    municipality, study, forms=list(CORE_FORMS), waves=["intake", "follow_up"]
                )
                for key in ["intake", *(f"follow_up_{6 * k}" for k in range(1, 5))]:
                    set_wave_approval(municipality, key, True)
                db.session.commit()
        have = 0
        for step in steps:
            started = time.perf_counter()
            add = step - have
            for index, municipality in enumerate(municipalities):
                share = add // len(municipalities) + (index < add % len(municipalities))
                generate(municipality, share, seed=step)
                db.session.commit()
            have = step
            generated_s = time.perf_counter() - started
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect() as connection:
                    connection.exec_driver_sql("ANALYZE")
            baseline_s, answer_rows = _raw_dump(url)
            started = time.perf_counter()
            with unscoped("benchmark"):
                report = study_report(study)
            indicators_s = time.perf_counter() - started
            db.session.rollback()
            rows.append(
                {
                    "families": float(step),
                    "counted": float(report.figure("families_enrolled").pooled.value or 0),
                    "rows": float(answer_rows),
                    "generate_s": generated_s,
                    "baseline_s": baseline_s,
                    "indicators_s": indicators_s,
                }
            )
            print(f"  {step} families: indicators {indicators_s:.2f} s", flush=True)
        db.engine.dispose()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="1000,10000,100000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    steps = sorted(int(s) for s in args.steps.split(","))
    results = []
    for database in args.databases.split(","):
        folder = Path(tempfile.mkdtemp(prefix="helhed-bench-indicators-"))
        print(f"{database}:", flush=True)
        try:
            with scratch_database(database, folder) as url:
                results.append((database, run(url, steps)))
        except DatabaseUnavailable as exc:
            print(f"{database}: skipped ({exc})")
    print()
    print("Indicators of the pooled comparison, five municipalities")
    print(
        f"{'database':<11}{'families':>9}{'answer rows':>12}{'baseline s':>11}"
        f"{'indicators s':>13}{'× baseline':>11}{'growth':>8}  target"
    )
    for database, rows in results:
        previous = None
        for row in rows:
            growth = ""
            verdicts = []
            if previous is not None:
                factor = (row["indicators_s"] / previous["indicators_s"]) / (
                    row["families"] / previous["families"]
                )
                growth = f"{factor:.2f}"
                verdicts.append("linear PASS" if factor <= LINEAR_SLACK else "linear FAIL")
            if database == "postgresql" and row["families"] >= 100_000:
                verdicts.append("PASS" if row["indicators_s"] < TARGET_S else "FAIL")
            print(
                f"{database:<11}{row['families']:>9.0f}{row['rows']:>12.0f}"
                f"{row['baseline_s']:>11.2f}{row['indicators_s']:>13.2f}"
                f"{row['indicators_s'] / max(row['baseline_s'], 1e-9):>11.1f}{growth:>8}  "
                + ", ".join(verdicts)
            )
            previous = row
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
