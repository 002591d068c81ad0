"""The joint plan's corrections (edit, delete, visibility to external contact persons, the
status at a follow-up) and the confirmations and undo of exit, reopen and research
sign-off."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.api.tokens import create_token
from app.audit.models import AuditEvent
from app.collection.models import Submission
from app.core import dates
from app.core.db import db
from app.demo.generate import generate
from app.families.models import Family, Wave
from app.plans.models import LIFE_AREAS, Goal, GoalRevision, GoalStatus, Plan, hidden_by_default
from app.plans.services import add_goal
from app.tenancy.scoping import tenant_scope
from tests.support.auth import PASSWORD, log_in


def _jammerbugt(municipalities):
    return municipalities["jammerbugt"]


def _plan_of(municipality, family_id: int) -> Plan:
    with tenant_scope(municipality):
        return db.session.scalar(select(Plan).where(Plan.family_id == family_id))


def _goal_id(municipality, family_id: int) -> int:
    with tenant_scope(municipality):
        return db.session.scalar(
            select(Goal.id).join(Plan).where(Plan.family_id == family_id).order_by(Goal.id)
        )


def _events(municipality, action: str) -> list[AuditEvent]:
    with tenant_scope(municipality):
        return list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def test_a_goal_is_edited_with_its_history_kept_and_a_concurrent_edit_detected(
    client, jammerbugt_world, municipalities
):
    users, ids, _ = jammerbugt_world
    jammerbugt = _jammerbugt(municipalities)
    family_id = ids["A"]["family_id"]
    goal_id = _goal_id(jammerbugt, family_id)
    log_in(client, users["staff_assigned"].email, PASSWORD)
    url = f"/jammerbugt/families/{family_id}/plan/goals/{goal_id}/edit"
    page = client.get(url)
    assert page.status_code == 200 and "Mål for familie A" in page.get_data(as_text=True)
    form = {
        "phase": "1",
        "life_area": "economy",
        "description": "Gælden afdrages",
        "family_words": "Vi vil være gældfri",
        "target_date": "2027-06-30",
        "responsible_user_id": str(users["staff_assigned"].id),
        "department_id": "0",
        "visibility_chosen": "1",
        "lock_version": "1",
    }
    assert client.post(url, data=form).status_code == 302
    with tenant_scope(jammerbugt):
        goal = db.session.get(Goal, goal_id)
        assert (goal.description, goal.life_area, goal.lock_version) == (
            "Gælden afdrages",
            "economy",
            2,
        )
        assert goal.target_date == date(2027, 6, 30)
        assert goal.responsible_user_id == users["staff_assigned"].id
        revisions = db.session.scalars(
            select(GoalRevision).where(GoalRevision.goal_id == goal_id)
        ).all()
        assert [(r.action, r.description, r.life_area) for r in revisions] == [
            ("edited", "Mål for familie A", "housing")
        ]
    event = _events(jammerbugt, "plan.goal_edited")[-1]
    assert event.details["changes"]["life_area"] == ["housing", "economy"]
    # No words of the family in the audit trail.
    assert "Gælden" not in str(event.details) and "gældfri" not in str(event.details)
    # A second editor whose form was opened at version 1 is refused, not written over.
    stale = client.post(url, data={**form, "description": "Overskrevet"})
    assert stale.status_code == 200
    assert "Someone else changed the goal" in stale.get_data(as_text=True) or (
        "En anden har ændret målet" in stale.get_data(as_text=True)
    )
    with tenant_scope(jammerbugt):
        assert db.session.get(Goal, goal_id).description == "Gælden afdrages"


def test_deleting_a_goal_asks_first_and_keeps_its_statuses(
    client, jammerbugt_world, municipalities
):
    users, ids, _ = jammerbugt_world
    jammerbugt = _jammerbugt(municipalities)
    family_id = ids["A"]["family_id"]
    goal_id = _goal_id(jammerbugt, family_id)
    log_in(client, users["staff_assigned"].email, PASSWORD)
    url = f"/jammerbugt/families/{family_id}/plan/goals/{goal_id}/delete"
    confirm = client.get(url)
    assert confirm.status_code == 200
    with tenant_scope(jammerbugt):
        assert db.session.get(Goal, goal_id).deleted_at is None  # asking deleted nothing
    assert client.post(url, data={"lock_version": "1"}).status_code == 302
    # A double click: the goal is deleted once.
    assert client.post(url, data={"lock_version": "1"}).status_code in (302, 404)
    assert len(_events(jammerbugt, "plan.goal_deleted")) == 1
    with tenant_scope(jammerbugt):
        goal = db.session.get(Goal, goal_id)
        assert goal.deleted_at is not None and goal.deleted_by_id == users["staff_assigned"].id
        assert db.session.scalar(
            select(func.count()).select_from(GoalStatus).where(GoalStatus.goal_id == goal_id)
        )
        assert [r.action for r in goal.revisions] == ["deleted"]
    assert _events(jammerbugt, "plan.goal_deleted")[-1].details["goal_id"] == goal_id
    plan_page = client.get(f"/jammerbugt/families/{family_id}/plan").get_data(as_text=True)
    assert "Mål for familie A" not in plan_page
    assert client.get(url).status_code == 404  # a deleted goal is not offered again


def test_the_status_starts_empty_and_a_follow_up_not_yet_open_is_refused(
    client, jammerbugt_world, municipalities
):
    users, ids, _ = jammerbugt_world
    jammerbugt = _jammerbugt(municipalities)
    family_id = ids["A"]["family_id"]
    goal_id = _goal_id(jammerbugt, family_id)
    today = dates.today()
    with tenant_scope(jammerbugt):
        waves = db.session.scalars(
            select(Wave).where(Wave.family_id == family_id, Wave.kind == "follow_up")
        ).all()
        future = next(w for w in waves if w.status(today) == "upcoming")
        future_id = future.id
    log_in(client, users["staff_assigned"].email, PASSWORD)
    page = client.get(f"/jammerbugt/families/{family_id}/plan").get_data(as_text=True)
    assert f'<select id="status-{goal_id}" name="status"><option value="" selected>' in page
    url = f"/jammerbugt/families/{family_id}/plan/goals/{goal_id}/status"
    empty = client.post(url, data={"wave_id": str(future_id), "status": ""}, follow_redirects=True)
    assert "Vælg en status" in empty.get_data(as_text=True)
    refused = client.post(
        url, data={"wave_id": str(future_id), "status": "achieved"}, follow_redirects=True
    )
    assert "ikke åbnet endnu" in refused.get_data(as_text=True)
    with tenant_scope(jammerbugt):
        assert db.session.scalar(select(GoalStatus).where(GoalStatus.wave_id == future_id)) is None


@pytest.mark.parametrize("life_area", LIFE_AREAS)
@pytest.mark.parametrize("marked", [None, True, False])
def test_externals_never_see_a_hidden_goal(
    client, jammerbugt_world, municipalities, life_area, marked
):
    """Every life area × the box left as the area has it, ticked or unticked: a hidden goal
    is absent from the external's page, API plan and counts, and present for staff."""
    users, ids, _ = jammerbugt_world
    jammerbugt = _jammerbugt(municipalities)
    family_id = ids["A"]["family_id"]
    words = f"Hemmeligt mål {life_area}"
    with tenant_scope(jammerbugt):
        plan = db.session.scalar(select(Plan).where(Plan.family_id == family_id))
        add_goal(plan, 1, life_area, words, None, hidden_from_external=marked)
        db.session.commit()
        external_token = create_token(users["external"], jammerbugt, "t")[1]
        staff_token = create_token(users["staff_assigned"], jammerbugt, "t")[1]
        db.session.commit()
    hidden = hidden_by_default(life_area) if marked is None else marked
    assert hidden_by_default(life_area) == (life_area == "children_school_wellbeing")
    for who, token, sees in (
        ("external", external_token, not hidden),
        ("staff_assigned", staff_token, True),
    ):
        client.get("/logout")
        log_in(client, users[who].email, PASSWORD)
        page = client.get(f"/jammerbugt/families/{family_id}/plan").get_data(as_text=True)
        assert (words in page) == sees, who
        api = client.get(
            f"/api/v1/jammerbugt/families/{family_id}/plan",
            headers={"Authorization": f"Bearer {token}"},
        )
        goals = api.get_json()["goals"]
        assert (words in [g["description"] for g in goals]) == sees, who
        # The counts agree with the goals listed: two goals for staff, one if hidden.
        assert len(goals) == (2 if sees else 1)


