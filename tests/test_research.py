"""Research packages: Frictionless-valid, pseudonymised, granted and approved data only."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.collection.services import publish_catalogue
from app.core.db import db
from app.definitions.loader import load_catalogue
from app.families.models import Family
from app.families.services import add_member, enrol_family
from app.plans.models import Plan
from app.plans.services import add_goal, set_goal_status
from app.research.models import ExportRecord
from app.research.services import (
    create_study,
    export_package,
    grant_study,
    set_wave_approval,
)
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.auth import log_in
from tests.support.research import birth_year, fill_wave, grant_and_approve, make_study

FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3+cmd|x"]


@pytest.fixture
def dataset(municipalities, forms_published, make_user):
    """Families in three municipalities: intake and 6-month follow-up answered, plans with
    goals, CPR numbers, formula-like free text, and one family without consent each."""
    created = {"names": [], "cprs": [], "free_text": []}
    for slug, count in (("jammerbugt", 4), ("vejle", 3), ("brondby", 3)):
        municipality = municipalities[slug]
        with tenant_scope(municipality):
            for n in range(count):
                family = enrol_family(
                    municipality, f"Familien Navnesen{slug}{n}", date(2026, 1, 10 + n)
                )
                created["names"].append(family.label)
                for role, i in (("adult", 1), ("adult", 2), ("child", 1)):
                    # The 7th digit 4 puts years to 36 in the 2000s, later ones in the 1900s.
                    year = birth_year(family, role) % 100
                    cpr = f"{10 + n:02d}{i:02d}{year:02d}-{4000 + n * 10 + i}"
                    member = add_member(
                        family, role, f"Person{slug}{n}{role}{i}", family.enrolment_date, cpr
                    )
                    created["names"].append(member.name)
                    created["cprs"] += [cpr, cpr.replace("-", "")]
                note = FORMULAS[n % len(FORMULAS)]
                created["free_text"].append(note)
                for wave in family.waves[:2]:
                    fill_wave(municipality, family, wave, consent=n != 0, note=note)
                plan = db.session.scalar(select(Plan).where(Plan.family_id == family.id))
                description = f"{FORMULAS[(n + 1) % len(FORMULAS)]} mål {slug} {n}"
                created["free_text"].append(description)
                goal = add_goal(plan, 1, "work_education", description, None)
                set_goal_status(goal, family.waves[1], "partly", None)
            db.session.commit()
    researcher = make_user(platform_role="researcher", email="forsker@example.org")
    return created, researcher


def export(study, researcher, tmp_path: Path, name: str = "package.zip") -> Path:
    out = tmp_path / name
    export_package(study, out, researcher)
    db.session.commit()
    return out


def read_tables(path: Path) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(path) as archive:
        return {
            name: list(csv.DictReader(io.TextIOWrapper(archive.open(name), encoding="utf-8")))
            for name in archive.namelist()
            if name.endswith(".csv")
        }


def test_the_package_is_a_valid_frictionless_data_package(
    app_ctx, municipalities, dataset, tmp_path
):
    from frictionless import Package

    _, researcher = dataset
    study = make_study(researcher)
    grant_and_approve(municipalities, study)
    path = export(study, researcher, tmp_path)
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)
        names = set(archive.namelist())
    assert {
        "datapackage.json",
        "README.md",
        "families.csv",
        "adults.csv",
        "children.csv",
        "plan_goals.csv",
        "waves.csv",
        "codebook.csv",
        "adults_jammerbugt.csv",
    } <= names
    report = Package(str(folder / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    tables = read_tables(path)
    assert len(tables["adults.csv"]) > 0 and len(tables["children.csv"]) > 0
    codebook = {(r["variable"], r["table"]) for r in tables["codebook.csv"]}
    assert ("income_support", "adults.csv") in codebook
    assert ("jammerbugt.bip_job_belief", "adults_jammerbugt.csv") in codebook
    readme = (folder / "README.md").read_text()
    for name in ("families.csv", "adults.csv"):
        assert name in readme
    assert "k = 5" in readme and "Helhed" in readme
    # Covariates and dates.
    adult = tables["adults.csv"][0]
    assert adult["municipality_code"] in {"0849", "0630", "0153"}
    assert adult["team_model"] in {"family_team", "single_entry", "coordinator"}
    assert adult["enrolment_year"] == "2026" and adult["enrolment_quarter"] == "1"


def test_no_cell_starts_a_formula(app_ctx, municipalities, dataset, tmp_path):
    _, researcher = dataset
    study = make_study(researcher)
    grant_and_approve(municipalities, study, free_text=True)
    tables = read_tables(export(study, researcher, tmp_path))
    texts = [cell for rows in tables.values() for row in rows for cell in row.values()]
    assert any("HYPERLINK" in cell for cell in texts), "the free text should be in this package"
    for cell in texts:
        if cell[:1] in ("=", "+", "@", "\t", "\r"):
            pytest.fail(f"cell starts a formula: {cell!r}")
        if cell.startswith("-"):
            float(cell)  # only plain negative numbers may start with a minus


def test_no_identifying_data_and_free_text_only_when_granted(
    app_ctx, municipalities, dataset, tmp_path
):
    created, researcher = dataset
    withheld = make_study(researcher, "Uden fritekst")
    grant_and_approve(municipalities, withheld, free_text=False)
    blob = _all_bytes(export(withheld, researcher, tmp_path, "a.zip"))
    for value in created["names"] + created["cprs"] + created["free_text"]:
        assert value.encode() not in blob, value
    with_text = make_study(researcher, "Med fritekst")
    grant_and_approve(municipalities, with_text, free_text=True)
    blob = _all_bytes(export(with_text, researcher, tmp_path, "b.zip"))
    for value in created["names"] + created["cprs"]:
        assert value.encode() not in blob, value
    assert "mål jammerbugt 1".encode() in blob


def _all_bytes(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def test_pseudonyms_are_stable_within_a_study_and_unrelated_across_studies(
    app_ctx, municipalities, dataset, tmp_path
):
    _, researcher = dataset
    first, second = make_study(researcher, "A"), make_study(researcher, "B")
    grant_and_approve(municipalities, first)
    grant_and_approve(municipalities, second)

    def ids(path: Path) -> set[str]:
        tables = read_tables(path)
        return {r["family_id"] for r in tables["families.csv"]} | {
            r["person_id"] for r in tables["adults.csv"] + tables["children.csv"]
        }

    one, again = (
        ids(export(first, researcher, tmp_path, "1.zip")),
        ids(export(first, researcher, tmp_path, "2.zip")),
    )
    other = ids(export(second, researcher, tmp_path, "3.zip"))
    assert one == again and one
    assert not one & other


def test_only_approved_waves_granted_municipalities_and_consenting_families(
    app_ctx, municipalities, dataset, tmp_path
):
    _, researcher = dataset
    study = make_study(researcher)
    grant_and_approve(municipalities, study, slugs=("jammerbugt", "vejle"), waves=("intake",))
    tables = read_tables(export(study, researcher, tmp_path))
    for table in ("families.csv", "adults.csv", "children.csv", "waves.csv"):
        rows = tables[table]
        assert rows, table
        assert {r["wave"] for r in rows} == {"intake"}, table
        assert {r["municipality_code"] for r in rows} == {"0849", "0630"}, table
    # Families without consent (the first of each municipality) are absent: 3 + 2 remain.
    assert len({r["family_id"] for r in tables["families.csv"]}) == 5
    # Reopening a wave takes it out again, and is audited.
    set_wave_approval(municipalities["vejle"], "intake", False)
    db.session.commit()
    tables = read_tables(export(study, researcher, tmp_path, "again.zip"))
    assert {r["municipality_code"] for r in tables["families.csv"]} == {"0849"}
    with unscoped("test"):
        actions = {e.action for e in db.session.scalars(select(AuditEvent))}
    assert {"wave.approved", "wave.reopened", "export.package", "study.granted"} <= actions


def test_columns_are_the_same_across_form_versions(
    app_ctx, municipalities, dataset, tmp_path, project_root
):
    _, researcher = dataset
    study = make_study(researcher)
    grant_and_approve(municipalities, study)
    with zipfile.ZipFile(export(study, researcher, tmp_path, "v1.zip")) as archive:
        before = json.loads(archive.read("datapackage.json"))

    forms = tmp_path / "forms"
    shutil.copytree(project_root / "forms", forms)
    folder = forms / "core" / "family_follow_up"
    text = (folder / "v1.yaml").read_text().replace("version: 1", "version: 2")
    (folder / "v2.yaml").write_text(
        text.replace("Har familien en fælles plan?", "Har familien én fælles plan?")
    )
    publish_catalogue(load_catalogue(forms))
    db.session.commit()
    vejle = municipalities["vejle"]
    with tenant_scope(vejle):
        family = db.session.scalars(select(Family).order_by(Family.id.desc())).first()
        fill_wave(vejle, family, family.waves[2])  # follow_up_12, now on version 2
        db.session.commit()
    set_wave_approval(vejle, "follow_up_12", True)
    db.session.commit()
    path = export(study, researcher, tmp_path, "v2.zip")
    with zipfile.ZipFile(path) as archive:
        after = json.loads(archive.read("datapackage.json"))
    tables = read_tables(path)
    versions = {r["form_versions"] for r in tables["families.csv"]}
    assert any("family_follow_up:2" in v for v in versions)
    assert any("family_follow_up:1" in v for v in versions)

    def columns(package):
        return {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in package["resources"]}

    assert columns(before) == columns(after)
    codebook = {r["variable"]: r for r in tables["codebook.csv"] if r["table"] == "families.csv"}
    assert "family_follow_up:2" in codebook["joint_plan_in_place"]["versions"]


def test_every_export_is_recorded_for_each_municipality(app_ctx, municipalities, dataset, tmp_path):
    _, researcher = dataset
    study = make_study(researcher)
    grant_and_approve(municipalities, study, slugs=("vejle",))
    export(study, researcher, tmp_path)
    with tenant_scope(municipalities["vejle"]):
        records = db.session.scalars(select(ExportRecord)).all()
    assert len(records) == 1 and records[0].user_id == researcher.id
    assert records[0].row_counts["families.csv"] > 0 and len(records[0].checksum) == 64
    with tenant_scope(municipalities["jammerbugt"]):
        assert db.session.scalars(select(ExportRecord)).all() == []


def test_the_pages_grant_sign_off_export_and_show_what_left(
    app, app_ctx, municipalities, dataset, make_user, tmp_path
):
    _, researcher = dataset
    study = make_study(researcher)
    app.config["EXPORTS_INLINE"] = True
    from tests.support.apps import IsolatedClient

    app.test_client_class = IsolatedClient
    try:
        admin = make_user(municipalities["vejle"], "admin")
        lead = make_user(municipalities["vejle"], "lead")
        pages = app.test_client()
        log_in(pages, admin.email, "correct horse battery")
        granted = pages.post(
            f"/vejle/research/studies/{study.id}/grant",
            data={"forms": ["family_intake", "adult_intake", "child_intake"], "waves": ["intake"]},
        )
        assert granted.status_code == 302
        assert pages.post("/vejle/research/waves/intake", data={"approve": "1"}).status_code == 403
        pages.post("/logout")
        log_in(pages, lead.email, "correct horse battery")
        assert pages.post("/vejle/research/waves/intake", data={"approve": "1"}).status_code == 302
        pages.post("/logout")

        research = app.test_client()
        log_in(research, researcher.email, "correct horse battery")
        assert "Vejle Kommune" in research.get(f"/research/studies/{study.id}").get_data(
            as_text=True
        )
        started = research.post(f"/research/studies/{study.id}")
        assert started.status_code == 302
        job_page = research.get(started.location).get_data(as_text=True)
        assert "klar" in job_page
        download = research.get(started.location + "/download")
        assert download.status_code == 200
        data = download.data
        download.close()
        archive = zipfile.ZipFile(io.BytesIO(data))
        assert "families.csv" in archive.namelist()

        log_in(pages, admin.email, "correct horse battery")
        overview = pages.get("/vejle/research/").get_data(as_text=True)
        assert "Evaluering" in overview and researcher.name in overview
        assert "families.csv" in overview
    finally:
        app.config["EXPORTS_INLINE"] = False


def test_researchers_see_only_their_own_studies(app_ctx, client, auth, make_user, dataset):
    _, researcher = dataset
    mine = make_study(researcher, "Min")
    other_researcher = make_user(platform_role="researcher", email="anden@example.org")
    theirs = make_study(other_researcher, "Deres")
    auth.login(researcher.email)
    listing = client.get("/research/").get_data(as_text=True)
    assert "Min" in listing and "Deres" not in listing
    assert client.get(f"/research/studies/{mine.id}").status_code == 200
    assert client.get(f"/research/studies/{theirs.id}").status_code == 404
    assert client.post(f"/research/studies/{theirs.id}").status_code == 404
    auth.logout()
    staff = make_user(None, None, email="ingen@example.org")
    auth.login(staff.email)
    assert client.get("/research/").status_code == 403


def test_the_operator_commands_run_a_study_end_to_end(app_ctx, dataset, tmp_path):
    _, researcher = dataset
    runner = app_ctx.test_cli_runner()

    def ok(*args: str) -> str:
        result = runner.invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result.output.strip()

    study_id = ok(
        "studies",
        "create",
        "--title",
        "CLI-studie",
        "--purpose",
        "Test",
        "--legal-basis",
        "Art. 6(1)(e)",
    ).splitlines()[-1]
    ok("studies", "add-researcher", "--study", study_id, "--email", researcher.email)
    ok("studies", "grant", "--study", study_id, "--municipality", "vejle", "--waves", "intake")
    assert "approved" in ok(
        "waves", "approve", "--municipality", "vejle", "--wave", "intake", "--yes"
    )
    out = tmp_path / "cli.zip"
    assert "sha256" in ok("export", "package", "--study", study_id, "--out", str(out))
    families = read_tables(out)["families.csv"]
    assert families and {r["municipality_code"] for r in families} == {"0630"}
    assert "reopened" in ok("waves", "reopen", "--municipality", "vejle", "--wave", "intake")
    bad = runner.invoke(args=["waves", "approve", "--municipality", "vejle", "--wave", "x"])
    assert bad.exit_code == 1 and "intake, follow_up_<months> or exit" in bad.output


def test_a_grant_of_forms_that_do_not_exist_is_refused(app, app_ctx, municipalities, make_user):
    """A grant names forms the municipality has: an unknown id, or another municipality's
    local form, is refused with the ids named, by the service, the command and the page."""
    from app.definitions.loader import CORE_FORMS
    from app.research.models import Grant
    from app.research.services import ResearchError

    vejle = municipalities["vejle"]
    study = create_study("Evaluering", "Effekt", "Art. 6(1)(e)")
    db.session.commit()
    unknown = ["family_intak", "jammerbugt.bip"]  # a typo; Jammerbugt's own local form
    for wrong in unknown:
        with pytest.raises(ResearchError, match=f"no form {wrong!r} in vejle"):
            grant_study(vejle, study, forms=[CORE_FORMS[0], wrong], waves=["intake"])
        db.session.rollback()

    runner = app_ctx.test_cli_runner()
    result = runner.invoke(
        args=[
            *("studies", "grant", "--study", str(study.id), "--municipality", "vejle"),
            *("--forms", f"{CORE_FORMS[0]},{unknown[0]}", "--waves", "intake"),
        ]
    )
    assert result.exit_code == 1
    assert f"no form {unknown[0]!r} in vejle" in result.output
    assert "family_intake" in result.output, "it lists the forms that can be granted"

    # The page offers only real forms; a tampered post says so in the reader's language.
    admin = make_user(vejle, "admin")
    from tests.support.apps import IsolatedClient

    app.test_client_class = IsolatedClient
    pages = app.test_client()
    log_in(pages, admin.email, "correct horse battery")
    posted = pages.post(
        f"/vejle/research/studies/{study.id}/grant",
        data={"forms": [CORE_FORMS[0], unknown[0]], "waves": ["intake"]},
        follow_redirects=True,
    )
    assert f"Kommunen har intet skema, der hedder {unknown[0]}." in posted.get_data(as_text=True)
    with unscoped("test"):
        assert db.session.scalars(select(Grant)).all() == []

    # Every form the municipality has can still be granted.
    grant_study(vejle, study, forms=list(CORE_FORMS), waves=["intake"])
    jammerbugt = municipalities["jammerbugt"]
    grant_study(jammerbugt, study, forms=["jammerbugt.bip"], waves=["intake"])
