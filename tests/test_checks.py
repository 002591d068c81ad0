"""Data-quality checks of the form definitions: every check of every core form fires on
answers that break it and stays quiet on answers that keep it, on the page and through the
API; errors refuse the save, warnings are confirmed once; confirmations are stored, audited
and reach the research package."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.api.tokens import create_token
from app.audit.models import AuditEvent
from app.collection.models import Submission
from app.core.db import db
from app.definitions import checks as engine
from app.definitions.loader import CORE_FORMS
from app.families.models import Family
from app.families.services import add_member
from app.research import modes
from app.research.services import export_package
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.forms import valid_formdata
from tests.support.research import grant_and_approve, make_study
from tests.support.windows import LATE_API, LATE_PAGE

TODAY = date.today()
ENROLMENT = TODAY - timedelta(days=120)
#: CPR numbers whose birth dates the intake forms are checked against.
CPR = {"child": ("050318-4021", 2018), "adult": ("010190-1234", 1990)}

#: (form, check) -> (answers that fire it, answers that do not), over the calm base answers.
CASES: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {
    ("adult_intake", "birth_year_not_cpr"): ({"birth_year": "1991"}, {"birth_year": "1990"}),
    ("child_intake", "birth_year_not_cpr"): ({"birth_year": "2017"}, {"birth_year": "2018"}),
    **{
        (form_id, "placement_without_case"): (
            {"active_case": "false", "measures": ["bl46_placement"]},
            {"active_case": "true", "measures": ["bl46_placement"]},
        )
        for form_id in ("child_intake", "child_follow_up")
    },
    **{
        (form_id, "support_without_case"): (
            {"active_case": "false", "measures": ["bl32_home_support"]},
            {"active_case": "false", "measures": ["bl_ch4_preventive"]},
        )
        for form_id in ("child_intake", "child_follow_up")
    },
    **{
        (form_id, "measures_without_interventions"): (
            {"n_interventions": "0", "measures": ["bl32_home_support"]},
            {"n_interventions": "2", "measures": ["bl32_home_support"]},
        )
        for form_id in ("child_intake", "child_follow_up")
    },
    ("child_intake", "case_start_in_future"): (
        {"case_start_date": (TODAY + timedelta(days=3)).isoformat()},
        {"case_start_date": (ENROLMENT - timedelta(days=1)).isoformat()},
    ),
    ("child_intake", "case_start_after_intake"): (
        {"case_start_date": (ENROLMENT + timedelta(days=10)).isoformat()},
        {"case_start_date": ENROLMENT.isoformat()},
    ),
}


def every_check(catalogue) -> list[tuple[str, Any]]:
    return [(f, check) for f in CORE_FORMS for check in catalogue.latest(f).checks]


def test_every_check_of_every_core_form_has_a_case(catalogue_for_checks):
    listed = {(f, c.id) for f, c in every_check(catalogue_for_checks)}
    assert listed == set(CASES)
    # The rules the core dataset asks for are there, and the impossible ones are errors.
    severities = {(f, c.id): c.severity for f, c in every_check(catalogue_for_checks)}
    for key in [k for k in severities if k[1] in ("placement_without_case", "birth_year_not_cpr")]:
        assert severities[key] == "error", key
    assert severities[("child_intake", "case_start_in_future")] == "error"
    assert severities[("child_intake", "case_start_after_intake")] == "warning"


@pytest.fixture(scope="module")
def catalogue_for_checks():
    from app.config import PROJECT_ROOT
    from app.definitions.loader import load_catalogue

    return load_catalogue(PROJECT_ROOT / "forms")


@pytest.mark.parametrize(
    ("cpr", "born"),
    [
        ("010190-1234", date(1990, 1, 1)),  # 7th digit 0-3: the 1900s
        ("311236-4000", date(2036, 12, 31)),  # 4: the 2000s up to 36 ...
        ("311237-4000", date(1937, 12, 31)),  # ... then the 1900s
        ("050318-9000", date(2018, 3, 5)),  # 9 as 4
        ("050357-5000", date(2057, 3, 5)),  # 5-8: the 2000s up to 57 ...
        ("050358-8000", date(1858, 3, 5)),  # ... then the 1800s
        ("300290-1234", None),  # no such day
        ("6101901234", None),  # a substitute number (day + 60) is no date
        (None, None),
    ],
)
def test_the_cpr_number_gives_the_birth_date_by_the_century_rule(cpr, born):
    assert engine.cpr_birth_date(cpr) == born


def test_context_names_are_refused_by_show_if_and_never_reach_the_browser(catalogue_for_checks):
    for form_id in catalogue_for_checks.form_ids():
        for field in catalogue_for_checks.latest(form_id).fields:
            assert "$" not in str(field.condition or "")
    assert engine.CONTEXT_NAMES  # a closed set, documented in docs/forms.md


# -- the page and the API --------------------------------------------------------------------


def _setup(municipality, make_family, form_id: str):
    """A family enrolled ENROLMENT with one member of the form's level, with a CPR number."""
    level = "adult" if form_id.startswith("adult") else "child"
    family = make_family(municipality.slug, adults=0, children=0, enrolment=ENROLMENT)
    with tenant_scope(municipality):
        row = db.session.get(Family, family.id)
        member = add_member(row, level, f"Person {form_id}", ENROLMENT, CPR[level][0])
        kind = "intake" if form_id.endswith("intake") else "follow_up"
        wave = next(w for w in row.waves if w.kind == kind)
        db.session.commit()
        return wave.id, member.id, level


