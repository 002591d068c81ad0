"""The joint plan's phases in time and the goals reached in them.

Vejle's plans run in three half-year phases, each with its own focus: every phase has its
dates (from the enrolment date) and its focus on the plan page, in the family's PDF and in
the API; the reports count the goals achieved per life area and per phase, by team model
in the comparison, under the same disclosure control as every figure."""

from __future__ import annotations

import itertools
import re
import subprocess
import tomllib
from datetime import date, timedelta

import pytest
from sqlalchemy import Select, select

from app.api.tokens import create_token
from app.core.db import db
from app.core.formatting import format_day
from app.families.services import add_months, enrol_family
from app.plans.models import LIFE_AREAS, Plan
from app.plans.phases import plan_phases
from app.plans.services import add_goal, set_goal_status
from app.reports.cohort import Cohort
from app.reports.figures import Place, build, municipality_report, study_report
from app.reports.indicators import BY_ID
from app.reports.render import render_document, share_text
from app.research.services import set_wave_approval
from app.tenancy.config_files import ConfigFileError, parse
from app.tenancy.scoping import tenant_scope, unscoped
from app.tenancy.services import export_municipality
from tests.support.research import fill_wave, grant_and_approve, make_study

E = add_months(date.today(), -15)  # the 6- and 12-month follow-ups' windows have closed
VEJLE_FOCUS = [
    "Struktur på hverdagen og børnene i skole",
    "Aktivering og sideløbende behandling",
    "Mere aktivering, på vej mod arbejde eller uddannelse",
]


def _vejle_file(project_root) -> dict:
    return tomllib.loads((project_root / "municipalities" / "vejle.toml").read_text("utf-8"))


# -- the municipality file ------------------------------------------------------------------


def test_vejles_file_names_a_focus_for_each_of_its_three_phases(project_root):
    config = parse(_vejle_file(project_root), source="vejle.toml", expected_slug="vejle")
    assert config.settings["joint_plan"]["phases"] == 3
    assert [p["da"] for p in config.settings["plan_phases"]] == VEJLE_FOCUS
    assert all(p["en"] for p in config.settings["plan_phases"])


BAD_PHASES = {
    "not a list": ({"focus_da": "x", "focus_en": "y"}, "plan_phases"),
    "not a table": (["Struktur"], "plan_phases[0]"),
    "unknown key": ([{"focus_da": "x", "focus_en": "y", "months": 6}], "plan_phases[0].months"),
    "no English": ([{"focus_da": "Struktur"}], "plan_phases[0].focus_en"),
    "no Danish": ([{"focus_en": "Structure"}], "plan_phases[0].focus_da"),
    "empty": ([{"focus_da": " ", "focus_en": "Structure"}], "plan_phases[0].focus_da"),
    "too long": ([{"focus_da": "x" * 201, "focus_en": "y"}], "plan_phases[0].focus_da"),
    "a number": ([{"focus_da": 1, "focus_en": "y"}], "plan_phases[0].focus_da"),
}


@pytest.mark.parametrize("case", sorted(BAD_PHASES))
def test_a_wrong_plan_phases_table_is_refused_naming_its_key(project_root, case):
    value, key = BAD_PHASES[case]
    data = _vejle_file(project_root)
    data["plan_phases"] = value
    with pytest.raises(ConfigFileError) as caught:
        parse(data, source="vejle.toml", expected_slug="vejle")
    assert key in {p.key for p in caught.value.problems}, caught.value.problems


def test_the_focus_is_exported_as_the_file_gives_it(municipalities, project_root):
    exported = export_municipality(municipalities["vejle"])
    assert exported["plan_phases"] == _vejle_file(project_root)["plan_phases"]
    assert "plan_phases" not in export_municipality(municipalities["brondby"])


# -- the phases in time ---------------------------------------------------------------------


