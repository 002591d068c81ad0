"""Worlds several test modules share, as fixtures (registered in tests/conftest.py).

``world``: Brøndby users of every role and Vejle data they must never reach (the tenant
isolation loops, the API); ``jammerbugt_world``: the access matrix's municipality with a
family on the team and one off it (the matrix, the fuzzing); ``fuzz_world``: that
municipality with a value for every URL parameter, its jobs queued but not run.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.api.tokens import create_token
from app.collection.services import forms_for_wave, save_submission
from app.core.db import db
from app.families.models import Assignment, Family
from app.plans.models import Plan
from app.plans.services import add_goal, set_goal_status
from app.research.services import create_study, grant_study
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope
from tests.support.checks import warning_ids
from tests.support.forms import valid_formdata
from tests.support.fuzz_pages import World
from tests.support.routes import (
    ID_PROVIDERS,
    MEMBER_ROLES,
    PLATFORM_ROLES,
    family_import_for,
    invite_someone,
    report_job_for,
    self_report_link_in,
    submit_intake,
)


@pytest.fixture
def world(municipalities, make_user, make_family):
    """Brøndby users of every role, and data in Vejle that they must never reach."""
    brondby, vejle = municipalities["brondby"], municipalities["vejle"]
    for slug in ("brondby", "vejle"):
        staff = make_user(municipalities[slug], "staff")
        family = make_family(slug, adults=1, children=1, label=f"Familien {slug}", team=[staff])
        with tenant_scope(municipalities[slug], staff.id):
            create_token(staff, municipalities[slug], "isolation")
            invite_someone(municipalities[slug], make_user, staff)
            db.session.commit()
        submit_intake(municipalities[slug], family.id)
        self_report_link_in(municipalities[slug], family.id)
    users = {role: make_user(brondby, role, email=f"{role}@brondby.test") for role in MEMBER_ROLES}
    for role in PLATFORM_ROLES:
        users[role] = make_user(platform_role=role, email=f"{role}@platform.test")
    study = create_study("Isolation", "Test", "Test")
    grant_study(vejle, study, forms=["family_intake"], waves=["intake"])
    db.session.commit()
    secret = make_user(vejle, "staff", email="secret.person@vejle.test")
    report_job_for(users["admin"], brondby)
    report_job_for(make_user(vejle, "lead"), vejle)
    family_import_for(users["admin"], brondby)
    family_import_for(make_user(vejle, "admin"), vejle)
    return brondby, vejle, users, secret


@pytest.fixture
def jammerbugt_world(municipalities, make_user, make_family):
    jammerbugt = municipalities["jammerbugt"]
    users = {
        "admin": make_user(jammerbugt, "admin"),
        "lead": make_user(jammerbugt, "lead"),
        "staff_assigned": make_user(jammerbugt, "staff"),
        "staff_other": make_user(jammerbugt, "staff"),
        "external": make_user(jammerbugt, "external"),
        "researcher": make_user(platform_role="researcher"),
        "operator": make_user(platform_role="operator"),
    }
    # A bystander on each team: the matrix's POSTs may end *their* assignment harmlessly.
    bystander = make_user(jammerbugt, "staff")
    with tenant_scope(jammerbugt, bystander.id):
        create_token(bystander, jammerbugt, "bystander")
        invite_someone(jammerbugt, make_user, users["admin"])
        db.session.commit()
    family_import_for(users["admin"], jammerbugt)
    study = create_study("Matrix", "Test", "Test")
    grant_study(jammerbugt, study, forms=["family_intake"], waves=["intake"])
    db.session.commit()
    families = {
        "A": make_family(
            "jammerbugt",
            label="Familien A",
            team=[bystander, users["staff_assigned"]],
            contact=users["external"],
        ),
        "B": make_family("jammerbugt", label="Familien B", team=[bystander]),
    }
    ids: dict[str, dict[str, int]] = {}
    with tenant_scope(jammerbugt):
        for name, family in families.items():
            row = db.session.get(Family, family.id)
            intake, follow_up = row.waves[0], row.waves[1]
            child = row.active_members(intake.due_date, "child")[0]
            version = next(
                v for v in forms_for_wave(jammerbugt, intake) if v.form_id == "child_intake"
            )
            submission = save_submission(
                jammerbugt,
                intake,
                version,
                child,
                valid_formdata(version.form, date.today()),
                submit=True,
                seen_lock_version=None,
                actor_id=None,
                today=date.today(),
                confirmed=warning_ids(version.form),
            )
            plan = db.session.scalar(select(Plan).where(Plan.family_id == row.id))
            goal = add_goal(plan, 1, "housing", f"Mål for familie {name}", None)
            # The status of a follow-up is recorded once its window has opened.
            set_goal_status(goal, follow_up, "partly", None, today=follow_up.due_date)
            assignment = db.session.scalar(
                select(Assignment).where(
                    Assignment.family_id == row.id, Assignment.user_id == bystander.id
                )
            )
            ids[name] = {
                "family_id": row.id,
                "member_id": child.id,
                "wave_id": intake.id,
                "submission_id": submission.id,
                "assignment_id": assignment.id,
                "goal_id": goal.id,
            }
        db.session.commit()
        some_membership = users["staff_other"].memberships[0].id
    for name, family in families.items():
        ids[name]["link_id"] = self_report_link_in(jammerbugt, family.id)
    return users, ids, some_membership


@pytest.fixture
def fuzz_world(app_ctx: Flask, jammerbugt_world: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    """The access matrix's Jammerbugt, and a value for every URL parameter."""
    # Family A was made first, so the first row of each kind is family A's.
    users, _, staff_other_membership = jammerbugt_world
    jammerbugt = db.session.scalar(select(Municipality).filter_by(slug="jammerbugt"))
    values: dict[str, object] = {"slug": "jammerbugt"}
    for name, provide in ID_PROVIDERS.items():
        if name != "job_id":  # no write route takes a report job, and the world has none
            values[name] = provide(jammerbugt)
    # A colleague's membership, not the admin's own: an accepted removal or role change
    # must not lock the fuzzing admin out.
    values["membership_id"] = staff_other_membership
    # A study Jammerbugt has not granted yet: only then does the page offer the grant form.
    create_study("Fuzz", "Robustness", "Test")
    db.session.commit()
    # Report and export jobs are queued as the pages do it, but not run: rendering PDFs and
    # packages is tested elsewhere, and a job thread would write while the fuzzing compares.
    monkeypatch.setitem(app_ctx.config, "JOBS_RUN", False)
    return World(users, values)
