"""The family overview: what it shows at the top, its waves (current and next open, the
rest collapsed), who submitted each form, the timeline from the audit trail, and "save and
go to the next form" in the order the overview lists the forms."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from app.audit.services import record
from app.casework.missed import record_missed, undo_missed
from app.casework.reopen import reopen_family
from app.collection.models import Submission
from app.collection.services import expected_in_wave, submitted_in
from app.collection.waves import start_exit
from app.core.db import db
from app.core.formatting import format_moment
from app.families.models import Family, Wave
from app.plans.models import Plan
from app.plans.services import add_goal
from app.tenancy.scoping import tenant_scope
from tests.support.checks import warning_ids
from tests.support.forms import valid_formdata
from tests.support.windows import LATE_PAGE

TODAY = date.today()
#: One municipality of each team model.
BY_TEAM_MODEL = {"coordinator": "brondby", "family_team": "jammerbugt", "single_entry": "vejle"}
SUBJECT_RANK = {"family": 0, "adult": 1, "child": 2}


def page(client, slug: str, family_id: int, query: str = "") -> str:
    response = client.get(f"/{slug}/families/{family_id}{query}")
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def wave_sections(html: str) -> dict[int, str]:
    return {
        int(m.group(1)): m.group(2)
        for m in re.finditer(
            r'<section class="wave[^"]*" id="wave-(\d+)"(.*?)</section>', html, re.S
        )
    }


def timeline_of(html: str) -> list[str]:
    section = html.split('id="timeline"', 1)[1].split("</section>", 1)[0]
    return [
        re.sub(r"<[^>]+>", "", li).strip() for li in re.findall(r"<li>(.*?)</li>", section, re.S)
    ]


def fill_url(slug: str, wave_id: int, form_id: str, member_id: int | None) -> str:
    if member_id is None:
        return f"/{slug}/waves/{wave_id}/forms/{form_id}"
    return f"/{slug}/waves/{wave_id}/members/{member_id}/forms/{form_id}"


def post_form(client, slug, wave_id, version, member_id, button="submit"):
    data = {
        **valid_formdata(version.form, TODAY),
        button: "1",
        "lock_version": "0",
        "confirm_check": warning_ids(version.form),
        **LATE_PAGE,  # some of these forms are submitted after their window closed
    }
    return client.post(fill_url(slug, wave_id, version.form_id, member_id), data=data)


def test_the_top_shows_members_team_next_due_and_the_plans_figures(
    client, auth, municipalities, make_user, make_family
):
    brondby = municipalities["brondby"]
    staff = make_user(brondby, "staff")
    family = make_family("brondby", adults=1, children=1, enrolment=TODAY, team=[staff])
    with tenant_scope(brondby):
        plan = db.session.scalar(select(Plan).where(Plan.family_id == family.id))
        add_goal(plan, 1, "housing", "En stabil bolig", None)
        add_goal(plan, 1, "economy", "Styr på økonomien", None)
        db.session.commit()
        intake = next(w for w in db.session.get(Family, family.id).waves if w.kind == "intake")
        intake_id, due = intake.id, intake.due_date
    auth.login(staff.email)
    html = page(client, "brondby", family.id)
    top = html.split('id="members-heading"', 1)[0]
    assert "Familiekoordinator" in top  # the team model in words
    assert staff.name in top and "familiekoordinator" in top
    assert "Næste dataindsamling" in top and "Indskrivning" in top
    assert f'href="#wave-{intake_id}"' in top
    assert "2 mål" in top and "Bolig" in top and "Økonomi" in top
    assert "Fase 1: 2" in top and "endnu ikke vurderet: 2" in top
    members = html.split('id="members-heading"', 1)[1].split("</section>", 1)[0]
    assert "Voksen 1 Familien Test" in members and "voksen" in members
    assert "Barn 1 Familien Test" in members and "barn" in members
    assert due.strftime("%d.%m.%Y") in html or str(due.year) in html


def test_each_form_says_who_submitted_it_and_when(
    app_ctx, client, auth, municipalities, make_user, make_family
):
    brondby = municipalities["brondby"]
    staff = make_user(brondby, "staff")
    family = make_family("brondby", adults=1, children=0, enrolment=TODAY, team=[staff])
    with tenant_scope(brondby):
        intake = next(w for w in db.session.get(Family, family.id).waves if w.kind == "intake")
        version = next(e.version for e in expected_in_wave(brondby, intake, set()) if not e.member)
        intake_id = intake.id
    auth.login(staff.email)
    assert post_form(client, "brondby", intake_id, version, None).status_code == 302
    with tenant_scope(brondby):
        stored = db.session.scalar(select(Submission).where(Submission.wave_id == intake_id))
        assert stored.submitted_by_id == staff.id
        with app_ctx.test_request_context():
            when = format_moment(stored.submitted_at, language="da")
    section = wave_sections(page(client, "brondby", family.id))[intake_id]
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", section, re.S) if "<td>Indsendt</td>" in r)
    assert staff.name in row and when in row
    missing = next(
        r for r in re.findall(r"<tr>(.*?)</tr>", section, re.S) if "<td>Ikke påbegyndt</td>" in r
    )
    assert staff.name not in missing


@pytest.mark.parametrize("completed_intake", [False, True], ids=["intake-open", "intake-done"])
def test_current_and_next_waves_are_open_and_the_rest_collapsed(
    client, auth, municipalities, make_user, make_family, completed_intake
):
    brondby = municipalities["brondby"]
    lead = make_user(brondby, "lead")
    # Seven months ago: the intake's window has closed, the 6-month follow-up is open.
    enrolment = TODAY - timedelta(days=212)
    family = make_family("brondby", adults=1, children=1, enrolment=enrolment)
    auth.login(lead.email)
    if completed_intake:
        with tenant_scope(brondby):
            intake = next(w for w in db.session.get(Family, family.id).waves if w.kind == "intake")
            rows = [
                (e.version, e.member.id if e.member else None)
                for e in expected_in_wave(brondby, intake, set())
            ]
            intake_id = intake.id
        for version, member_id in rows:
            assert post_form(client, "brondby", intake_id, version, member_id).status_code == 302
    with tenant_scope(brondby):
        statuses = [(w.id, w.status(TODAY)) for w in db.session.get(Family, family.id).waves]
    assert len(statuses) >= 4
    first_upcoming = next(i for i, s in statuses if s == "upcoming")
    sections = wave_sections(page(client, "brondby", family.id))
    for wave_id, status in statuses:
        opened = '<details class="wave-forms" open>' in sections[wave_id]
        assert f'class="status status-{status}"' in sections[wave_id]
        assert opened == (status in ("due", "overdue") or wave_id == first_upcoming), status
    assert sum(1 for _, s in statuses if s == "upcoming") >= 2  # later ones are collapsed
    if completed_intake:
        assert statuses[0][1] == "completed"


def test_the_timeline_tells_what_happened_newest_first_and_only_of_this_family(
    client, auth, municipalities, make_user, make_family
):
    brondby = municipalities["brondby"]
    staff = make_user(brondby, "staff")
    family = make_family(
        "brondby", adults=1, children=0, enrolment=TODAY, team=[staff], label="Familien A"
    )
    make_family("brondby", adults=1, children=0, enrolment=TODAY, team=[staff], label="Familien B")
    make_family("vejle", adults=1, children=0, enrolment=TODAY, label="Familien C")
    auth.login(staff.email)
    with tenant_scope(brondby):
        intake = next(w for w in db.session.get(Family, family.id).waves if w.kind == "intake")
        version = next(e.version for e in expected_in_wave(brondby, intake, set()) if not e.member)
        intake_id = intake.id
    assert post_form(client, "brondby", intake_id, version, None).status_code == 302
    response = client.post(
        f"/brondby/families/{family.id}/members/new",
        data={"role": "child", "name": "Sofie Nyhed", "start_date": TODAY.isoformat()},
    )
    assert response.status_code == 302
    response = client.post(
        f"/brondby/families/{family.id}/exit", data={"exit_date": TODAY.isoformat()}
    )
    assert response.status_code == 302
    # An event of another municipality about an object with the same id is not this
    # family's, nor is a reading of the page.
    stranger = make_user(municipalities["vejle"], "lead")
    with tenant_scope(municipalities["vejle"]):
        record(
            "family.enrolled",
            actor_id=stranger.id,
            municipality_id=municipalities["vejle"].id,
            object_type="family",
            object_id=family.id,
        )
        db.session.commit()
    page(client, "brondby", family.id)
    lines = timeline_of(page(client, "brondby", family.id))
    assert not any(stranger.name in line for line in lines)
    # Enrolled, coordinator assigned, adult added, intake form, child added, exit started.
    assert len(lines) == 6, lines
    title = version.form.title["da"]
    expected_in_order = [
        f"{staff.name} startede afslutningen",
        f"{staff.name} føjede Sofie Nyhed (barn) til familien.",
        f"{staff.name} indsendte »{title}« (Indskrivning).",
        "føjede Voksen 1 Familien A (voksen) til familien.",
        "indskrev familien.",
    ]
    positions = [
        next(i for i, line in enumerate(lines) if part in line) for part in expected_in_order
    ]
    assert positions == sorted(positions), lines
    text = "\n".join(lines)
    assert "Familien B" not in text and "Familien C" not in text
    assert "family" not in text and "submission" not in text and "{" not in text
    assert all(re.match(r"\d{2}\.\d{2}\.\d{4}", line) for line in lines), lines


def test_the_timeline_is_paged(client, auth, municipalities, make_user, make_family):
    brondby = municipalities["brondby"]
    lead = make_user(brondby, "lead")
    family = make_family("brondby", adults=25, children=0, enrolment=TODAY)
    auth.login(lead.email)
    html = page(client, "brondby", family.id)
    assert len(timeline_of(html)) == 20
    assert f"/brondby/families/{family.id}?events=40#timeline" in html
    everything = page(client, "brondby", family.id, "?events=40")
    assert (
        len(timeline_of(everything)) == 26
        and "Vis flere" not in everything.split('id="timeline"')[1]
    )
    assert len(timeline_of(page(client, "brondby", family.id, "?events=nonsense"))) == 20


@pytest.mark.parametrize("team_model", sorted(BY_TEAM_MODEL))
@pytest.mark.parametrize("kind", ["intake", "follow_up", "exit"])
def test_save_and_next_goes_to_the_next_missing_form_then_back_to_the_overview(
    client, auth, municipalities, make_user, make_family, team_model, kind
):
    slug = BY_TEAM_MODEL[team_model]
    municipality = municipalities[slug]
    lead = make_user(municipality, "lead")
    family = make_family(slug, adults=2, children=1, enrolment=TODAY - timedelta(days=200))
    with tenant_scope(municipality):
        record = db.session.get(Family, family.id)
        assert record.team_model == team_model
        if kind == "exit":
            start_exit(municipality, record, TODAY)
            db.session.commit()
        wave = next(w for w in db.session.get(Family, family.id).waves if w.kind == kind)
        rows = {
            (e.version.form_id, e.member.id if e.member else None): (
                e.version,
                e.member.role if e.member else "family",
            )
            for e in expected_in_wave(municipality, wave, set())
        }
        wave_id = wave.id
    assert len(rows) >= 4
    auth.login(lead.email)
    # Start on the last adult's form: the walk goes on to the child, then back to the first.
    start = next(p for p, (_, role) in reversed(list(rows.items())) if role == "adult")
    visited = [start]
    current = start
    while True:
        version, _ = rows[current]
        response = post_form(client, slug, wave_id, version, current[1], button="submit_next")
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        location = response.headers["Location"]
        if location.startswith(f"/{slug}/families/{family.id}"):
            break
        current = next(p for p in rows if location == fill_url(slug, wave_id, *p))
        assert current not in visited
        visited.append(current)
    with tenant_scope(municipality):
        assert submitted_in(db.session.get(Wave, wave_id)) == set(rows)
    assert set(visited) == set(rows)
    ranks = [SUBJECT_RANK[rows[p][1]] for p in visited]
    # From the start: the forms after it in the order family, adults, children; then the
    # ones before it from the top, in the same order.
    turn = next((i for i in range(1, len(ranks)) if ranks[i] < ranks[i - 1]), len(ranks))
    assert ranks[:turn] == sorted(ranks[:turn]) and ranks[turn:] == sorted(ranks[turn:]), ranks
    assert ranks[turn] == 0 if turn < len(ranks) else True


def test_a_missed_wave_and_a_reopening_are_on_the_page_and_in_the_timeline(
    client, auth, municipalities, make_user, make_family
):
    """An overdue wave offers to record why it cannot be collected; once recorded, the
    page says so with the reason and a way back, and the timeline tells it, as it tells
    a reopening after an exit."""
    brondby = municipalities["brondby"]
    lead = make_user(brondby, "lead")
    family = make_family("brondby", adults=1, children=0, enrolment=TODAY - timedelta(days=400))
    auth.login(lead.email)
    with tenant_scope(brondby):
        overdue = next(
            w for w in db.session.get(Family, family.id).waves if w.status(TODAY) == "overdue"
        )
        overdue_id = overdue.id
    link = f"/brondby/waves/{overdue_id}/missed"
    assert link in wave_sections(page(client, "brondby", family.id))[overdue_id]
    with tenant_scope(brondby):
        wave = db.session.get(Wave, overdue_id)
        record_missed(wave, "moved", actor_id=lead.id)
        db.session.commit()
    section = unescape(wave_sections(page(client, "brondby", family.id))[overdue_id])
    assert 'class="status status-missed"' in section
    assert "Ikke indsamlet: familien er fraflyttet." in section and link in section
    with tenant_scope(brondby):
        undo_missed(db.session.get(Wave, overdue_id), actor_id=lead.id)
        found = db.session.get(Family, family.id)
        start_exit(brondby, found, TODAY)
        db.session.commit()
        reopen_family(brondby, db.session.get(Family, family.id), "exit_by_mistake", lead.id)
        db.session.commit()
    lines = timeline_of(page(client, "brondby", family.id))
    assert (
        "genåbnede familien efter afslutningen (Afslutningen blev startet ved en fejl)"
        in (lines[0])
    ), lines[:3]
    assert any("forventes igen" in line for line in lines), lines
    assert any("ikke kan indsamles: familien er fraflyttet" in line for line in lines), lines