def _exit_world(make_family, municipalities):
    jammerbugt = _jammerbugt(municipalities)
    enrolment = dates.today() - timedelta(days=200)
    family = make_family("jammerbugt", label="Familien Udgang", enrolment=enrolment)
    return jammerbugt, family.id


def test_exit_shows_a_confirmation_then_reopen_restores_waves_and_status(
    client, municipalities, make_user, make_family
):
    jammerbugt, family_id = _exit_world(make_family, municipalities)
    lead = make_user(jammerbugt, "lead")
    log_in(client, lead.email, PASSWORD)
    with tenant_scope(jammerbugt):
        before = sorted(
            (w.key, w.due_date)
            for w in db.session.scalars(select(Wave).where(Wave.family_id == family_id))
        )
    exit_day = dates.today()
    url = f"/jammerbugt/families/{family_id}/exit"
    page = client.get(url, query_string={"exit_date": exit_day.isoformat()})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Opfølgning efter 12 måneder" in html or "12 måneder" in html
    with tenant_scope(jammerbugt):
        assert not db.session.scalar(
            select(Wave.id).where(Wave.family_id == family_id, Wave.kind == "exit")
        )  # showing the page changed nothing
    assert client.post(url, data={"exit_date": exit_day.isoformat()}).status_code == 302
    # A double click: the exit is started once.
    assert client.post(url, data={"exit_date": exit_day.isoformat()}).status_code == 302
    assert len(_events(jammerbugt, "family.exit_started")) == 1
    with tenant_scope(jammerbugt):
        keys = set(db.session.scalars(select(Wave.key).where(Wave.family_id == family_id)))
        assert "exit" in keys and "follow_up_12" not in keys
        db.session.get(Family, family_id).status = "exited"
        db.session.commit()
    reopen = f"/jammerbugt/families/{family_id}/reopen"
    assert client.get(reopen).status_code == 200
    assert client.post(reopen, data={"reason": "exit_by_mistake"}).status_code == 302
    # A double click: the family is reopened once.
    assert client.post(reopen, data={"reason": "exit_by_mistake"}).status_code in (302, 403, 404)
    assert len(_events(jammerbugt, "family.reopened")) == 1
    with tenant_scope(jammerbugt):
        family = db.session.get(Family, family_id)
        assert family.status == "active" and family.exit_date is None
        after = sorted(
            (w.key, w.due_date)
            for w in db.session.scalars(select(Wave).where(Wave.family_id == family_id))
        )
    assert after == before
    event = _events(jammerbugt, "family.reopened")[-1]
    assert event.actor_id == lead.id
    assert event.details["reason"] == "exit_by_mistake"
    assert event.details["exit_wave"] == "removed"
    assert "Udgang" not in str(event.details)


