"""Tenant admin pages, the TOML export, onboarding by file, and team-model changes."""

from __future__ import annotations

import shutil
import tomllib
from datetime import date
from pathlib import Path

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import Membership, User
from app.core.db import db
from app.families.models import Family
from app.tenancy.config_files import parse
from app.tenancy.models import Department, Municipality
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.auth import PASSWORD, log_in

SETTINGS = {
    "team_model": "single_entry",
    "interval_months": "6",
    "window_days": "30",
    "count": "4",
    "phases": "1",
    "phase_months": "24",
}


def audit(action: str) -> list[AuditEvent]:
    db.session.rollback()
    with unscoped("test"):
        return list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def test_a_changed_team_model_affects_only_families_enrolled_afterwards(
    client, auth, municipalities, make_user, forms_published
):
    admin = make_user(municipalities["brondby"], "admin")
    auth.login(admin.email)
    before = client.post(
        "/brondby/families/new", data={"label": "Familien Før", "enrolment_date": "2026-01-10"}
    )
    assert before.status_code == 302
    changed = client.post("/brondby/admin/settings", data=SETTINGS)
    assert changed.status_code == 302
    after = client.post(
        "/brondby/families/new", data={"label": "Familien Efter", "enrolment_date": "2026-02-10"}
    )
    assert after.status_code == 302
    with tenant_scope(municipalities["brondby"]):
        models = dict(db.session.execute(select(Family.label, Family.team_model)).all())
    assert models == {"Familien Før": "coordinator", "Familien Efter": "single_entry"}
    event = audit("municipality.settings_changed")[0]
    assert event.details["changes"]["team_model"] == ["coordinator", "single_entry"]
    assert event.actor_id == admin.id


def test_settings_refuse_values_outside_the_allowed_ranges(client, auth, municipalities, make_user):
    admin = make_user(municipalities["vejle"], "admin")
    auth.login(admin.email)
    page = client.post("/vejle/admin/settings", data={**SETTINGS, "interval_months": "99"})
    assert page.status_code == 200 and 'id="interval_months-error"' in page.get_data(as_text=True)
    assert 'value="99"' in page.get_data(as_text=True)
    db.session.rollback()
    vejle = db.session.scalar(select(Municipality).filter_by(slug="vejle"))
    assert vejle.settings["follow_up"]["interval_months"] == 6
    assert audit("municipality.settings_changed") == []


def test_admin_adds_people_changes_roles_and_departments(client, auth, municipalities, make_user):
    assens = municipalities["assens"]
    admin = make_user(assens, "admin")
    auth.login(admin.email)
    created = client.post(
        "/assens/admin/people/new",
        data={"email": "ny@assens.example", "name": "Ny Kollega", "role": "staff"},
        follow_redirects=True,
    )
    html = created.get_data(as_text=True)
    # No mail server in this app: the invitation mail went to the log, and the page says so.
    assert created.status_code == 200 and "skrevet i serverens log" in html
    with tenant_scope(assens):
        membership = db.session.scalar(
            select(Membership).join(Membership.user).where(Membership.role == "staff")
        )
        department = db.session.scalars(select(Department)).first()
    page = client.post(
        f"/assens/admin/people/{membership.id}",
        data={
            "role": "lead",
            "department_id": str(department.id),
            "joint_team": "y",
            "organisation_name": "",
            "organisation_type": "",
        },
    )
    assert page.status_code == 302, page.get_data(as_text=True)
    follow = client.get(page.location).get_data(as_text=True)
    assert "Ændringerne er gemt." in follow, follow[follow.find('class="messages"') :][:500]
    with tenant_scope(assens):
        stored = db.session.get(Membership, membership.id)
        assert (stored.role, stored.department_id, stored.joint_team) == (
            "lead",
            department.id,
            True,
        )
    assert audit("membership.role_set")[-1].details["new_role"] == "lead"
    # The last administrator cannot remove themselves.
    with tenant_scope(assens):
        own = db.session.scalar(select(Membership).where(Membership.user_id == admin.id))
    client.post(f"/assens/admin/people/{own.id}/remove")
    with tenant_scope(assens):
        assert db.session.get(Membership, own.id) is not None


