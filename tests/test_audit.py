"""The audit trail: append-only in the application and in the database; reads of families
and child-welfare data, exports, settings, roles and sign-ins recorded; the admin's page
and CSV show the municipality's own events and nothing of another's."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.audit.models import AuditEvent
from app.audit.services import AuditIsAppendOnly, held, record
from app.collection.services import forms_for_wave, save_submission
from app.core.db import db
from app.families.models import Family
from app.plans.models import Goal, Plan
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.apps import owner_engine
from tests.support.auth import log_in
from tests.support.checks import warning_ids
from tests.support.forms import valid_formdata
from tests.support.tenant_rows import fill_every_tenant_table

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


def test_events_held_back_are_added_together_in_their_order_or_dropped(app_ctx):
    def pending() -> list[str]:
        return [o.action for o in db.session.new if isinstance(o, AuditEvent)]

    with held():
        record("test.first")
        with held():  # an inner block leaves adding them to the outer one
            record("test.second")
        assert pending() == []
    assert sorted(pending()) == ["test.first", "test.second"]
    with pytest.raises(RuntimeError), held():
        record("test.dropped")
        raise RuntimeError("the work these events describe is rolled back")
    db.session.commit()
    assert _actions() == ["test.first", "test.second"]


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
            confirmed=warning_ids(version.form),
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
    events_shown = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert staff.email in events_shown and "Familie læst." in events_shown
    assert other.email not in html
    assert "Rolle ændret." not in events_shown  # filtered out by the action prefix

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


# -- every read of a family's data is recorded ------------------------------------------------


@dataclass(frozen=True)
class Objects:
    """The ids the read paths below name, all of one Brøndby family."""

    family: int
    intake_wave: int
    child: int
    adult: int
    family_submission: int
    family_form: str
    child_submission: int
    child_form: str
    study: int
    goal: int


@dataclass(frozen=True)
class ReadPath:
    """One way to read a family's data, and the event the reading must leave."""

    #: staff (on the family's team), admin, api (the staff member's token) or researcher.
    reader: str
    url: Callable[[Objects], str]
    #: (action, object_type, object_id) of the event.
    event: Callable[[Objects], tuple[str, str, int]]


READ_PATHS = {
    "families.detail": ReadPath(
        "staff",
        lambda o: f"/brondby/families/{o.family}",
        lambda o: ("family.viewed", "family", o.family),
    ),
    # A goal's own pages show what it says, the family's words among it.
    "plans.edit": ReadPath(
        "staff",
        lambda o: f"/brondby/families/{o.family}/plan/goals/{o.goal}/edit",
        lambda o: ("family.viewed", "family", o.family),
    ),
    "plans.delete": ReadPath(
        "staff",
        lambda o: f"/brondby/families/{o.family}/plan/goals/{o.goal}/delete",
        lambda o: ("family.viewed", "family", o.family),
    ),
    "plans.plan": ReadPath(
        "staff",
        lambda o: f"/brondby/families/{o.family}/plan",
        lambda o: ("family.viewed", "family", o.family),
    ),
    "collection.view": ReadPath(
        "staff",
        lambda o: f"/brondby/submissions/{o.child_submission}",
        lambda o: ("submission.viewed", "submission", o.child_submission),
    ),
    "collection.fill_family": ReadPath(
        "staff",
        lambda o: f"/brondby/waves/{o.intake_wave}/forms/{o.family_form}",
        lambda o: ("submission.viewed", "submission", o.family_submission),
    ),
    "collection.fill_member": ReadPath(
        "staff",
        lambda o: f"/brondby/waves/{o.intake_wave}/members/{o.child}/forms/{o.child_form}",
        lambda o: ("submission.viewed", "submission", o.child_submission),
    ),
    # The papers: the plan and a form with its answers, as PDF.
    "papers.plan_pdf": ReadPath(
        "staff",
        lambda o: f"/brondby/families/{o.family}/plan.pdf",
        lambda o: ("family.viewed", "family", o.family),
    ),
    "papers.family_form_pdf": ReadPath(
        "staff",
        lambda o: f"/brondby/waves/{o.intake_wave}/forms/{o.family_form}.pdf",
        lambda o: ("submission.viewed", "submission", o.family_submission),
    ),
    "papers.member_form_pdf": ReadPath(
        "staff",
        lambda o: f"/brondby/waves/{o.intake_wave}/members/{o.child}/forms/{o.child_form}.pdf",
        lambda o: ("submission.viewed", "submission", o.child_submission),
    ),
    "privacy.download": ReadPath(
        "admin",
        lambda o: f"/brondby/privacy/members/{o.adult}/subject-access.json",
        lambda o: ("privacy.subject_access", "member", o.adult),
    ),
    "api.family": ReadPath(
        "api",
        lambda o: f"/api/v1/brondby/families/{o.family}",
        lambda o: ("family.viewed", "family", o.family),
    ),
    "api.members": ReadPath(
        "api",
        lambda o: f"/api/v1/brondby/families/{o.family}/members",
        lambda o: ("family.viewed", "family", o.family),
    ),
    "api.plan": ReadPath(
        "api",
        lambda o: f"/api/v1/brondby/families/{o.family}/plan",
        lambda o: ("family.viewed", "family", o.family),
    ),
    "api.submission": ReadPath(
        "api",
        lambda o: f"/api/v1/brondby/submissions/{o.family_submission}",
        lambda o: ("submission.viewed", "submission", o.family_submission),
    ),
    "research.download": ReadPath(
        "researcher",
        # The package's address comes from starting an export (see the test).
        lambda o: f"/research/studies/{o.study}/exports/<job>/download",
        lambda o: ("export.downloaded", "study", o.study),
    ),
}

