"""The package the database builds holds the same cells as version 1's writer, which read
and merged every row in Python (kept as the reference in tests/support/package_v1.py).

A generated data set (synthetic families with missed waves and drafts, and answered waves
of local forms with formula-like notes) is exported for a study without free-text rights
and one with, one of them under a grant period, with waves answered that are not approved;
every cell of every table is compared, line endings aside. Each table's Parquet file holds
the CSV's cells.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from app.core.db import db
from app.demo.generate import generate
from app.plans.models import Plan
from app.plans.services import add_goal, set_goal_status
from app.research.models import Grant
from app.research.package import write_package
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.package_v1 import write_package_v1
from tests.support.research import fill_wave, grant_and_approve, make_study

NOTES = ['=HYPERLINK("http://x","y")', "-2+3", "linje 1\nlinje 2", "@SUM(1)", "almindelig"]


@pytest.fixture
def generated(municipalities, forms_published, make_user, make_family):
    for slug in ("jammerbugt", "vejle", "brondby"):
        with tenant_scope(municipalities[slug]):
            generate(municipalities[slug], 12, seed=7)
            db.session.commit()
    for n, note in enumerate(NOTES):
        family = make_family("jammerbugt", adults=2, children=1, enrolment=date(2025, 3, 1 + n))
        jammerbugt = municipalities["jammerbugt"]
        with tenant_scope(jammerbugt):
            for wave in family.waves[:3]:
                fill_wave(jammerbugt, family, wave, note=note)
            plan = db.session.query(Plan).filter_by(family_id=family.id).one()
            goal = add_goal(plan, 1, "work_education", f"{note} mål", None)
            set_goal_status(goal, family.waves[1], "partly", None)
            db.session.commit()
    return make_user(platform_role="researcher", email="forsker@example.org")


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize("free_text", [False, True])
def test_every_cell_of_every_table_is_the_reference_writers(
    app_ctx, municipalities, generated, tmp_path, free_text
):
    study = make_study(generated)
    # intake and the 6-month follow-up approved; later waves answered but not approved
    grant_and_approve(municipalities, study, free_text=free_text)
    if free_text:
        with unscoped("test"):
            grant = db.session.scalar(
                select(Grant).where(
                    Grant.study_id == study.id,
                    Grant.municipality_id == municipalities["vejle"].id,
                )
            )
            grant.period_from = date(2025, 1, 1)
            db.session.commit()
    with unscoped("test"):
        new = write_package(study, tmp_path / "new.zip")
        old = write_package_v1(study, tmp_path / "old.zip")
    new_members, old_members = _members(new.path), _members(old.path)
    old_tables = {name for name in old_members if name.endswith(".csv")}
    # Version 2 adds tables (persons, the family index, the codebook as tables); every
    # table of the reference writer is there, counted and written the same.
    assert old_tables <= {name for name in new_members if name.endswith(".csv")}
    assert {
        municipality: {name: n for name, n in tables.items() if name in old_tables}
        for municipality, tables in new.row_counts.items()
    } == old.row_counts
    for name in sorted(old_tables):
        assert _cells(new_members[name]) == _cells(old_members[name]), name
    answered = _cells(new_members["adults_jammerbugt.csv"])
    assert len(answered) > 1
    header, *goals = _cells(new_members["plan_goals.csv"])
    described = {row[header.index("description")] for row in goals}
    assert (described == {"NS"}) != free_text, described

    # Parquet beside each CSV, declared with the same schema, holding the same cells.
    package = json.loads(new_members["datapackage.json"])
    resources = {r["path"]: r for r in package["resources"]}
    for name in old_tables:
        stem = name.removesuffix(".csv")
        declared = resources[f"{stem}.parquet"]
        assert declared["format"] == "parquet"
        assert declared["schema"] == resources[name]["schema"]
        table = pq.read_table(io.BytesIO(new_members[f"{stem}.parquet"]))
        rows = _cells(new_members[name])
        assert table.column_names == rows[0], name
        assert [list(r.values()) for r in table.to_pylist()] == rows[1:], name


def test_the_progress_is_reported_every_batch(
    app, app_ctx, municipalities, generated, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "EXPORT_BATCH_ROWS", 3)
    study = make_study(generated)
    grant_and_approve(municipalities, study)
    seen: list[tuple[str, int]] = []
    with unscoped("test"):
        result = write_package(study, tmp_path / "p.zip", progress=lambda t, n: seen.append((t, n)))
    for table in ("adults.csv", "waves.csv", "plan_goals.csv"):
        reported = [n for t, n in seen if t == table]
        assert reported and reported == list(range(3, 3 * len(reported) + 1, 3)), table
    assert sum(c.get("waves.csv", 0) for c in result.row_counts.values()) >= reported[-1]
