"""The research package's persons table, codebook tables, keys and loaders.

Every table's every column is checked against ``variables.csv``, every code and anchor of
every published form against ``values.csv``; the keys are checked by ``frictionless``
itself, and the pandas loader is the one the package's README prints, run as printed.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from app.collection.models import FormVersion
from app.collection.services import publish_catalogue
from app.core.db import db
from app.definitions.loader import load_catalogue
from app.definitions.model import FormDef
from app.families.models import Member
from app.families.services import add_member, enrol_family
from app.research.services import export_package
from app.research.variables import MISSING_VALUES, NOT_IN_VERSION
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.research import birth_year, fill_wave, grant_and_approve, make_study

NUMERIC = {"integer", "number"}


@pytest.fixture
def package(municipalities, forms_published, make_user, tmp_path) -> Path:
    """Families in Jammerbugt and Assens (codes 0849 and 0420: leading zeros), their
    intake and 6-month follow-up answered and approved."""
    for slug, count in (("jammerbugt", 2), ("assens", 2)):
        municipality = municipalities[slug]
        with tenant_scope(municipality):
            for n in range(count):
                family = enrol_family(municipality, f"Familien {slug}{n}", date(2026, 1, 10 + n))
                for role, i in (("adult", 1), ("adult", 2), ("child", 1)):
                    year = birth_year(family, role) % 100
                    cpr = f"{10 + n:02d}{i:02d}{year:02d}-{4000 + n * 10 + i}"
                    add_member(family, role, f"P{slug}{n}{role}{i}", family.enrolment_date, cpr)
                for wave in family.waves[:2]:
                    fill_wave(municipality, family, wave)
            db.session.commit()
    researcher = make_user(platform_role="researcher", email="forsker@example.org")
    study = make_study(researcher)
    grant_and_approve(municipalities, study, slugs=("jammerbugt", "assens"))
    out = tmp_path / "package.zip"
    export_package(study, out, researcher)
    db.session.commit()
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(folder)
    return folder


def _table(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _descriptor(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "datapackage.json").read_text())


def test_frictionless_validates_the_keys_of_every_table(app_ctx, package):
    from frictionless import Package

    report = Package(str(package / "datapackage.json")).validate()
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "note"])[:10]
    resources = {r["path"]: r for r in _descriptor(package)["resources"]}
    for path, resource in resources.items():
        names = [f["name"] for f in resource["schema"]["fields"]]
        # A Parquet file has its CSV's schema, keys included.
        if "family_id" in names and path.split(".")[0] != "family_index":
            references = {
                key["reference"]["resource"]: key["fields"]
                for key in resource["schema"]["foreignKeys"]
            }
            assert references["family-index"] == ["family_id"], path
            if "person_id" in names and path.split(".")[0] != "persons":
                assert references["persons"] == ["person_id"], path
        if "form_versions" in names:
            assert resource["schema"]["primaryKey"][-1] == "wave", path
    assert resources["values.csv"]["schema"]["foreignKeys"][0]["reference"] == {
        "resource": "variables",
        "fields": ["table", "name"],
    }
    # The command line says the same, and finds a person who is not in persons.csv.
    assert _frictionless_validate(package).returncode == 0
    rows = (package / "adults.csv").read_text(encoding="utf-8").splitlines()
    stranger = rows[1].split(",", 2)
    stranger[1] = "0000000000000000"
    (package / "adults.csv").write_text("\n".join([*rows, ",".join(stranger)]) + "\n")
    done = _frictionless_validate(package)
    assert done.returncode != 0 and "foreign-key" in done.stdout


def _frictionless_validate(folder: Path) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).parent / "frictionless"
    return subprocess.run(
        [str(command), "validate", "datapackage.json"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


def test_persons_carry_the_intake_attributes(app_ctx, package):
    persons = _table(package, "persons.csv")
    with unscoped("test"):
        members = db.session.execute(select(Member.role, Member.family_id)).all()
    assert len(persons) == len(members)
    assert {p["level"] for p in persons} == {"adult", "child"}
    assert {p["municipality_code"] for p in persons} == {"0849", "0420"}
    families = {f["family_id"] for f in _table(package, "family_index.csv")}
    assert {p["family_id"] for p in persons} == families
    years = {(m.role, birth_year(SimpleNamespace(id=m.family_id), m.role)) for m in members}
    assert {(p["level"], int(p["birth_year"])) for p in persons} == years
    for person in persons:
        assert person["household_type"] not in ("", NOT_IN_VERSION)
        if person["level"] == "child":
            assert person["sex"] == NOT_IN_VERSION  # the child intake does not ask it
        else:
            assert person["sex"] not in ("", NOT_IN_VERSION)


def test_variables_describe_every_column_of_every_table(app_ctx, package):
    variables = {(v["table"], v["name"]): v for v in _table(package, "variables.csv")}
    codebook = ("codebook.csv", "codebook_checks.csv", "variables.csv", "values.csv")
    described = 0
    for resource in _descriptor(package)["resources"]:
        # A Parquet file is described by its CSV's rows: the same table, the same fields.
        if resource["path"] in codebook or resource["format"] == "parquet":
            continue
        for entry in resource["schema"]["fields"]:
            row = variables[(resource["path"], entry["name"])]
            assert row["type"] == entry["type"]
            declared = [c for c in entry["missingValues"] if c]
            assert row["missing_codes"].split(";") == (declared or [""])
            if entry["type"] == "string":
                assert declared == []  # NV, NS and M_ codes stay values in text and codes
            else:
                assert "" in entry["missingValues"]
            described += 1
    assert described == len(variables)
    # Every bounded number of every published version has its range, and dates their unit.
    with unscoped("test"):
        versions = db.session.scalars(select(FormVersion)).all()
    for version in versions:
        table = f"{version.level}s.csv".replace("familys", "families").replace("childs", "children")
        if version.form.is_local:
            table = table.replace(".csv", f"_{version.form.namespace}.csv")
        for fdef in version.form.fields:
            name = f"{version.form.namespace}.{fdef.name}" if version.form.is_local else fdef.name
            row = variables.get((table, name))
            if fdef.identifying:
                assert row is None
                continue
            assert row is not None, (table, name)
            assert f"{version.form_id}:{version.version}" in row["versions"]
            if fdef.kind.export_type in NUMERIC and fdef.kind.bounded and fdef.min is not None:
                low, high = fdef.bounds(date.today())
                assert float(row["minimum"]) <= low and float(row["maximum"]) >= high
            if fdef.kind.export_unit:
                assert row["unit"] == fdef.kind.export_unit and row["unit_da"]
            elif fdef.unit:
                assert (row["unit"], row["unit_da"]) == (fdef.unit["en"], fdef.unit["da"])


def test_values_list_every_code_and_anchor(app_ctx, package):
    values = _table(package, "values.csv")
    listed = {(v["table"], v["variable"], v["kind"], v["code"]) for v in values}
    variables = {(v["table"], v["name"]) for v in _table(package, "variables.csv")}
    assert {(v["table"], v["variable"]) for v in values} <= variables
    with unscoped("test"):
        versions = db.session.scalars(select(FormVersion)).all()
    checked = 0
    for version in versions:
        form = version.form
        if form.is_local:
            continue
        table = {"family": "families.csv", "adult": "adults.csv", "child": "children.csv"}
        for fdef in form.fields:
            for code in form.codelists[fdef.codelist].codes if fdef.codelist else ():
                assert (table[form.level], fdef.name, "code", code.code) in listed
                checked += 1
            for point in fdef.anchors:
                assert (table[form.level], fdef.name, "anchor", str(point)) in listed
                checked += 1
    assert checked > 0
    sex = [v for v in values if v["table"] == "persons.csv" and v["variable"] == "sex"]
    assert {v["code"] for v in sex} == {"female", "male", "other", "unknown"}


def test_a_reworded_label_gives_two_rows_with_their_versions(
    app_ctx, municipalities, forms_published, make_user, tmp_path, project_root
):
    catalogue = load_catalogue(project_root / "forms")
    data = copy.deepcopy(catalogue.forms[("adult_follow_up", 1)].data)
    data["version"] = 2
    data["codelists"]["income_support"]["codes"][0]["label"]["da"] = "Ny dansk tekst"
    field = data["sections"][0]["fields"][0]
    assert field["name"] == "income_support"
    field["label"] = {"da": "Omformuleret spørgsmål", "en": "Reworded question"}
    catalogue.forms = {("adult_follow_up", 2): FormDef.from_dict(data)}
    publish_catalogue(catalogue)
    db.session.commit()
    researcher = make_user(platform_role="researcher", email="forsker@example.org")
    study = make_study(researcher)
    grant_and_approve(municipalities, study, slugs=("vejle",))
    out = tmp_path / "package.zip"
    export_package(study, out, researcher)
    db.session.commit()
    with zipfile.ZipFile(out) as archive:
        values = list(csv.DictReader(io.TextIOWrapper(archive.open("values.csv"), "utf-8")))
        variables = list(csv.DictReader(io.TextIOWrapper(archive.open("variables.csv"), "utf-8")))
    first = data["codelists"]["income_support"]["codes"][0]["code"]
    rows = {
        v["label_da"]: (v["valid_from"], v["valid_to"])
        for v in values
        if (v["table"], v["variable"], v["code"]) == ("adults.csv", "income_support", first)
    }
    assert rows["Ny dansk tekst"] == ("adult_follow_up:2", "adult_follow_up:2")
    old = next(label for label in rows if label != "Ny dansk tekst")
    assert rows[old] == ("adult_intake:1; adult_follow_up:1", "adult_intake:1; adult_follow_up:1")
    others = [
        v
        for v in values
        if (v["table"], v["variable"]) == ("adults.csv", "income_support") and v["code"] != first
    ]
    assert others and all(v["valid_to"].endswith("adult_follow_up:2") for v in others)
    (row,) = [v for v in variables if (v["table"], v["name"]) == ("adults.csv", "income_support")]
    assert row["label_da"] == "Omformuleret spørgsmål"
    assert "adult_intake:1: " in row["earlier_labels"]
    assert "adult_follow_up:1: " in row["earlier_labels"]


def test_frictionless_to_pandas_keeps_not_in_version_apart(app_ctx, package):
    import pandas
    from frictionless import Package

    descriptor = Package(str(package / "datapackage.json"))
    kept = 0
    for table in ("families", "adults", "children"):
        frame = descriptor.get_table_resource(table).to_pandas()
        raw = _table(package, f"{table}.csv")
        types = {
            v["name"]: v["type"]
            for v in _table(package, "variables.csv")
            if v["table"] == f"{table}.csv"
        }
        assert len(frame) == len(raw)
        for row, (_, read) in zip(raw, frame.reset_index().iterrows(), strict=True):
            for name, cell in row.items():
                value = read[name]
                if types[name] == "string" and cell != "":
                    # NV, NS and the M_ codes stay what they are: values, not missing.
                    assert value == cell, (table, name)
                    kept += cell == NOT_IN_VERSION
                elif cell == "" or cell in MISSING_VALUES:
                    assert pandas.isna(value), (table, name)
    assert kept > 0


def test_the_readme_loader_types_every_column(app_ctx, package):
    readme = (package / "README.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert len(code.strip().splitlines()) == 3
    report = (
        "import json\n"
        + code
        + "print(json.dumps({'dtypes': {c: str(t) for c, t in adults.dtypes.items()},"
        " 'codes': sorted(set(adults['municipality_code'])),"
        " 'values': {c: sorted(map(str, set(adults[c]))) for c in adults.columns}}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", report], cwd=package, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["codes"] == ["0420", "0849"]
    variables = [v for v in _table(package, "variables.csv") if v["table"] == "adults.csv"]
    assert set(result["dtypes"]) == {v["name"] for v in variables}
    # pandas' dtype for each Table Schema type; a string is pandas' string dtype.
    dtypes = {"integer": {"Int64"}, "number": {"float64"}, "boolean": {"boolean"}}
    for variable in variables:
        dtype = result["dtypes"][variable["name"]]
        assert dtype in dtypes.get(variable["type"], {"string", "str"}), variable["name"]
        if variable["type"] not in dtypes:
            codes = {c for c in MISSING_VALUES if c} & set(result["values"][variable["name"]])
            if variable["versions"] and "adult_intake" not in variable["versions"]:
                assert NOT_IN_VERSION in codes, variable["name"]