#: Pages that carry a family's, member's, submission's or wave's id but read nothing of
#: its data, and why.
NOT_READS = {
    "families.add_member_page": "a blank form for a new member, under the family's label",
    "teams.team": "the staff on the family's team, under the family's label",
    "privacy.member": "the person's name over the erasure form; what is held about them "
    "is the subject-access download, which is recorded",
    "api.waves": "the wave schedule (due dates, completion): no names, no answers",
    "families.exit_family": "the exit's confirmation: the family's label, the date and the "
    "titles of the follow-ups no longer expected",
    "families.reopen": "the reopening's confirmation: the family's label and a reason to choose",
    "worklists.record_missed": "a wave's title, dates and the titles of its missing forms, "
    "under the family's label",
    "selfreport.link": "the link made for a parent: their name, the wave's title and the "
    "link itself, no answers (making it is recorded)",
}

#: Route arguments that name a family's data.
PERSONAL_IDS = {"family_id", "member_id", "submission_id", "wave_id", "link_id"}


def test_every_page_with_a_familys_id_is_a_recorded_read_or_says_why_not(app):
    named = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and PERSONAL_IDS & set(rule.arguments)
    }
    assert sorted(named - set(READ_PATHS) - set(NOT_READS)) == []
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted((set(READ_PATHS) | set(NOT_READS)) - endpoints) == []
    assert not set(READ_PATHS) & set(NOT_READS)


def _objects(brondby, filled) -> Objects:
    from app.collection.models import Submission

    with tenant_scope(brondby):
        family = db.session.get(Family, filled.family_id["brondby"])
        wave = next(w for w in family.waves if w.kind == "intake")
        child = next(m for m in family.members if m.role == "child")
        adult = next(m for m in family.members if m.role == "adult")
        in_wave = list(db.session.scalars(select(Submission).where(Submission.wave_id == wave.id)))
        of_family = next(s for s in in_wave if s.member_id is None)
        of_child = next(s for s in in_wave if s.member_id == child.id)
        return Objects(
            family=family.id,
            intake_wave=wave.id,
            child=child.id,
            adult=adult.id,
            family_submission=of_family.id,
            family_form=of_family.form_id,
            child_submission=of_child.id,
            child_form=of_child.form_id,
            study=filled.study.id,
            goal=db.session.scalar(
                select(Goal.id)
                .join(Plan, Plan.id == Goal.plan_id)
                .where(Plan.family_id == family.id)
            ),
        )


def _events_after(
    event_id: int,
) -> list[tuple[str, str | None, str | None, int | None, int | None]]:
    with unscoped("test reads the whole trail"):
        return [
            (e.action, e.object_type, e.object_id, e.actor_id, e.municipality_id)
            for e in db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.id > event_id, AuditEvent.action != "tenant.unscoped_access")
                .order_by(AuditEvent.id)
            )
        ]


def _last_event_id() -> int:
    with unscoped("test reads the whole trail"):
        return db.session.scalar(select(func.max(AuditEvent.id))) or 0


def test_every_read_of_a_familys_data_records_who_read_what(
    app, client, municipalities, make_user, make_family, tmp_path, monkeypatch
):
    brondby = municipalities["brondby"]
    filled = fill_every_tenant_table(
        [brondby, municipalities["vejle"]], make_user, make_family, tmp_path
    )
    objects = _objects(brondby, filled)
    readers = {
        "staff": filled.staff["brondby"],
        "api": filled.staff["brondby"],
        "admin": make_user(brondby, "admin"),
        "researcher": filled.researcher,
    }
    monkeypatch.setitem(app.config, "EXPORTS_INLINE", True)
    log_in(client, filled.researcher.email)
    started = client.post(f"/research/studies/{objects.study}")
    assert started.status_code == 302
    package = started.location + "/download"
    client.post("/logout")

    unrecorded = {}
    for endpoint, path in READ_PATHS.items():
        reader = readers[path.reader]
        headers = {}
        if path.reader == "api":
            headers["Authorization"] = f"Bearer {filled.token['brondby']}"
        else:
            log_in(client, reader.email)
        url = package if endpoint == "research.download" else path.url(objects)
        before = _last_event_id()
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (endpoint, url, response.status_code)
        response.close()
        if path.reader != "api":
            client.post("/logout")
        action, object_type, object_id = path.event(objects)
        expected = (
            action,
            object_type,
            str(object_id),
            reader.id,
            None if path.reader == "researcher" else brondby.id,
        )
        events = _events_after(before)
        if expected not in events:
            unrecorded[endpoint] = events
    assert unrecorded == {}
