"""The indicators' hand-computed cohort: four Brøndby families whose answers are worked
out by hand in tests/test_indicators.py, and one Vejle family that must not move them.
A fixture (registered in tests/conftest.py) shared by the indicator, report and
formatting tests."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.collection.services import forms_for_wave, save_submission
from app.core.db import db
from app.families.services import add_member, add_months, enrol_family
from app.plans.models import Plan
from app.plans.services import add_goal, delete_goal, set_goal_status
from app.tenancy.scoping import tenant_scope
from tests.support.checks import warning_ids
from tests.support.forms import valid_formdata

TODAY = date.today()
E = add_months(TODAY, -15)  # families A, B, C: their 6- and 12-month windows have closed
E_D = add_months(TODAY, -6)  # family D: its 6-month follow-up is due about now
AS_OF = TODAY + timedelta(days=40)  # ... and its window has closed by this date


def who5(level: int) -> dict[str, str]:
    """All five items at *level*: a score of 20 × level."""
    return {f"who5_{i}": str(level) for i in range(1, 6)}


def iso(day: date) -> str:
    return day.isoformat()


def fill(municipality, family, wave_key, form_id, member=None, **answers):
    wave = next(w for w in family.waves if w.key == wave_key)
    version = next(v for v in forms_for_wave(municipality, wave) if v.form_id == form_id)
    raw = valid_formdata(version.form, TODAY)
    raw.update(answers)
    save_submission(
        municipality,
        wave,
        version,
        member,
        raw,
        submit=True,
        seen_lock_version=None,
        actor_id=None,
        today=TODAY,
        confirmed=warning_ids(version.form),
    )


def adult_intake(born: int, sex: str, support: str, years: str, level: int, activity=None):
    answers = {
        "birth_year": str(born),
        "sex": sex,
        "income_support": support,
        "years_with_employment_unit": years,
        **who5(level),
        "employment_activity": "true" if activity else "false",
    }
    if activity:
        answers["employment_activity_date"] = iso(activity)
    return answers


def adult_follow(support: str, level: int, activity=None):
    answers = {"income_support": support, **who5(level)}
    answers["employment_activity"] = "true" if activity else "false"
    if activity:
        answers["employment_activity_date"] = iso(activity)
    return answers


def child_follow(active: bool, interventions: int):
    answers = {"active_case": "true" if active else "false", "n_interventions": str(interventions)}
    if not active:
        answers["case_closed_date"] = iso(TODAY - timedelta(days=10))
    return answers


def plan_goals(a, b, c, d):
    """The joint plans' goals and their statuses (tests/test_indicators.py adds them up).

    Family A's plan has three phases (as if Brøndby had planned in three when it enrolled).
    """
    plans = {
        f.id: db.session.scalar(select(Plan).where(Plan.family_id == f.id)) for f in (a, b, c, d)
    }
    plans[a.id].phases = 3
    goals = {}
    for key, family, phase, area, statuses in (
        ("g1", a, 1, "work_education", [("follow_up_6", "partly"), ("follow_up_12", "achieved")]),
        ("g2", a, 1, "housing", [("follow_up_6", "achieved")]),
        ("g3", a, 2, "economy", [("follow_up_12", "not_achieved")]),
        ("g4", a, 3, "health", [("follow_up_6", "changed")]),
        ("g5", a, 1, "leisure", []),
        ("g6", a, 1, "work_education", [("follow_up_6", "achieved")]),
        ("g7", a, 3, "everyday_structure", [("follow_up_12", "achieved")]),
        ("b1", b, 1, "work_education", [("follow_up_6", "achieved"), ("follow_up_12", "dropped")]),
        ("b2", b, 1, "children_school_wellbeing", [("follow_up_12", "achieved")]),
        ("b3", b, 1, "leisure", [("follow_up_6", "partly")]),
        ("c1", c, 1, "economy", [("follow_up_6", "not_achieved"), ("follow_up_12", "partly")]),
        ("c2", c, 1, "health", [("follow_up_12", "achieved")]),
        ("d1", d, 1, "everyday_structure", [("follow_up_6", "achieved")]),
    ):
        goal = goals[key] = add_goal(plans[family.id], phase, area, f"Mål {key}", None)
        for wave_key, status in statuses:
            wave = next(w for w in family.waves if w.key == wave_key)
            set_goal_status(goal, wave, status, None, TODAY)
    delete_goal(goals["g6"], goals["g6"].lock_version, None)


@pytest.fixture
def cohort(municipalities, forms_published):
    brondby = municipalities["brondby"]
    with tenant_scope(brondby):
        a = enrol_family(brondby, "Familien A", E)
        b = enrol_family(brondby, "Familien B", E)
        c = enrol_family(brondby, "Familien C", E)
        d = enrol_family(brondby, "Familien D", E_D)
        a1, a2 = (add_member(a, "adult", n, E) for n in ("A1", "A2"))
        ac1, ac2 = (add_member(a, "child", n, E) for n in ("Ac1", "Ac2"))
        b1, bc1 = add_member(b, "adult", "B1", E), add_member(b, "child", "Bc1", E)
        c1, cc1 = add_member(c, "adult", "C1", E), add_member(c, "child", "Cc1", E)
        d1 = add_member(d, "adult", "D1", E_D)
        db.session.flush()

        # Intake.
        for family, household, contacts, plans in (
            (a, "two_parents", 6, 4),
            (b, "single_parent", 5, 3),
            (c, "single_parent", 4, 2),
            (d, "other", 3, 1),
        ):
            fill(
                brondby,
                family,
                "intake",
                "family_intake",
                household_type=household,
                n_contact_persons=str(contacts),
                n_plans=str(plans),
            )
        y = E.year
        fill(
            brondby,
            a,
            "intake",
            "adult_intake",
            a1,
            **adult_intake(
                y - 35, "female", "kontanthjaelp_aktivitetsparat", "4,0", 2, E + timedelta(days=30)
            ),
        )
        fill(
            brondby,
            a,
            "intake",
            "adult_intake",
            a2,
            **adult_intake(y - 45, "male", "ordinary_employment", "0,5", 3),
        )
        fill(
            brondby,
            b,
            "intake",
            "adult_intake",
            b1,
            **adult_intake(y - 32, "female", "sygedagpenge", "6", 1, E + timedelta(days=200)),
        )
        fill(
            brondby,
            c,
            "intake",
            "adult_intake",
            c1,
            **adult_intake(y - 41, "female", "unknown", "2,5", 4),
        )
        fill(
            brondby,
            d,
            "intake",
            "adult_intake",
            d1,
            **adult_intake(E_D.year - 30, "female", "a_dagpenge", "1", 2, E_D + timedelta(days=10)),
        )
        for family, child, active, start, interventions in (
            (a, ac1, True, E - timedelta(days=365), 4),
            (a, ac2, False, None, 0),
            (b, bc1, True, E - timedelta(days=1095), 6),
            (c, cc1, True, E - timedelta(days=548), 2),
        ):
            answers = {
                "active_case": "true" if active else "false",
                "n_interventions": str(interventions),
            }
            if start:
                answers["case_start_date"] = iso(start)
            fill(brondby, family, "intake", "child_intake", child, **answers)

        # Follow-ups at 6 and 12 months (D only at 6).
        for family, wave, contacts, plans in (
            (a, "follow_up_6", 5, 3),
            (a, "follow_up_12", 3, 1),
            (b, "follow_up_6", 4, 2),
            (b, "follow_up_12", 4, 2),
            (c, "follow_up_6", 4, 2),
            (c, "follow_up_12", 1, 1),
            (d, "follow_up_6", 2, 2),
        ):
            fill(
                brondby,
                family,
                wave,
                "family_follow_up",
                n_contact_persons=str(contacts),
                n_plans=str(plans),
            )
        for family, member, wave, answers in (
            (a, a1, "follow_up_6", adult_follow("kontanthjaelp_aktivitetsparat", 3)),
            (a, a1, "follow_up_12", adult_follow("ordinary_employment", 4)),
            (a, a2, "follow_up_6", adult_follow("ordinary_employment", 3)),
            (
                a,
                a2,
                "follow_up_12",
                adult_follow("ordinary_employment", 2, E + timedelta(days=300)),
            ),
            (b, b1, "follow_up_6", adult_follow("education", 2)),
            (b, b1, "follow_up_12", adult_follow("sygedagpenge", 2)),
            (
                c,
                c1,
                "follow_up_6",
                adult_follow("kontanthjaelp_jobparat", 4, E + timedelta(days=100)),
            ),
            (c, c1, "follow_up_12", adult_follow("fleksjob", 4)),
            (d, d1, "follow_up_6", adult_follow("a_dagpenge", 3)),
        ):
            fill(brondby, family, wave, "adult_follow_up", member, **answers)
        for family, child, wave, answers in (
            (a, ac1, "follow_up_6", child_follow(True, 3)),
            (a, ac1, "follow_up_12", child_follow(False, 1)),
            (a, ac2, "follow_up_6", child_follow(False, 0)),
            (a, ac2, "follow_up_12", child_follow(False, 0)),
            (b, bc1, "follow_up_6", child_follow(False, 2)),
            (b, bc1, "follow_up_12", child_follow(True, 5)),
            (c, cc1, "follow_up_6", child_follow(True, 2)),
            (c, cc1, "follow_up_12", child_follow(True, 2)),
        ):
            fill(brondby, family, wave, "child_follow_up", child, **answers)
        plan_goals(a, b, c, d)
        db.session.commit()

    # Another municipality's family, answered in full: it must not move Brøndby's figures.
    vejle = municipalities["vejle"]
    with tenant_scope(vejle):
        other = enrol_family(vejle, "Familien Andetsteds", E)
        member = add_member(other, "adult", "Anden", E)
        db.session.flush()
        fill(vejle, other, "intake", "family_intake", household_type="single_parent")
        fill(
            vejle,
            other,
            "intake",
            "adult_intake",
            member,
            **adult_intake(y - 35, "female", "education", "9", 5),
        )
        db.session.commit()
    return brondby
