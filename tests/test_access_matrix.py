"""Every route × every role × own family / other family, inside one municipality.

Jammerbugt (family-team model, external contact persons allowed) with two families: A, on
whose team the assigned staff member and the external contact person are, and B, which
they have nothing to do with. Another municipality's ids are covered by
test_tenant_isolation_routes.py. Allowed means: the page answers (200 for a GET) —
neither 403 nor 404.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.admin.models import Invitation
from app.api.models import ApiToken
from app.api.tokens import create_token
from app.collection.services import forms_for_wave, save_submission
from app.core.db import db
from app.families.models import Family
from app.plans.models import Plan
from app.plans.services import add_goal, set_goal_status
from app.research.models import Grant, Study
from app.research.services import create_study, grant_study
from app.teams.models import Assignment
from app.tenancy.scoping import tenant_scope
from tests.conftest import PASSWORD, log_in, valid_formdata
from tests.support.checks import warning_ids
from tests.test_tenant_isolation_routes import invite_someone, tenant_rules

ROLES = ("admin", "lead", "staff_assigned", "staff_other", "external", "researcher", "operator")
FAMILY_ARGS = {"family_id", "member_id", "wave_id", "submission_id", "assignment_id", "goal_id"}
CHILD_WELFARE = (
    "Har barnet en åben børnesag",
    "Barnets lov",
    "Signs of Safety",
    "Foranstaltninger",
    "Barn 1 Familien A",
    "active_case",
)


def expected(endpoint: str, method: str, role: str, family: str | None) -> str:
    """'allowed', 'forbidden' (403) or 'hidden' (404) for one request."""
    if role in ("researcher", "operator"):
        return "hidden"  # not members of the municipality at all
    member_role = {"staff_assigned": "staff", "staff_other": "staff"}.get(role, role)
    blueprint = endpoint.split(".")[0]
    if family is None:
        if endpoint == "tenancy.home":
            return "allowed"
        if endpoint in ("tenancy.people", "tenancy.person"):
            return "allowed" if member_role in ("admin", "lead") else "forbidden"
        if blueprint in ("admin", "audit"):
            return "allowed" if member_role == "admin" else "forbidden"
        if endpoint == "families.index":
            return "allowed"
        if endpoint == "families.new":
            return "allowed" if member_role != "external" else "forbidden"
        if blueprint == "municipal_research":
            allowed = {
                "municipal_research.overview": ("admin", "lead"),
                "municipal_research.approve": ("lead",),
                "municipal_research.grant": ("admin",),
                "municipal_research.revoke": ("admin",),
            }[endpoint]
            return "allowed" if member_role in allowed else "forbidden"
        if blueprint == "reports":
            if endpoint in ("reports.job", "reports.download"):
                # The job is the admin's own: a lead of the same municipality may not see it.
                if member_role == "admin":
                    return "allowed"
                return "hidden" if member_role == "lead" else "forbidden"
            return "allowed" if member_role in ("admin", "lead") else "forbidden"
        if blueprint == "tokens":
            # Everyone may hold API tokens; only admins revoke other people's.
            if endpoint == "tokens.revoke_token":
                return "allowed" if member_role == "admin" else "forbidden"
            return "allowed"
        raise AssertionError(f"no expectation for {endpoint}")
    if blueprint == "privacy":
        # A person's rights are the admin's to handle, whoever works with the family.
        return "allowed" if member_role == "admin" else "forbidden"
    sees = member_role in ("admin", "lead") or (
        role in ("staff_assigned", "external") and family == "A"
    )
    if role == "external":
        return "allowed" if sees and endpoint == "plans.plan" and method == "GET" else "forbidden"
    return "allowed" if sees else "forbidden"


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
            goal = add_goal(plan, 1, "children_school_wellbeing", f"Mål for familie {name}", None)
            set_goal_status(goal, follow_up, "partly", None)
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
    return users, ids, some_membership


def report_job_for(user, municipality) -> int:
    """A finished PDF report job of *user* (the file is a stand-in: no rendering needed)."""
    from flask import current_app

    from app.reports.jobs import reports_dir
    from app.reports.models import ReportJob

    with tenant_scope(municipality):
        job = ReportJob(
            user_id=user.id, municipality_id=municipality.id, language="da", status="done"
        )
        db.session.add(job)
        db.session.flush()
        job.file_name = f"helhed-report-{job.id}-da.pdf"
        (reports_dir(current_app) / job.file_name).write_bytes(b"%PDF-1.7 stand-in")
        db.session.commit()
        return job.id


def build(app, rule, values: dict[str, object]) -> str:
    method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, values, method=method)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_for_every_role_and_family(app_ctx, client, jammerbugt_world, role):
    users, ids, membership_id = jammerbugt_world
    with app_ctx.app_context():
        from app.tenancy.models import Department, Municipality

        jammerbugt = db.session.scalar(select(Municipality).filter_by(slug="jammerbugt"))
        with tenant_scope(jammerbugt):
            department_id = db.session.scalars(select(Department.id)).first()
            # A token of the bystander: the matrix may revoke it harmlessly.
            token_id = db.session.scalars(select(ApiToken.id)).first()
            invitation_id = db.session.scalars(select(Invitation.id)).first()
            grant_id = db.session.scalars(select(Grant.id)).first()
        study_id = db.session.scalars(select(Study.id)).first()
        job_id = report_job_for(users["admin"], jammerbugt)
    assert log_in(client, users[role].email, PASSWORD).status_code == 302
    checked = 0
    for rule in tenant_rules(app_ctx):
        arguments = rule.arguments - {"slug"}
        family_scoped = bool(arguments & FAMILY_ARGS)
        for family in ("A", "B") if family_scoped else (None,):
            values: dict[str, object] = {"slug": "jammerbugt"}
            for argument in arguments:
                if argument == "form_id":
                    values[argument] = (
                        "child_intake" if "member_id" in arguments else "family_intake"
                    )
                elif argument == "membership_id":
                    values[argument] = membership_id
                elif argument == "department_id":
                    values[argument] = department_id
                elif argument == "token_id":
                    values[argument] = token_id
                elif argument == "grant_id":
                    values[argument] = grant_id
                elif argument == "study_id":
                    values[argument] = study_id
                elif argument == "wave_key":
                    values[argument] = "intake"
                elif argument == "job_id":
                    values[argument] = job_id
                elif argument == "invitation_id":
                    values[argument] = invitation_id
                else:
                    values[argument] = ids[family][argument]  # type: ignore[index]
            url = build(app_ctx, rule, values)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method)
                response.close()  # file downloads hold their file open until closed
                want = expected(rule.endpoint, method, role, family)
                status = response.status_code
                where = f"{role} {method} {url} ({rule.endpoint}, family {family})"
                if want == "hidden":
                    assert status == 404, where
                elif want == "forbidden":
                    assert status == 403, where
                else:
                    assert status not in (403, 404) and status < 500, f"{where}: {status}"
                    if method == "GET":
                        assert status == 200, where
                if role == "external":
                    body = response.get_data(as_text=True)
                    leaked = [text for text in CHILD_WELFARE if text in body]
                    assert not leaked, f"{where} shows child-welfare data: {leaked}"
                checked += 1
    assert checked > 40


def test_the_external_contact_sees_the_plan_and_contacts_only(client, jammerbugt_world):
    users, ids, _ = jammerbugt_world
    log_in(client, users["external"].email, PASSWORD)
    home = client.get("/jammerbugt/").get_data(as_text=True)
    assert "Familien A" in home and "Familien B" not in home
    plan = client.get(f"/jammerbugt/families/{ids['A']['family_id']}/plan")
    html = plan.get_data(as_text=True)
    assert plan.status_code == 200
    assert "Mål for familie A" in html and users["staff_assigned"].email in html
    assert "Optag mål" not in html and "Tilføj målet" not in html  # no editing forms
    added = client.post(
        f"/jammerbugt/families/{ids['A']['family_id']}/plan",
        data={"phase": "1", "life_area": "health", "description": "x"},
    )
    assert added.status_code == 403
