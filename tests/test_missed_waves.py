"""A wave recorded as not collectable reaches researchers as the reason's declared
missing-value code, through a built package, and nothing changes for answered waves."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest

from app.casework.missed import MissedError, record_missed, undo_missed
from app.core import dates
from app.core.db import db
from app.families.models import Family
from app.families.services import add_member, enrol_family
from app.research.services import export_package
from app.research.variables import MISSED_CODES, MISSING_VALUES
from app.tenancy.scoping import tenant_scope
from tests.support.research import fill_wave, grant_and_approve, make_study


def read_tables(path):
    with zipfile.ZipFile(path) as archive:
        tables = {
            name: list(csv.DictReader(io.TextIOWrapper(archive.open(name), encoding="utf-8")))
            for name in archive.namelist()
            if name.endswith(".csv")
        }
        package = json.loads(archive.read("datapackage.json"))
        readme = archive.read("README.md").decode()
    return tables, package, readme


def test_a_missed_wave_carries_its_reason_code_in_every_answer_table(
    app_ctx, municipalities, forms_published, make_user, tmp_path
):
    from frictionless import Package

    brondby = municipalities["brondby"]
    today = dates.today()
    with tenant_scope(brondby):
        family = enrol_family(brondby, "Familien Flyt", today - timedelta(days=200))
        adults = [add_member(family, "adult", f"Voksen {i}", family.enrolment_date) for i in (1, 2)]
        add_member(family, "child", "Barn 1", family.enrolment_date)
        intake, follow_up = family.waves[0], family.waves[1]
        fill_wave(brondby, family, intake)
        assert follow_up.status(today) in ("due", "overdue")
        record_missed(follow_up, "moved")
        db.session.commit()
        family_id, follow_up_key = family.id, follow_up.key
    researcher = make_user(platform_role="researcher", email="forsker@example.org")
    study = make_study(researcher)
    grant_and_approve(municipalities, study, slugs=("brondby",), waves=("intake", follow_up_key))
    out = tmp_path / "package.zip"
    export_package(study, out, researcher)
    db.session.commit()
    tables, package, readme = read_tables(out)

    code = MISSED_CODES["moved"]
    assert code == "M_MOVED" and code in MISSING_VALUES
    # The answer cells: the codebook's variables of each table.
    variables: dict[str, list[str]] = {}
    for entry in tables["codebook.csv"]:
        # Questions of a form; not who answered them (a self-report's mode has no form).
        if entry["forms"]:
            variables.setdefault(entry["table"], []).append(entry["variable"])
    for table, expected_rows in (
        ("families.csv", 1),
        ("adults.csv", len(adults)),
        ("children.csv", 1),
    ):
        rows = [r for r in tables[table] if r["wave"] == follow_up_key]
        assert len(rows) == expected_rows, table
        for row in rows:
            cells = {k: row[k] for k in variables[table]}
            assert cells and set(cells.values()) <= {code, "NV"}, (table, set(cells.values()))
            assert code in cells.values()
        # The answered intake is unchanged: no code there.
        intake_rows = [r for r in tables[table] if r["wave"] == "intake"]
        assert intake_rows and all(code not in r.values() for r in intake_rows)
    for resource in package["resources"]:
        assert code in resource["schema"]["missingValues"]
    assert f"`{code}`" in readme
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(folder)
    report = Package(str(folder / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]

    # Taken back, the wave is expected again and leaves the package's tables.
    with tenant_scope(brondby):
        wave = db.session.get(Family, family_id).waves[1]
        undo_missed(wave)
        db.session.commit()
    again = tmp_path / "again.zip"
    export_package(study, again, researcher)
    db.session.commit()
    tables, _, _ = read_tables(again)
    assert not [r for r in tables["families.csv"] if r["wave"] == follow_up_key]


def test_only_an_open_wave_takes_a_reason(app_ctx, municipalities, forms_published):
    brondby = municipalities["brondby"]
    today = dates.today()
    with tenant_scope(brondby):
        family = enrol_family(brondby, "Familien Tidlig", today)
        later = family.waves[-1]
        assert later.status(today) == "upcoming"
        with pytest.raises(MissedError):
            record_missed(later, "moved")
        with pytest.raises(MissedError):
            record_missed(family.waves[0], "no such reason")
        with pytest.raises(MissedError):
            undo_missed(family.waves[0])