@pytest.mark.parametrize("months", [1, 6, 11, 12, 36])
def test_the_phases_follow_each_other_day_by_day_from_the_enrolment_date(months):
    plan = Plan(phases=4, phase_months=months)
    settings = {"plan_phases": [{"da": f"Fokus {n}", "en": f"Focus {n}"} for n in (1, 2, 3)]}
    for offset in range(0, 366, 3):  # every third day of a year, month ends included
        enrolment = date(2026, 1, 1) + timedelta(days=offset)
        phases = plan_phases(plan, enrolment, settings)
        assert [p.number for p in phases] == [1, 2, 3, 4]
        assert phases[0].starts == enrolment
        for earlier, later in itertools.pairwise(phases):
            assert later.starts == earlier.ends + timedelta(days=1)
        assert phases[-1].ends == add_months(enrolment, 4 * months) - timedelta(days=1)
        # The fourth phase is beyond the three texts: it has no focus.
        assert [p.focus_text("da") for p in phases] == ["Fokus 1", "Fokus 2", "Fokus 3", None]
        assert phases[1].focus_text("en") == "Focus 2"
        assert sum(p.holds(enrolment) for p in phases) == 1


def _vejle_family(municipalities, enrolment: date):
    vejle = municipalities["vejle"]
    with tenant_scope(vejle):
        family = enrol_family(vejle, "Familien Fase", enrolment)
        plan = db.session.scalar(select_plan(family.id))
        add_goal(plan, 2, "work_education", "Mor starter i praktik", None)
        db.session.commit()
        return vejle, family.id


def select_plan(family_id: int) -> Select[tuple[Plan]]:
    return select(Plan).where(Plan.family_id == family_id)


def test_the_plan_page_shows_each_phase_with_its_dates_and_focus(
    client, auth, municipalities, make_user, forms_published
):
    enrolment = date.today() - timedelta(days=200)  # in the second half-year phase now
    vejle, family_id = _vejle_family(municipalities, enrolment)
    auth.login(make_user(vejle, "lead").email)
    page = client.get(f"/vejle/families/{family_id}/plan").get_data(as_text=True)
    for focus in VEJLE_FOCUS:
        assert focus in page
    second_starts = add_months(enrolment, 6)
    with client.application.test_request_context():
        assert format_day(second_starts, language="da") in page
    # Only the second phase is marked as the current one.
    assert page.count(">nu</span>") == 1
    assert page.index(">nu</span>") > page.index('id="phase-2"')
    assert page.index(">nu</span>") < page.index('id="phase-3"')

    # A new goal starts in the phase the family is in, each phase named with its focus.
    options = re.findall(r'<option([^>]*)value="(\d)"([^>]*)>([^<]*)</option>', page)
    phase_options = [(v, "selected" in a + b, t) for a, v, b, t in options if t.startswith("Fase")]
    assert phase_options == [
        (str(n), n == 2, f"Fase {n}: {focus}") for n, focus in enumerate(VEJLE_FOCUS, 1)
    ]

    client.post("/language", data={"language": "en", "next": "/vejle/"})
    english = client.get(f"/vejle/families/{family_id}/plan").get_data(as_text=True)
    assert "Structure in everyday life and the children at school" in english


