"""The work lists: each list for each role holds the waves whose status says so, and
nothing of another caseworker's families (for staff) or of another municipality; the pages
show them in Danish with titles, sort, filter and page; and a wave recorded as missed leaves
the overdue list, is listed as missed, and returns when the reason is taken back."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import Membership
from app.casework import worklists
from app.core import dates
from app.core.db import db
from app.families.models import UPCOMING_DAYS, Family, Wave
from app.tenancy.scoping import tenant_scope
from tests.support.auth import csrf_token
from tests.support.forms import save_family_draft


@pytest.fixture
def caseload(municipalities, make_user, make_family):
    """Brøndby: staff's own family, another caseworker's, one nobody works with, one
    that left; and a Vejle family, each with waves overdue, due or upcoming today."""
    today = dates.today()
    brondby, vejle = municipalities["brondby"], municipalities["vejle"]
    users = {
        "admin": make_user(brondby, "admin"),
        "lead": make_user(brondby, "lead"),
        "staff": make_user(brondby, "staff"),
        "other_staff": make_user(brondby, "staff"),
    }
    vejle_staff = make_user(vejle, "staff")
    families = {
        "mine": make_family(
            "brondby",
            enrolment=today - timedelta(days=200),
            label="Familien Min",
            team=[users["staff"]],
        ).id,
        "soon": make_family(
            "brondby",
            enrolment=today - timedelta(days=137),
            label="Familien Snart",
            team=[users["other_staff"]],
        ).id,
        "nobody": make_family(
            "brondby", enrolment=today - timedelta(days=200), label="Familien Ingen"
        ).id,
        "gone": make_family(
            "brondby",
            enrolment=today - timedelta(days=200),
            label="Familien Udskrevet",
            team=[users["staff"]],
        ).id,
    }
    make_family(
        "vejle",
        enrolment=today - timedelta(days=200),
        label="Familien Vejle",
        team=[vejle_staff],
    )
    with tenant_scope(brondby):
        save_family_draft(brondby, families["mine"], today)
        save_family_draft(brondby, families["soon"], today)
        db.session.get(Family, families["gone"]).status = "exited"
        db.session.commit()
    return brondby, users, families


def as_member(app, municipality, user):
    """A request context of *user* in *municipality*, as the pages have."""
    context = app.test_request_context()
    context.push()
    scope = tenant_scope(municipality, user.id)
    scope.__enter__()
    g.municipality = municipality
    g.membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))

    def close():
        scope.__exit__(None, None, None)
        context.pop()

    return close


def expected_waves(name: str, family_ids: set[int], today, user_families: set[int]):
    """The list's waves by Wave.status in Python, over the families given."""
    rows = set()
    for wave in db.session.scalars(select(Wave).where(Wave.family_id.in_(family_ids))):
        status = wave.status(today)
        soon = status == "upcoming" and wave.window_start <= today + timedelta(days=UPCOMING_DAYS)
        if (
            (name in ("overdue", "due") and status == name)
            or (name == "upcoming" and soon)
            or (
                name == "mine"
                and wave.family_id in user_families
                and (status in ("overdue", "due") or soon)
            )
        ):
            rows.add(wave.id)
    return rows


@pytest.mark.parametrize("role", ["staff", "lead", "admin"])
def test_each_list_holds_what_the_status_says_for_each_role(app_ctx, caseload, role):
    brondby, users, families = caseload
    today = dates.today()
    active = {families["mine"], families["soon"], families["nobody"]}
    seen = {families["mine"]} if role == "staff" else active
    own = {families["mine"]} if role == "staff" else set()
    close = as_member(app_ctx, brondby, users[role])
    try:
        names = [n for n in worklists.LISTS if worklists.available(n)]
        assert ("unassigned" in names) == (role != "staff")
        for name in worklists.WAVE_LISTS:
            found = worklists.page(name, worklists.Query(), today)
            ids = {wave.id for wave, _ in found.rows}
            assert ids == expected_waves(name, seen, today, own), name
            assert found.total == len(ids)
            assert {family.id for _, family in found.rows} <= seen
        for name in ("overdue", "due", "upcoming"):
            assert worklists.page(name, worklists.Query(), today).rows or role == "staff", name
        drafts = worklists.page("drafts", worklists.Query(), today)
        assert {family.id for _, _, family in drafts.rows} == seen & {
            families["mine"],
            families["soon"],
        }
        if role != "staff":
            unassigned = worklists.page("unassigned", worklists.Query(), today)
            assert [f.id for f in unassigned.rows] == [families["nobody"]]
        counts = worklists.counts(today)
        assert counts["overdue"] == len(expected_waves("overdue", seen, today, own))
        # The home page's counts, made in one pass over the waves, are each list's own.
        assert counts == {n: worklists.page(n, worklists.Query(), today).total for n in names}
    finally:
        close()


