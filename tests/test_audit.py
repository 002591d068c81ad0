"""The audit trail: append-only in the application and in the database; reads of families
and child-welfare data, exports, settings, roles and sign-ins recorded; the admin's page
and CSV show the municipality's own events and nothing of another's."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.audit.models import AuditEvent
from app.audit.services import AuditIsAppendOnly, record
from app.collection.services import forms_for_wave, save_submission
from app.core.db import db
from app.families.models import Family
from app.tenancy.scoping import tenant_scope, unscoped
from tests.conftest import owner_engine, valid_formdata

TODAY = date(2026, 2, 1)


def _actions(municipality_id: int | None = None) -> list[str]:
    with unscoped("test reads the whole trail"):
        statement = (
            select(AuditEvent.action)
            .where(AuditEvent.action != "tenant.unscoped_access")
            .order_by(AuditEvent.id)
        )
        if municipality_id is not None:
            statement = statement.where(AuditEvent.municipality_id == municipality_id)
        return list(db.session.scalars(statement))


def test_the_application_cannot_change_or_delete_an_event(app_ctx):
    event = record("test.event", details={"n": 1})
    db.session.commit()
    event.details = {"n": 2}
    with pytest.raises(AuditIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AuditIsAppendOnly):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'rewritten'",
        "DELETE FROM audit_event",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_event(app_ctx, backend, statement):
    record("test.event")
    db.session.commit()
    # On PostgreSQL the application role lacks the privilege in the first place, and the
    # table owner (who has it) meets the trigger; SQLite has only the trigger.
    refusals = [(db.engine, "permission denied" if backend == "postgresql" else "append-only")]
    if backend == "postgresql":
        refusals.append((owner_engine(app_ctx), "append-only"))
    for engine, message in refusals:
        with engine.connect() as connection, pytest.raises(DBAPIError, match=message):  # noqa: SIM117 (the refusal comes at commit)
            with connection.begin():
                connection.execute(text(statement))
    assert _actions() == ["test.event"]


def test_emptying_the_table_in_one_go_is_refused_too(app_ctx, backend):
    # PostgreSQL's TRUNCATE skips row triggers; SQLite's equivalent is an unqualified
    # DELETE, which it would run as a truncation were there no trigger.
    statement = {
        "postgresql": "TRUNCATE audit_event CASCADE",
        "sqlite": "DELETE FROM audit_event WHERE 1",
    }[backend]
    record("test.event")
    db.session.commit()
    with owner_engine(app_ctx).connect() as connection:  # noqa: SIM117
        with pytest.raises(DBAPIError, match="append-only"):
            with connection.begin():
                connection.execute(text(statement))
    assert _actions() == ["test.event"]


def _child_submission(brondby, family_id, user):
    with tenant_scope(brondby):
        family = db.session.get(Family, family_id)
        wave = next(w for w in family.waves if w.kind == "intake")
        child = next(m for m in family.members if m.role == "child")
        version = next(v for v in forms_for_wave(brondby, wave) if v.level == "child")
        raw = valid_formdata(version.form, TODAY)
        submission = save_submission(
            brondby,
            wave,
            version,
            child,
            raw,
            submit=True,
            seen_lock_version=None,
            actor_id=user.id,
            today=TODAY,
        )
        db.session.commit()
        return submission.id


def test_reading_a_family_and_a_childs_form_is_recorded(
    client, auth, municipalities, make_user, make_family
):
    brondby = municipalities["brondby"]
    user = make_user(brondby, "staff")
    family = make_family("brondby", adults=1, children=1, team=[user])
    submission_id = _child_submission(brondby, family.id, user)
    auth.login(user.email)

    assert client.get(f"/brondby/families/{family.id}").status_code == 200
    assert client.get(f"/brondby/submissions/{submission_id}").status_code == 200

    with unscoped("test"):
        events = list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.in_(("family.viewed", "submission.viewed")))
                .order_by(AuditEvent.id)
            )
        )
    assert [(e.action, e.actor_id, e.municipality_id) for e in events] == [
        ("family.viewed", user.id, brondby.id),
        ("submission.viewed", user.id, brondby.id),
    ]
    assert events[0].object_id == str(family.id)
    assert events[1].details["child_welfare"] is True
    assert "auth.login" in _actions()


def test_settings_and_role_changes_and_sign_ins_are_recorded(
    client, auth, municipalities, make_user
):
    brondby = municipalities["brondby"]
    admin = make_user(brondby, "admin")
    staff = make_user(brondby, "staff")
    auth.login(admin.email)
    with tenant_scope(brondby):
        from app.auth.models import Membership

        membership_id = db.session.scalar(
            select(Membership.id).where(Membership.user_id == staff.id)
        )
    page = client.post(
        f"/brondby/admin/people/{membership_id}",
        data={"role": "lead", "department_id": "", "organisation_type": ""},
    )
    assert page.status_code == 302
    actions = _actions(brondby.id)
    assert "membership.role_set" in actions
    assert "auth.login" in _actions()


def test_the_admin_page_filters_and_shows_only_its_own_municipality(
    client, auth, municipalities, make_user, make_family
):
    brondby, vejle = municipalities["brondby"], municipalities["vejle"]
    admin = make_user(brondby, "admin")
    staff = make_user(brondby, "staff")
    other = make_user(vejle, "staff", email="someone@vejle.example")
    ours = make_family("brondby", team=[staff])
    theirs = make_family("vejle", team=[other], label="Familien Vejle")
    for user, slug, family in ((staff, "brondby", ours), (other, "vejle", theirs)):
        auth.login(user.email)
        assert client.get(f"/{slug}/families/{family.id}").status_code == 200
        auth.logout()

    auth.login(admin.email)
    page = client.get("/brondby/admin/audit/?action=family.")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert staff.email in html and "family.viewed" in html
    assert other.email not in html
    assert "membership.role_set" not in html  # filtered out by the action prefix

    download = client.get("/brondby/admin/audit/audit.csv")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert rows, "the municipality's log is not empty"
    assert {"family.viewed", "membership.role_set"} <= {r["action"] for r in rows}
    assert other.email not in {r["actor_email"] for r in rows}
    assert all(r["object_id"] != str(theirs.id) or r["object_type"] != "family" for r in rows)
    # Downloading the log is itself in the log.
    assert "audit.exported" in _actions(brondby.id)

    # A page number of another script's digits is the first page, not a crash.
    assert client.get("/brondby/admin/audit/?page=²").status_code == 200
    # A wrong date is named, not a crash.
    bad = client.get("/brondby/admin/audit/?since=31-12-2026")
    assert bad.status_code == 200 and "ÅÅÅÅ-MM-DD" in bad.get_data(as_text=True)


def test_only_admins_see_the_log_and_the_operator_sees_the_platforms(
    client, auth, municipalities, make_user
):
    brondby = municipalities["brondby"]
    staff = make_user(brondby, "staff")
    operator = make_user(platform_role="operator")
    auth.login(staff.email)
    assert client.get("/brondby/admin/audit/").status_code == 403
    assert client.get("/brondby/admin/audit/audit.csv").status_code == 403
    assert client.get("/operator/audit/").status_code == 403
    auth.logout()

    auth.login(operator.email)
    # The operator has no role in Brøndby: its log is not theirs to read.
    assert client.get("/brondby/admin/audit/").status_code == 404
    platform = client.get("/operator/audit/?action=auth.login").get_data(as_text=True)
    assert staff.email in platform and operator.email in platform
    rows = list(
        csv.DictReader(io.StringIO(client.get("/operator/audit/audit.csv").get_data(as_text=True)))
    )
    assert {"auth.login", "auth.logout"} <= {r["action"] for r in rows}