def test_the_api_gives_each_phase_its_dates_and_focus(
    client, municipalities, make_user, forms_published
):
    enrolment = date(2026, 1, 31)
    vejle, family_id = _vejle_family(municipalities, enrolment)
    lead = make_user(vejle, "lead")
    with tenant_scope(vejle):
        _, secret = create_token(lead, vejle, "plan")
        db.session.commit()
    response = client.get(
        f"/api/v1/vejle/families/{family_id}/plan", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200
    periods = response.get_json()["periods"]
    assert [(p["phase"], p["starts"], p["ends"]) for p in periods] == [
        (1, "2026-01-31", "2026-07-30"),
        (2, "2026-07-31", "2027-01-30"),
        (3, "2027-01-31", "2027-07-30"),
    ]
    assert [p["focus"]["da"] for p in periods] == VEJLE_FOCUS


@pytest.mark.slow
def test_the_familys_pdf_of_the_plan_says_what_each_phase_is_about(
    client, auth, municipalities, make_user, forms_published, tmp_path
):
    vejle, family_id = _vejle_family(municipalities, date(2026, 1, 31))
    auth.login(make_user(vejle, "lead").email)
    response = client.get(f"/vejle/families/{family_id}/plan.pdf")
    assert response.status_code == 200
    (tmp_path / "plan.pdf").write_bytes(response.data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "plan.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(text.split())
    for focus in VEJLE_FOCUS:
        assert focus in flat
    assert "31. januar 2026 til 30. juli 2026" in flat
    assert "Mor starter i praktik" in flat


# -- goals achieved in the reports ----------------------------------------------------------


def _families_with_goals(municipality, count: int, status: str, *, intake: bool = False):
    """*count* families, each with one goal in every life area and phase of its plan, all
    with *status* at the 6-month follow-up."""
    with tenant_scope(municipality):
        for number in range(count):
            family = enrol_family(municipality, f"Familien Mål {number}", E)
            db.session.flush()
            if intake:
                fill_wave(municipality, family, family.waves[0])
            plan = db.session.scalar(select_plan(family.id))
            plan.phases = 3
            wave = next(w for w in family.waves if w.key == "follow_up_6")
            for phase in (1, 2, 3):
                for area in LIFE_AREAS:
                    goal = add_goal(plan, phase, area, f"Mål {phase} {area}", None)
                    set_goal_status(goal, wave, status, None)
        db.session.commit()


GOAL_INDICATORS = sorted(i for i in BY_ID if BY_ID[i].section == "plan")


def _places(*municipalities) -> list[Place]:
    return [Place(m.id, m.slug, m.code, m.team_model, m.name_da, m.name_en) for m in municipalities]


def test_goals_achieved_per_life_area_and_phase_by_team_model(municipalities, forms_published):
    vejle, brondby = municipalities["vejle"], municipalities["brondby"]
    _families_with_goals(vejle, 6, "achieved")
    _families_with_goals(brondby, 5, "not_achieved")
    with unscoped("test"):
        report = build(Cohort((vejle.id, brondby.id), date.today()), _places(vejle, brondby), 5)
    assert len(GOAL_INDICATORS) == 1 + len(LIFE_AREAS) + 3
    for indicator_id in GOAL_INDICATORS:
        figures = report.figure(indicator_id)
        assert figures.team_models["single_entry"].value == 100.0, indicator_id
        assert figures.team_models["single_entry"].n == 6, indicator_id
        assert figures.team_models["coordinator"].value == 0.0, indicator_id
        assert figures.municipalities[brondby.id].n == 5, indicator_id
        assert figures.pooled.value == pytest.approx(100 * 6 / 11, abs=0.05), indicator_id


def test_goals_of_too_few_families_are_hidden_and_cannot_be_worked_out(
    municipalities, forms_published
):
    vejle, brondby = municipalities["vejle"], municipalities["brondby"]
    _families_with_goals(vejle, 3, "achieved")
    _families_with_goals(brondby, 6, "not_achieved")
    with unscoped("test"):
        report = build(Cohort((vejle.id, brondby.id), date.today()), _places(vejle, brondby), 5)
    for indicator_id in GOAL_INDICATORS:
        figures = report.figure(indicator_id)
        assert figures.municipalities[vejle.id].status == "suppressed", indicator_id
        # With the pooled figure and Brøndby's shown, Vejle's three would follow.
        shown = [
            figures.municipalities[brondby.id].value is not None,
            figures.pooled.value is not None,
        ]
        assert not all(shown), indicator_id


def test_the_municipality_report_shows_the_plan_section(municipalities, forms_published):
    vejle = municipalities["vejle"]
    _families_with_goals(vejle, 5, "achieved")
    with tenant_scope(vejle):
        report = municipality_report(vejle)
    html = render_document(report, "da")
    assert "Den fælles plan" in html
    for indicator_id in GOAL_INDICATORS:
        assert BY_ID[indicator_id].name["da"] in html
    assert report.figure("goals_achieved_phase_2").municipalities[vejle.id].value == 100.0
    assert share_text(100.0, "da") in html


def test_a_study_counts_only_the_statuses_of_approved_waves(
    municipalities, forms_published, make_user
):
    vejle = municipalities["vejle"]
    _families_with_goals(vejle, 5, "achieved", intake=True)
    study = make_study(make_user(platform_role="researcher", email="maal@example.org"), "Mål")
    grant_and_approve(municipalities, study, slugs=("vejle",), waves=("intake",))
    with unscoped("test"):
        assert study_report(study).figure("goals_achieved").pooled.status == "no_data"
    # The lead approves the 6-month follow-up, at which every status was recorded.
    set_wave_approval(vejle, "follow_up_6", True)
    db.session.commit()
    with unscoped("test"):
        assert study_report(study).figure("goals_achieved").pooled.value == 100.0