def test_filters_and_sorts_narrow_and_order_in_the_database(app_ctx, caseload):
    brondby, users, families = caseload
    today = dates.today()
    close = as_member(app_ctx, brondby, users["lead"])
    try:
        mine = worklists.Query(caseworker=users["staff"].id)
        rows = worklists.page("overdue", mine, today).rows
        assert rows and {family.id for _, family in rows} == {families["mine"]}
        by_family = worklists.page("overdue", worklists.Query(sort="family"), today).rows
        labels = [family.label for _, family in by_family]
        assert labels == sorted(labels)
        backwards = worklists.Query(sort="family", descending=True)
        assert [f.label for _, f in worklists.page("overdue", backwards, today).rows] == sorted(
            labels, reverse=True
        )
        intake = worklists.Query(wave="intake")
        assert {w.key for w, _ in worklists.page("overdue", intake, today).rows} == {"intake"}
        nothing = worklists.Query(team_model="family_team")
        assert worklists.page("overdue", nothing, today).total == 0
        # Anything not understood is ignored rather than failing.
        odd = worklists.Query.from_args(
            {"sort": "drop table", "caseworker": "x", "team_model": "?", "wave": "'", "page": "-1"}
        )
        assert odd == worklists.Query()
    finally:
        close()


def test_the_pages_show_titles_in_danish_and_answer_bad_parameters_calmly(client, auth, caseload):
    _, users, _ = caseload
    auth.login(users["staff"].email)
    page = client.get("/brondby/work/overdue")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Familien Min" in html and "Familien Snart" not in html and "Familien Vejle" not in html
    assert "Over fristen" in html and 'aria-sort="ascending"' in html
    text = re.sub(r"<[^>]+>", " ", html)  # what the reader sees, not attribute values
    assert "family_intake" not in text and "follow_up" not in text and "Skemaer, der" in text
    assert "Registrér hvorfor" in html
    assert client.get("/brondby/work/").status_code == 200
    for query in ("sort=x&order=y", "caseworker=abc", "wave=%27", "status=nope", "page=0"):
        assert client.get(f"/brondby/work/overdue?{query}").status_code == 200, query
    assert client.get("/brondby/work/overdue?page=999").status_code == 404
    assert client.get("/brondby/work/nonsense").status_code == 404
    assert client.get("/brondby/work/unassigned").status_code == 403
    home = client.get("/brondby/").get_data(as_text=True)
    assert "Arbejdslister" in home and "Familien Min" in home
    auth.logout()
    auth.login(users["lead"].email)
    unassigned = client.get("/brondby/work/unassigned").get_data(as_text=True)
    assert "Familien Ingen" in unassigned and "Familien Min" not in unassigned


def overdue_wave_of(family_id: int, brondby) -> int:
    today = dates.today()
    with tenant_scope(brondby):
        return next(
            w.id for w in db.session.get(Family, family_id).waves if w.status(today) == "overdue"
        )


def test_a_missed_reason_takes_the_wave_off_overdue_until_it_is_taken_back(client, auth, caseload):
    brondby, users, families = caseload
    wave_id = overdue_wave_of(families["mine"], brondby)
    auth.login(users["staff"].email)
    url = f"/brondby/waves/{wave_id}/missed"
    form = client.get(url)
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert "checked" not in html.split("<fieldset", 1)[1].split("</fieldset>", 1)[0]
    token = re.search(r'name="once_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="once_token"', html
    )
    assert token
    empty = client.post(url, data={"csrf_token": csrf_token(html), "once_token": token[1]})
    assert empty.status_code == 200 and "Vælg, hvorfor skemaerne" in empty.get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "once_token": token[1], "reason": "moved"}
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302  # a double click
    overdue = client.get("/brondby/work/overdue").get_data(as_text=True)
    assert f"#wave-{wave_id}" not in overdue
    with tenant_scope(brondby):
        wave = db.session.get(Wave, wave_id)
        assert (wave.missed_reason, wave.missed_by_id) == ("moved", users["staff"].id)
        assert wave.status(dates.today()) == "missed"
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "wave.missed_recorded", AuditEvent.object_id == str(wave_id)
            )
        ).all()
        assert len(events) == 1 and events[0].details["reason"] == "moved"
    shown = client.get(url).get_data(as_text=True)
    assert "familien er fraflyttet" in shown
    undo = client.post(f"{url}/undo", data={"csrf_token": csrf_token(shown)})
    assert undo.status_code == 302
    assert f"#wave-{wave_id}" in client.get("/brondby/work/overdue").get_data(as_text=True)
    with tenant_scope(brondby):
        assert db.session.get(Wave, wave_id).missed_reason is None
        assert db.session.scalar(
            select(AuditEvent.id).where(
                AuditEvent.action == "wave.missed_undone", AuditEvent.object_id == str(wave_id)
            )
        )
    auth.logout()
    # Another caseworker, who does not work with the family, may not.
    auth.login(users["other_staff"].email)
    assert client.get(url).status_code == 403