def test_departments_are_added_renamed_and_closed(client, auth, municipalities, make_user):
    rodovre = municipalities["rodovre"]
    admin = make_user(rodovre, "admin")
    auth.login(admin.email)
    assert (
        client.post(
            "/rodovre/admin/departments",
            data={"code": "health", "name_da": "Sundhed", "name_en": "Health"},
        ).status_code
        == 302
    )
    duplicate = client.post(
        "/rodovre/admin/departments", data={"code": "health", "name_da": "X", "name_en": "X"}
    )
    assert "findes allerede" in duplicate.get_data(as_text=True)
    with tenant_scope(rodovre):
        health = db.session.scalar(select(Department).filter_by(code="health"))
    client.post(
        f"/rodovre/admin/departments/{health.id}",
        data={"name_da": "Sundhedsområdet", "name_en": "Health services"},
    )
    with tenant_scope(rodovre):
        stored = db.session.get(Department, health.id)
        assert (stored.name_da, stored.active) == ("Sundhedsområdet", False)
    assert {e.action for e in audit("department.added") + audit("department.changed")} == {
        "department.added",
        "department.changed",
    }


def test_export_writes_todays_settings_back_as_a_valid_file(app_ctx, municipalities, tmp_path):
    vejle = municipalities["vejle"]
    vejle.settings = {**vejle.settings, "follow_up": {**vejle.settings["follow_up"], "count": 5}}
    db.session.commit()
    out = tmp_path / "vejle.toml"
    result = app_ctx.test_cli_runner().invoke(
        args=["municipalities", "export", "vejle", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = tomllib.loads(out.read_text())
    config = parse(data, source=str(out), expected_slug="vejle")
    assert config.settings["follow_up"]["count"] == 5
    assert config.team_model == "single_entry"
    assert [d.code for d in config.departments] == ["employment", "family_counselling"]


def test_a_sixth_municipality_is_onboarded_by_file_and_sync_alone(
    app_ctx, project_root: Path, tmp_path: Path, forms_published
):
    folder = tmp_path / "municipalities"
    shutil.copytree(project_root / "municipalities", folder)
    shutil.copy(project_root / "tests" / "fixtures" / "municipalities" / "odder.toml", folder)
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(args=["municipalities", "sync", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    assert "odder: created" in result.output
    created = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "staff@odder.example",
            "--name",
            "Medarbejder Odder",
            "--password",
            PASSWORD,
            "--municipality",
            "odder",
            "--role",
            "staff",
        ]
    )
    assert created.exit_code == 0, created.output

    client = app_ctx.test_client()
    log_in(client, "staff@odder.example", PASSWORD)
    home = client.get("/odder/")
    assert home.status_code == 200 and "Hele familien" in home.get_data(as_text=True)
    enrolled = client.post(
        "/odder/families/new", data={"label": "Familien Odder", "enrolment_date": "2026-03-01"}
    )
    assert enrolled.status_code == 302
    page = client.get(enrolled.location).get_data(as_text=True)
    assert "Familien Odder" in page and "Opfølgning efter 4 måneder" in page
    odder = db.session.scalar(select(Municipality).filter_by(slug="odder"))
    with tenant_scope(odder):
        family = db.session.scalar(select(Family))
        assert family.team_model == "coordinator"
        assert [w.key for w in family.waves][:3] == ["intake", "follow_up_4", "follow_up_8"]
        assert family.waves[1].due_date == date(2026, 7, 1)


def test_users_create_operator_makes_the_first_operator(app_ctx):
    runner = app_ctx.test_cli_runner()
    base = ["users", "create", "--name", "Drift", "--password", PASSWORD]
    made = runner.invoke(args=[*base, "--email", "drift@example.dk", "--operator"])
    assert made.exit_code == 0, made.output
    assert "created drift@example.dk (operator)" in made.output
    with unscoped("test"):
        user = db.session.scalar(select(User).filter_by(email="drift@example.dk"))
    assert user is not None and user.platform_role == "operator"
    both = runner.invoke(
        args=[*base, "--email", "x@example.dk", "--operator", "--platform-role", "researcher"]
    )
    assert both.exit_code == 1 and "--operator and --platform-role" in both.output
    with unscoped("test"):
        assert db.session.scalar(select(User).filter_by(email="x@example.dk")) is None