def _answers(municipality, wave_id: int, form_id: str, level: str, change: dict[str, Any]):
    """Valid answers that fire no check, then *change*."""
    from app.collection.services import forms_for_wave
    from app.families.models import Wave

    with tenant_scope(municipality):
        wave = db.session.get(Wave, wave_id)
        version = next(v for v in forms_for_wave(municipality, wave) if v.form_id == form_id)
        data = valid_formdata(version.form, TODAY)
    data.pop("measures", None)
    if "birth_year" in data:
        data["birth_year"] = str(CPR[level][1])
    if "case_start_date" in data:
        data["case_start_date"] = (ENROLMENT - timedelta(days=30)).isoformat()
    if "n_interventions" in data:
        data["n_interventions"] = "1"
    data.update(change)
    return data, version.form


def _stored(wave_id: int, member_id: int, form_id: str) -> Submission | None:
    db.session.rollback()
    with unscoped("test: read a submission"):
        return db.session.scalar(
            select(Submission).where(
                Submission.wave_id == wave_id,
                Submission.member_id == member_id,
                Submission.form_id == form_id,
            )
        )


def _audited(submission_id: int) -> list[dict[str, Any]]:
    with unscoped("test reads the trail"):
        return [
            e.details
            for e in db.session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.object_type == "submission",
                    AuditEvent.object_id == str(submission_id),
                )
                .order_by(AuditEvent.id)
            )
            if "confirmed_checks" in e.details
        ]


