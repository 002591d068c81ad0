"""Benchmark: what the tenant keys of ``0024_tenant_keys`` cost on PostgreSQL.

Two scratch databases on the same server: the baseline migrated to ``0023_job_queue``
(primary key ``id``), the other to the head (primary key ``(id, municipality_id)`` on every
tenant table, the unique keys with the municipality). Both get the same rows in the same
order, through the statements the application sends one row at a time, as the owner role
(what is measured is the keys, not the policies, which are the same in both):

- **insert**: a family, its four waves and a submission per wave, one INSERT each with
  RETURNING id, one transaction per family;
- **get**: a wave fetched by its id, as ``db.session.get(Wave, id)`` sends it in a tenant
  scope (the scope adds the municipality), and by its id alone (raw SQL, or the scope
  left open);
- **update**: a family's optimistic-lock update by id and lock version, as a flush sends
  it (without the municipality: the scope does not reach a flush).

After each round's inserts the tables are analysed, as autovacuum does: before that the
planner does not know that an id alone picks one row of ``(id, municipality_id)``.

The rounds alternate between the two databases, each round on a fresh block of rows, and
the best round of each is kept. Printed: time per operation in each database, their ratio,
and the size of the tenant tables' indexes. Target, asserted nowhere: every ratio ≤ 1.25.

Usage: ``python bench/tenant_keys.py [--families 2000] [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import DatabaseUnavailable, scratch_database  # noqa: E402

BASELINE = "0023_job_queue"
TARGET = 1.25
WAVES = ("intake", "follow_up_6", "follow_up_12", "exit")


def _migrate(url: str, revision: str) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.core.db import db

    app = create_app({"HELHED_ENV": "testing", "DATABASE_URL": url})
    with app.app_context():
        upgrade(revision=revision)
        db.engine.dispose()


def _seed(connection) -> None:  # type: ignore[no-untyped-def]
    connection.execute(
        "INSERT INTO municipality (id, code, slug, name_da, name_en, programme_name, "
        "team_model, settings, created_at, updated_at) VALUES (1, '0153', 'brondby', "
        "'Brøndby', 'Brøndby', 'P', 'coordinator', '{}', now(), now())"
    )
    connection.execute(
        "INSERT INTO form_version (id, form_id, version, level, content_hash, definition, "
        "published_at) VALUES (1, 'family_intake', 1, 'family', 'x', '{}', now())"
    )
    connection.commit()


def _insert(connection, families: int) -> list[int]:  # type: ignore[no-untyped-def]
    waves = []
    for _ in range(families):
        family = connection.execute(
            "INSERT INTO family (label, enrolment_date, team_model, status, created_at, "
            "lock_version, municipality_id) VALUES ('Familien', '2026-01-05', "
            "'coordinator', 'active', now(), 1, 1) RETURNING id"
        ).fetchone()[0]
        for key in WAVES:
            wave = connection.execute(
                "INSERT INTO wave (family_id, key, kind, due_date, window_start, window_end, "
                "municipality_id) VALUES (%s, %s, 'follow_up', '2026-01-05', '2026-01-01', "
                "'2026-02-01', 1) RETURNING id",
                (family, key),
            ).fetchone()[0]
            connection.execute(
                "INSERT INTO submission (family_id, wave_id, form_id, form_version_id, "
                "answers, status, confirmed_checks, lock_version, created_at, updated_at, "
                "municipality_id) VALUES (%s, %s, 'family_intake', 1, '{}', 'draft', '[]', "
                "1, now(), now(), 1) RETURNING id",
                (family, wave),
            )
            waves.append(wave)
        connection.commit()
    return waves


def _get(connection, ids: list[int], scoped: bool) -> None:  # type: ignore[no-untyped-def]
    where = "wave.id = %s AND wave.municipality_id = 1" if scoped else "wave.id = %s"
    for wave in ids:
        connection.execute(f"SELECT * FROM wave WHERE {where}", (wave,)).fetchone()
    connection.commit()


def _update(connection, ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    for family in ids:
        connection.execute(
            "UPDATE family SET lock_version = 2 WHERE family.id = %s AND lock_version = 1",
            (family,),
        )
    connection.commit()


def _timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def _index_bytes(connection) -> int:  # type: ignore[no-untyped-def]
    return int(
        connection.execute(
            "SELECT sum(pg_indexes_size(c.oid)) FROM pg_class c "
            "WHERE c.relname IN ('family', 'wave', 'submission')"
        ).fetchone()[0]
    )


def main() -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=2000, help="families per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="helhed-keys-"))
    best: dict[tuple[str, str], float] = {}
    counts = {"insert": args.families * (1 + 2 * len(WAVES))}
    sizes: dict[str, int] = {}
    with (
        scratch_database("postgresql", folder) as old_url,
        scratch_database("postgresql", folder) as new_url,
    ):
        _migrate(old_url, BASELINE)
        _migrate(new_url, "heads")
        connections = {
            name: psycopg.connect(
                make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
            )
            for name, url in (("0020 (id)", old_url), ("0024 (id, municipality)", new_url))
        }
        for connection in connections.values():
            _seed(connection)
        shuffle = random.Random(24)
        for _ in range(args.rounds):
            for name, connection in connections.items():
                seconds, waves = _timed(lambda c=connection: _insert(c, args.families))
                connection.execute("ANALYZE family, wave, submission")
                connection.commit()
                ids = list(waves)  # type: ignore[call-overload]
                shuffle.shuffle(ids)
                families = connection.execute(
                    "SELECT id FROM family WHERE lock_version = 1"
                ).fetchall()
                counts["get"] = counts["get by id"] = len(ids)
                counts["update"] = len(families)
                timings = {
                    "insert": seconds,
                    "get": _timed(lambda c=connection, i=ids: _get(c, i, True))[0],
                    "get by id": _timed(lambda c=connection, i=ids: _get(c, i, False))[0],
                    "update": _timed(
                        lambda c=connection, f=[r[0] for r in families]: _update(c, f)
                    )[0],
                }
                for operation, value in timings.items():
                    key = (name, operation)
                    best[key] = min(best.get(key, value), value)
        for name, connection in connections.items():
            sizes[name] = _index_bytes(connection)
            connection.close()
    names = list(sizes)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'operation':<11}" + "".join(f"{n:>28}" for n in names) + f"{'ratio':>9}")
    verdicts = []
    for operation in ("insert", "get", "get by id", "update"):
        per_op = [best[(n, operation)] / counts[operation] * 1e6 for n in names]
        ratio = per_op[1] / per_op[0]
        verdicts.append(ratio <= TARGET)
        print(
            f"{operation:<11}"
            + "".join(f"{value:>25.1f} µs" for value in per_op)
            + f"{ratio:>9.2f}  {'PASS' if ratio <= TARGET else 'FAIL'} (≤ {TARGET})"
        )
    old, new = (sizes[n] for n in names)
    print(
        f"indexes of family, wave, submission: {old / 2**20:.1f} MiB and "
        f"{new / 2**20:.1f} MiB ({new / old:.2f}×), after {args.rounds} rounds"
    )
    print("PASS" if all(verdicts) else "FAIL")


if __name__ == "__main__":
    try:
        main()
    except DatabaseUnavailable as exc:
        print(f"skipped: {exc}")
