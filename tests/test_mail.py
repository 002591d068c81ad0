"""E-mail through a real SMTP server (aiosmtpd, started by the ``smtp`` fixture): the daily
digest, a new person's invitation link, and the forgotten-password link."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta

import pytest
from flask import g
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import OneTimeLink, User
from app.casework import worklists
from app.casework.missing import missing_forms
from app.collection.services import expected_in_wave, submitted_in
from app.core.db import db, utcnow
from app.demo.generate import generate
from app.families.models import Assignment, Family, Member
from app.notifications.digest import send_digest
from app.tenancy.models import Membership
from app.tenancy.scoping import tenant_scope
from tests.support.auth import PASSWORD, log_in
from tests.support.smtp import text_of

NEW_PASSWORD = "lang blæksprutte cykler hjem"
LINK = re.compile(r"http\S+/password/new/\S+")


def _assign_generated(municipality, users, rng_step=3):
    """Give every generated family one to two of *users* (the demo assigns nobody)."""
    with tenant_scope(municipality):
        family_ids = db.session.scalars(select(Family.id).order_by(Family.id)).all()
        for index, family_id in enumerate(family_ids):
            chosen = {users[index % len(users)]}
            if index % rng_step == 0:
                chosen.add(users[(index + 1) % len(users)])
            for user in chosen:
                db.session.add(
                    Assignment(
                        municipality_id=municipality.id,
                        family_id=family_id,
                        user_id=user.id,
                        kind="team_member",
                    )
                )
        db.session.commit()


def _expected_counts(municipalities, today):
    """Computed here from the rows: per user, per municipality, (due, overdue) forms."""
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for municipality in municipalities:
        with tenant_scope(municipality):
            for assignment in db.session.scalars(select(Assignment).where(Assignment.active)):
                family = db.session.get(Family, assignment.family_id)
                if family.status != "active":
                    continue
                for wave in family.waves:
                    status = wave.status(today)
                    if status not in ("due", "overdue"):
                        continue
                    submitted = submitted_in(wave)
                    missing = sum(
                        (e.version.form_id, e.member.id if e.member else None) not in submitted
                        for e in expected_in_wave(municipality, wave, submitted)
                    )
                    email = db.session.get(User, assignment.user_id).email
                    counts[email][municipality.name("da")][status == "overdue"] += missing
    return {
        email: {name: tuple(pair) for name, pair in per.items() if any(pair)}
        for email, per in counts.items()
        if any(any(pair) for pair in per.values())
    }


def _counts_in(message) -> dict[str, tuple[int, int]]:
    body = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    found = re.findall(r"\n([^\n]+)\nForfaldne nu: (\d+)\nOverskredne: (\d+)\n", body)
    return {name: (int(due), int(overdue)) for name, due, overdue in found}


@pytest.fixture
def digest_world(municipalities, forms_published, make_user):
    rodovre, vejle = municipalities["rodovre"], municipalities["vejle"]
    start = date(2026, 6, 1)
    generate(rodovre, 40, seed=5, today=start)
    generate(vejle, 40, seed=6, today=start)
    db.session.commit()
    both = make_user(rodovre, "staff")
    from app.auth.services import grant_membership

    grant_membership(both, vejle, "staff")
    db.session.commit()
    staff = [both, make_user(rodovre, "staff"), make_user(rodovre, "lead")]
    vejle_staff = [both, make_user(vejle, "staff")]
    _assign_generated(rodovre, staff)
    _assign_generated(vejle, vejle_staff)
    return [rodovre, vejle], {u.email for u in staff + vejle_staff}


def test_the_digest_counts_what_the_rows_say_and_holds_no_personal_data(
    digest_world, smtp, app_ctx
):
    municipalities, _emails = digest_world
    for today in (date(2026, 12, 15), date(2027, 3, 1)):
        smtp.messages.clear()
        want = _expected_counts(municipalities, today)
        assert want, "the generated world has nothing due or overdue"
        sent = send_digest(today)
        messages = smtp.wait_for(sent)
        assert sent == len(messages) == len(want)
        got = {str(m["To"]): _counts_in(m) for m in messages}
        assert got == want
        for message in messages:
            assert "/work/mine" in text_of(message)
    # Moving the day moves the counts.
    assert _expected_counts(municipalities, date(2026, 12, 15)) != _expected_counts(
        municipalities, date(2027, 3, 1)
    )
    personal: list[str] = []
    for municipality in municipalities:
        with tenant_scope(municipality):
            personal += db.session.scalars(select(Family.label)).all()
            for member in db.session.scalars(select(Member)):
                personal += [member.name, *(member.name.split())]
    personal = [p for p in personal if len(p) >= 3]
    assert personal
    for message in smtp.messages:
        text = text_of(message)
        leaked = [p for p in personal if p in text]
        assert not leaked, leaked[:5]


def test_opted_out_users_and_users_with_nothing_waiting_get_no_digest(
    digest_world, smtp, app_ctx, client, make_user
):
    municipalities, _emails = digest_world
    idle = make_user(municipalities[0], "staff")  # a membership, no families
    today = date(2026, 12, 15)
    want = _expected_counts(municipalities, today)
    out = sorted(want)[0]
    assert log_in(client, out, PASSWORD).status_code == 302
    assert client.post("/account/reminders", data={}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(User).filter_by(email=out)).digest_opt_out
    sent = send_digest(today)
    received = {str(m["To"]) for m in smtp.wait_for(sent)}
    assert received == set(want) - {out}
    assert idle.email not in received and idle.email not in want
    # And back on.
    assert client.post("/account/reminders", data={"daily_digest": "y"}).status_code == 302
    db.session.expire_all()
    assert not db.session.scalar(select(User).filter_by(email=out)).digest_opt_out


def test_the_command_sends_the_day_once(digest_world, smtp, app_ctx):
    municipalities, _emails = digest_world
    want = _expected_counts(municipalities, date(2026, 12, 15))
    runner = app_ctx.test_cli_runner()

    def command(*args: str):
        # In an application context of its own, as the command runs: bound by the
        # database's row-level security like the application, not the test's.
        with app_ctx.app_context():
            return runner.invoke(args=["notifications", "send", *args])

    first = command("--today", "2026-12-15")
    assert first.exit_code == 0, first.output
    sent = int(first.output.split()[0])
    assert sent == len(want) and "@" not in first.output
    messages = smtp.wait_for(sent)
    assert {str(m["To"]): _counts_in(m) for m in messages} == want
    again = command("--today", "2026-12-15")
    assert "sent already" in again.output and len(smtp.messages) == sent
    forced = command("--today", "2026-12-15", "--again")
    assert forced.exit_code == 0 and len(smtp.wait_for(2 * sent)) == 2 * sent


def _link(message) -> str:
    found = LINK.search(text_of(message))
    assert found, text_of(message)
    return found.group(0).split("/password/", 1)[1]


def test_a_new_person_chooses_a_password_through_the_mailed_link_once(
    municipalities, make_user, auth, client, smtp, app_ctx
):
    brondby = municipalities["brondby"]
    admin = make_user(brondby, "admin")
    auth.login(admin.email)
    page = client.post(
        "/brondby/admin/people/new",
        data={"email": "ny.kollega@example.test", "name": "Ny Kollega", "role": "staff"},
        follow_redirects=True,
    )
    assert page.status_code == 200
    assert "e-mail med et link" in page.get_data(as_text=True)
    (message,) = smtp.wait_for(1)
    assert str(message["To"]) == "ny.kollega@example.test"
    assert "Ny Kollega" not in text_of(message)
    path = "/password/" + _link(message)
    auth.logout()
    form = client.get(path)
    assert form.status_code == 200 and "Vælg din adgangskode" in form.get_data(as_text=True)
    done = client.post(path, data={"new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert done.status_code == 302 and done.location.endswith("/login")
    assert log_in(client, "ny.kollega@example.test", NEW_PASSWORD).status_code == 302
    auth.logout()
    second = client.post(path, data={"new": NEW_PASSWORD + "x", "repeat": NEW_PASSWORD + "x"})
    assert second.status_code == 410
    assert "allerede brugt" in second.get_data(as_text=True)


def test_an_expired_link_says_so(municipalities, make_user, client, smtp, app_ctx):
    user = make_user(municipalities["vejle"], "staff")
    client.post("/password/forgot", data={"email": user.email})
    (message,) = smtp.wait_for(1)
    link = db.session.scalar(select(OneTimeLink).where(OneTimeLink.user_id == user.id))
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = client.get("/password/" + _link(message))
    assert page.status_code == 410
    text = page.get_data(as_text=True)
    assert "udløbet" in text and "nyt link" in text


def test_a_reset_answers_the_same_for_known_and_unknown_addresses(
    municipalities, make_user, client, smtp, app_ctx
):
    user = make_user(municipalities["vejle"], "admin")
    elsewhere = app_ctx.test_client()
    assert log_in(elsewhere, user.email, PASSWORD).status_code == 302
    assert elsewhere.get("/account").status_code == 200
    known = client.post("/password/forgot", data={"email": user.email})
    unknown = client.post("/password/forgot", data={"email": "ingen.her@example.test"})
    assert known.status_code == unknown.status_code == 200

    def page(response, email):
        # The CSRF token is signed with the second it was made in: two requests can
        # straddle a second, which says nothing about the address.
        text = response.get_data(as_text=True).replace(email, "ADDRESS")
        return re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]+"', "CSRF", text)

    assert page(known, user.email) == page(unknown, "ingen.her@example.test")
    messages = smtp.wait_for(1)
    assert [str(m["To"]) for m in messages] == [user.email]
    path = "/password/" + _link(messages[0])
    assert client.post(path, data={"new": "kort", "repeat": "kort"}).status_code == 400
    assert client.post(path, data={"new": NEW_PASSWORD, "repeat": NEW_PASSWORD}).status_code == 302
    # The session signed in with the old password has ended.
    assert elsewhere.get("/account").status_code == 302
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("auth.reset_requested") == 2
    assert {"link.reset_issued", "link.reset_used", "auth.sessions_ended"} <= set(actions)
    # Two-factor sign-in still applies: the password alone leads to the code step.
    step = client.post("/login", data={"email": user.email, "password": NEW_PASSWORD})
    assert step.status_code == 302 and step.location.endswith("/login/code")
    assert log_in(client, user.email, NEW_PASSWORD).status_code == 302
    assert smtp.wait_for(2, seconds=0.5) == messages  # nothing was sent to the unknown one


def test_the_digest_counts_what_each_persons_work_list_shows(digest_world, smtp, app_ctx):
    """The mail's figures are the person's own work list ("mine") filtered to due and to
    overdue, counted form by form as the list shows what each wave still misses."""
    municipalities, _emails = digest_world
    today = date(2026, 12, 15)
    sent = send_digest(today)
    mailed = {str(m["To"]): _counts_in(m) for m in smtp.wait_for(sent)}
    assert mailed
    listed: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for municipality in municipalities:
        with tenant_scope(municipality):
            memberships = db.session.scalars(select(Membership)).all()
        for membership in memberships:
            with app_ctx.test_request_context(), tenant_scope(municipality, membership.user_id):
                g.municipality = municipality
                g.membership = db.session.get(Membership, membership.id)
                figures = []
                for status in ("due", "overdue"):
                    rows = db.session.execute(
                        worklists.statement("mine", worklists.Query(status=status), today)
                    ).all()
                    missing = missing_forms(municipality, [(w, f) for w, f in rows])
                    figures.append(sum(len(forms) for forms in missing.values()))
                if any(figures):
                    email = db.session.get(User, membership.user_id).email
                    listed[email][municipality.name("da")] = (figures[0], figures[1])
    assert mailed == dict(listed)