@pytest.mark.parametrize("case", sorted(CASES), ids=[f"{f}.{c}" for f, c in sorted(CASES)])
def test_each_check_on_the_page(client, auth, municipalities, make_user, make_family, case):
    form_id, check_id = case
    fire, calm = CASES[case]
    brondby = municipalities["brondby"]
    user = make_user(brondby, "lead")
    auth.login(user.email)
    for change, fires in ((calm, False), (fire, True)):
        wave_id, member_id, level = _setup(brondby, make_family, form_id)
        url = f"/brondby/waves/{wave_id}/members/{member_id}/forms/{form_id}"
        data, form = _answers(brondby, wave_id, form_id, level, change)
        data.update(LATE_PAGE)
        check = next(c for c in form.checks if c.id == check_id)
        page = client.post(url, data={**data, "submit": "1", "lock_version": "0"})
        html = page.get_data(as_text=True)
        if not fires:
            assert page.status_code == 302, html[:2000]
            assert _stored(wave_id, member_id, form_id).confirmed_checks == []
            continue
        assert page.status_code == 422
        assert _stored(wave_id, member_id, form_id) is None
        # The CPR number's date is compared on the server and never shown.
        assert CPR[level][0][:6] not in html
        if "birth_year" in change:
            assert str(CPR[level][1]) not in html
        message = check.message["da"].replace("'", "&#39;").replace('"', "&#34;")
        assert message in html
        for value in change.values():  # what was typed is kept
            for typed in value if isinstance(value, list) else [value]:
                assert f'value="{typed}"' in html
        if check.severity == "error":
            for name in check.fields:
                assert f'id="{name}-error"' in html and f'href="#{name}"' in html
            assert f'id="confirm-{check_id}"' not in html
            # Confirming an error does not let it through.
            again = client.post(
                url, data={**data, "submit": "1", "lock_version": "0", "confirm_check": check_id}
            )
            assert again.status_code == 422
            assert _stored(wave_id, member_id, form_id) is None
            continue
        assert f'id="confirm-{check_id}"' in html and f'href="#check-{check_id}"' in html
        # A draft is not held up by it; the submit is, until it is confirmed.
        draft = client.post(url, data={**data, "save_draft": "1", "lock_version": "0"})
        assert draft.status_code == 302
        stored = _stored(wave_id, member_id, form_id)
        assert stored.status == "draft" and stored.confirmed_checks == []
        lock = str(stored.lock_version)
        confirmed = client.post(
            url, data={**data, "submit": "1", "lock_version": lock, "confirm_check": check_id}
        )
        assert confirmed.status_code == 302, confirmed.get_data(as_text=True)[:2000]
        stored = _stored(wave_id, member_id, form_id)
        assert stored.status == "submitted" and stored.confirmed_checks == [check_id]
        assert _audited(stored.id)[-1]["confirmed_checks"] == [check_id]
        # Confirmed once: saving the same answers again needs no new confirmation ...
        lock = str(stored.lock_version)
        same = client.post(url, data={**data, "submit": "1", "lock_version": lock})
        assert same.status_code == 302
        assert _stored(wave_id, member_id, form_id).confirmed_checks == [check_id]
        # ... and answers that no longer fire it drop the confirmation.
        lock = str(_stored(wave_id, member_id, form_id).lock_version)
        calm_data, _ = _answers(brondby, wave_id, form_id, level, calm)
        calm_data.update(LATE_PAGE)
        fixed = client.post(url, data={**calm_data, "submit": "1", "lock_version": lock})
        assert fixed.status_code == 302
        stored = _stored(wave_id, member_id, form_id)
        assert stored.confirmed_checks == []
        assert _audited(stored.id)[-1]["confirmed_checks"] == []


def _token(municipality, user) -> dict[str, str]:
    with tenant_scope(municipality, user.id):
        _, plain = create_token(user, municipality, "test", 30)
        db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def _typed(data: dict[str, Any]) -> dict[str, Any]:
    """The page's strings as the JSON an API client sends."""
    typed: dict[str, Any] = {}
    for name, value in data.items():
        if value in ("true", "false"):
            typed[name] = value == "true"
        elif isinstance(value, str) and value.isdigit():
            typed[name] = int(value)
        else:
            typed[name] = value
    return typed