def test_staff_cannot_reopen_and_a_reason_is_required(
    client, municipalities, make_user, make_family
):
    jammerbugt, family_id = _exit_world(make_family, municipalities)
    staff = make_user(jammerbugt, "staff")
    lead = make_user(jammerbugt, "lead")
    with tenant_scope(jammerbugt):
        from app.collection.waves import start_exit

        start_exit(jammerbugt, db.session.get(Family, family_id), dates.today())
        db.session.commit()
    from app.teams.services import assign

    with tenant_scope(jammerbugt):
        from app.auth.models import Membership

        membership = db.session.scalar(select(Membership).where(Membership.user_id == staff.id))
        assign(jammerbugt, db.session.get(Family, family_id), membership)
        db.session.commit()
    log_in(client, staff.email, PASSWORD)
    reopen = f"/jammerbugt/families/{family_id}/reopen"
    assert client.get(reopen).status_code == 403
    assert client.post(reopen, data={"reason": "other"}).status_code == 403
    client.get("/logout")
    log_in(client, lead.email, PASSWORD)
    assert client.post(reopen, data={"reason": "made up"}).status_code == 200
    with tenant_scope(jammerbugt):
        assert db.session.scalar(
            select(Wave.id).where(Wave.family_id == family_id, Wave.kind == "exit")
        )


def test_the_approval_summary_matches_an_independent_count(
    client, app_ctx, municipalities, make_user, forms_published
):
    vejle = municipalities["vejle"]
    generate(vejle, 60, seed=5)
    db.session.commit()
    lead = make_user(vejle, "lead")
    key = "follow_up_6"
    with tenant_scope(vejle):
        families = db.session.scalar(
            select(func.count(func.distinct(Wave.family_id))).where(Wave.key == key)
        )
        complete = db.session.scalar(
            select(func.count()).where(Wave.key == key, Wave.completed_at.is_not(None))
        )
        total = db.session.scalar(select(func.count()).where(Wave.key == key))
        drafts = db.session.scalar(
            select(func.count())
            .select_from(Submission)
            .join(Wave, Wave.id == Submission.wave_id)
            .where(Wave.key == key, Submission.status == "draft")
        )
    assert families > 0
    log_in(client, lead.email, PASSWORD)
    page = client.get(f"/vejle/research/waves/{key}/summary")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'data-figure="families">{families}<' in html
    assert f'data-figure="completed">{complete} af {total}<' in html
    assert f'data-figure="drafts">{drafts}<' in html
    missing = int(html.split('data-figure="missing">')[1].split("<")[0])
    # Every incomplete wave misses at least one form; a complete one misses none.
    assert missing >= total - complete and (missing == 0) == (complete == total)
    runner = app_ctx.test_cli_runner()
    refused = runner.invoke(args=["waves", "approve", "--municipality", "vejle", "--wave", key])
    assert refused.exit_code == 1
    assert f"families:            {families}" in refused.output
    assert f"forms missing:       {missing}" in refused.output
    approved = runner.invoke(
        args=["waves", "approve", "--municipality", "vejle", "--wave", key], input="y\n"
    )
    assert approved.exit_code == 0 and "approved for research" in approved.output