@pytest.mark.parametrize("case", sorted(CASES), ids=[f"{f}.{c}" for f, c in sorted(CASES)])
def test_each_check_through_the_api(client, municipalities, make_user, make_family, case):
    form_id, check_id = case
    fire, calm = CASES[case]
    vejle = municipalities["vejle"]
    headers = _token(vejle, make_user(vejle, "lead"))
    for change, fires in ((calm, False), (fire, True)):
        wave_id, member_id, level = _setup(vejle, make_family, form_id)
        data, form = _answers(vejle, wave_id, form_id, level, change)
        check = next(c for c in form.checks if c.id == check_id)
        family_id = _stored_family(wave_id)
        url = f"/api/v1/vejle/families/{family_id}/waves/{wave_id}/submissions"
        body = {"form_id": form_id, "member_id": member_id, "answers": _typed(data), **LATE_API}
        response = client.post(url, headers=headers, json={**body, "status": "submitted"})
        if not fires:
            assert response.status_code == 201, response.get_json()
            assert response.get_json()["confirmed_checks"] == []
            continue
        assert response.status_code == 422, response.get_json()
        errors = response.get_json()["errors"]
        named = [e for e in errors if e.get("check") == check_id]
        assert {e["field"] for e in named} == {f"answers.{n}" for n in check.fields}
        assert {e["severity"] for e in named} == {check.severity}
        assert _stored(wave_id, member_id, form_id) is None
        confirmed = {**body, "status": "submitted", "confirmed_checks": [check_id]}
        response = client.post(url, headers=headers, json=confirmed)
        if check.severity == "error":
            assert response.status_code == 422
            continue
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["confirmed_checks"] == [check_id]
        assert _stored(wave_id, member_id, form_id).confirmed_checks == [check_id]


def _stored_family(wave_id: int) -> int:
    from app.families.models import Wave

    with unscoped("test: the wave's family"):
        return db.session.get(Wave, wave_id).family_id


def test_the_api_refuses_confirmations_that_are_not_a_list_of_ids(
    client, municipalities, make_user, make_family
):
    vejle = municipalities["vejle"]
    headers = _token(vejle, make_user(vejle, "lead"))
    wave_id, member_id, level = _setup(vejle, make_family, "child_intake")
    data, _ = _answers(vejle, wave_id, "child_intake", level, {})
    url = f"/api/v1/vejle/families/{_stored_family(wave_id)}/waves/{wave_id}/submissions"
    for bad in ("support_without_case", [1], {"id": "x"}):
        body = {"form_id": "child_intake", "member_id": member_id, "answers": _typed(data)}
        response = client.post(
            url, headers=headers, json={**body, "status": "submitted", "confirmed_checks": bad}
        )
        assert response.status_code == 422
        assert response.get_json()["errors"][0]["field"] == "confirmed_checks"


def test_the_api_document_describes_the_confirmations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    for name in ("SubmissionCreate", "SubmissionUpdate", "Submission"):
        assert "confirmed_checks" in schemas[name]["properties"], name
    error = schemas["Problem"]["properties"]["errors"]["items"]["properties"]
    assert {"check", "severity"} <= set(error)


# -- the research package ----------------------------------------------------------------------


def test_confirmations_and_the_checks_reach_the_research_package(
    app_ctx, municipalities, make_user, make_family, tmp_path
):
    from tests.support.research import fill_wave

    jammerbugt = municipalities["jammerbugt"]
    family = make_family("jammerbugt", adults=1, children=1, enrolment=date(2026, 1, 10))
    with tenant_scope(jammerbugt):
        row = db.session.get(Family, family.id)
        # Every warning confirmed, as a caseworker who looked at them would (fill_wave).
        fill_wave(jammerbugt, row, row.waves[0])
        db.session.commit()
        child_id = next(m.id for m in row.members if m.role == "child")
        intake_id = row.waves[0].id
    researcher = make_user(platform_role="researcher", email="tjek-forsker@example.org")
    study = make_study(researcher)
    grant_and_approve(municipalities, study, slugs=("jammerbugt",), waves=("intake",))
    stored = _stored(intake_id, child_id, "child_intake")
    assert stored.confirmed_checks  # the sample answers fire a warning or two
    out = tmp_path / "package.zip"
    export_package(study, out, researcher)
    db.session.commit()
    with zipfile.ZipFile(out) as archive:

        def table(name: str) -> list[dict[str, str]]:
            return list(csv.DictReader(io.TextIOWrapper(archive.open(name), encoding="utf-8")))

        def header(name: str) -> list[str]:
            return next(csv.reader(io.TextIOWrapper(archive.open(name), encoding="utf-8")))

        children, checks = table("children.csv"), table("codebook_checks.csv")
        # Last but for who answered a self-report instrument (app/research/modes.py),
        # which only core tables have.
        for name, level in (
            ("families.csv", "family"),
            ("adults.csv", "adult"),
            ("children.csv", "child"),
            ("adults_jammerbugt.csv", None),
        ):
            after = modes.header(level) if level else []
            assert header(name)[-1 - len(after) :] == ["confirmed_warnings", *after], name
    expected = ";".join(f"child_intake.{c}" for c in stored.confirmed_checks)
    assert [r["confirmed_warnings"] for r in children] == [expected]
    listed = {(r["form"], r["check"]): r for r in checks}
    catalogue = {(f, c.id): c for f, c in every_check_in_database()}
    assert set(listed) == set(catalogue)
    for key, check in catalogue.items():
        assert listed[key]["severity"] == check.severity
        assert listed[key]["message_da"] == check.message["da"]
        assert listed[key]["when"] == check.when
        assert f"{key[0]}:1" in listed[key]["versions"]


def every_check_in_database() -> list[tuple[str, Any]]:
    from app.collection.services import latest_versions

    versions = latest_versions(list(CORE_FORMS))
    return [(f, c) for f, v in versions.items() for c in v.form.checks]


# -- versions ----------------------------------------------------------------------------------


def test_checks_may_change_in_an_answered_version_and_the_change_is_audited(
    app_ctx, municipalities, make_family, tmp_path
):
    import shutil

    import yaml

    from app.collection.models import FormVersion
    from app.config import PROJECT_ROOT
    from tests.support.answers import answer_wave

    brondby = municipalities["brondby"]
    family = make_family("brondby", adults=1, children=1)
    with tenant_scope(brondby):
        row = db.session.get(Family, family.id)
        answer_wave(brondby, row, row.waves[0])
        db.session.commit()
    forms_dir = tmp_path / "forms"
    shutil.copytree(PROJECT_ROOT / "forms", forms_dir)
    path = forms_dir / "core" / "child_intake" / "v1.yaml"
    definition = yaml.safe_load(path.read_text())
    definition["checks"] = [c for c in definition["checks"] if c["id"] != "case_start_after_intake"]
    path.write_text(yaml.safe_dump(definition, allow_unicode=True))

    def stored() -> FormVersion:
        db.session.rollback()
        return db.session.scalar(select(FormVersion).where(FormVersion.form_id == "child_intake"))

    before = stored().content_hash
    runner = app_ctx.test_cli_runner()
    check = runner.invoke(args=["forms", "check", "--dir", str(forms_dir)])
    assert check.exit_code == 0, check.output  # no F017: the questions did not change
    publish = runner.invoke(args=["forms", "publish", "--dir", str(forms_dir)])
    assert publish.exit_code == 0, publish.output
    assert "checks updated (questions unchanged): child_intake v1" in publish.output
    version = stored()
    assert version.content_hash == before
    assert "case_start_after_intake" not in {c.id for c in version.form.checks}
    with unscoped("test reads the trail"):
        event = db.session.scalar(
            select(AuditEvent)
            .where(AuditEvent.action == "forms.published")
            .order_by(AuditEvent.id.desc())
        )
    assert event.details["checks_updated"] == ["child_intake v1"]
    # A changed question in the same version is still refused.
    path.write_text(path.read_text().replace("Fødselsår", "Barnets fødselsår"))
    refused = runner.invoke(args=["forms", "check", "--dir", str(forms_dir)])
    assert refused.exit_code == 1 and "F017" in refused.output
