"""An admin gives a person access: a new account, or an invitation the person accepts.

Nothing about an existing account (its real name, its municipalities, its platform role)
reaches the admin who types its e-mail address; the account joins only when its owner
accepts, on their own start page.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.auth.models import Membership
from app.core.db import db, utcnow
from app.tenancy.scoping import unscoped

TYPED_NAME = "Navn Som Admin Skrev"


def audit(action: str) -> list[AuditEvent]:
    db.session.rollback()
    with unscoped("test"):
        return list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def memberships_of(user) -> list[tuple[str, str]]:
    db.session.rollback()
    with unscoped("test"):
        rows = db.session.scalars(select(Membership).where(Membership.user_id == user.id))
        return sorted((m.municipality.slug, m.role) for m in rows)


def invite(client, email: str, role: str = "staff", slug: str = "brondby"):
    """The admin's form sent, and the page it leads to."""
    response = client.post(
        f"/{slug}/admin/people/new", data={"email": email, "name": TYPED_NAME, "role": role}
    )
    return client.get(response.location) if response.status_code == 302 else response


def invitation_ids(user) -> list[int]:
    from app.admin.models import Invitation

    db.session.rollback()
    with unscoped("test"):
        return list(
            db.session.scalars(
                select(Invitation.id).where(Invitation.user_id == user.id).order_by(Invitation.id)
            )
        )


def page(client, url: str) -> str:
    """The page at *url*, after the redirects a browser would follow."""
    response = client.get(url)
    while response.status_code == 302:
        response = client.get(response.location)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def answer(client, invitation_id: int, choice: str):
    return client.post(f"/account/invitations/{invitation_id}", data={"answer": choice})


@pytest.fixture
def accounts(municipalities, make_user):
    """Brøndby's admin, and existing accounts of every kind that are not Brøndby's."""
    brondby, vejle = municipalities["brondby"], municipalities["vejle"]
    admin = make_user(brondby, "admin", email="admin@brondby.test")
    others = {
        "another municipality's staff": make_user(vejle, "staff", email="staff@vejle.test"),
        "another municipality's admin": make_user(vejle, "admin", email="admin@vejle.test"),
        "operator": make_user(platform_role="operator", email="operator@platform.test"),
        "researcher": make_user(platform_role="researcher", email="researcher@platform.test"),
        "account without a municipality": make_user(email="nobody@example.test"),
    }
    return admin, others


def test_an_admin_cannot_attach_an_existing_account_or_see_its_name(client, auth, accounts):
    admin, others = accounts
    auth.login(admin.email)
    messages = {}
    for kind, user in others.items():
        response = invite(client, user.email.upper())
        html = response.get_data(as_text=True)
        assert response.status_code == 200, kind
        assert ("brondby", "staff") not in memberships_of(user), kind
        assert user.name not in html, f"{kind}: the account's real name is shown"
        assert "engangsadgangskode" not in html.lower(), kind
        assert user.email in html, kind
        # The same words for every kind of account: only the address the admin typed differs.
        start = html.index('class="messages"')
        messages[kind] = html[start : html.index("</", start)].replace(user.email, "EMAIL")
    assert len(set(messages.values())) == 1, messages
    people = client.get("/brondby/people").get_data(as_text=True)
    for kind, user in others.items():
        assert user.email in people, f"{kind}: the waiting invitation is not listed"
        assert user.name not in people, kind
    shown = people.lower().replace("vejle.test", "").replace("platform.test", "")
    for label in ("driftsoperatør", "forsker", "vejle"):
        assert label not in shown, label
    events = audit("invitation.created")
    assert len(events) == len(others)
    for event in events:
        assert set(event.details) == {"email", "role", "expires_at"}


def test_an_unknown_address_gets_a_new_account_and_a_mailed_link_not_a_password(
    client, auth, accounts, smtp
):
    admin, _ = accounts
    auth.login(admin.email)
    html = invite(client, "ny.kollega@brondby.test").get_data(as_text=True)
    assert "e-mail med et link" in html and "engangsadgangskode" not in html.lower()
    (message,) = smtp.wait_for(1)
    assert str(message["To"]) == "ny.kollega@brondby.test"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "/password/new/" in body and TYPED_NAME not in body
    assert audit("invitation.created") == []


def test_the_invited_person_accepts_on_their_start_page_and_gets_the_role(client, auth, accounts):
    admin, others = accounts
    person = others["another municipality's staff"]
    auth.login(admin.email)
    invite(client, person.email, role="lead")
    # Asked again (a changed role): still one invitation, with the newer role.
    invite(client, person.email, role="lead")
    auth.logout()
    auth.login(person.email)
    (invitation,) = invitation_ids(person)
    # Wherever the person lands, a notice leads to the invitation.
    assert 'href="/account/invitations/"' in page(client, "/")
    html = page(client, "/account/invitations/")
    assert "Brøndby" in html and "leder" in html and f"/account/invitations/{invitation}" in html
    assert answer(client, invitation, "accept").status_code == 302
    assert memberships_of(person) == [("brondby", "lead"), ("vejle", "staff")]
    assert [e.details["invitation_id"] for e in audit("invitation.accepted")] == [invitation]
    assert audit("membership.role_set")[-1].details["new_role"] == "lead"
    assert audit("invitation.accepted")[0].municipality_id is not None
    # Used once: the same answer again finds nothing open, and the start page moves on.
    assert answer(client, invitation, "accept").status_code == 404
    assert answer(client, invitation, "decline").status_code == 404
    assert 'href="/account/invitations/"' not in page(client, "/")
    assert f"/account/invitations/{invitation}" not in page(client, "/account/invitations/")
    auth.logout()
    auth.login(admin.email)
    # A member now: the admin sees them as any colleague.
    assert person.name in page(client, "/brondby/people")


def test_a_declined_invitation_gives_no_access(client, auth, accounts):
    admin, others = accounts
    person = others["account without a municipality"]
    auth.login(admin.email)
    invite(client, person.email)
    auth.logout()
    auth.login(person.email)
    (invitation,) = invitation_ids(person)
    assert answer(client, invitation, "decline").status_code == 302
    assert memberships_of(person) == []
    assert [e.details["invitation_id"] for e in audit("invitation.declined")] == [invitation]
    assert answer(client, invitation, "accept").status_code == 404
    assert client.get("/brondby/").status_code == 404


def test_an_expired_invitation_cannot_be_accepted(client, auth, accounts):
    from app.admin.models import Invitation

    admin, others = accounts
    person = others["account without a municipality"]
    auth.login(admin.email)
    invite(client, person.email)
    db.session.rollback()
    with unscoped("test"):
        db.session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert person.email not in client.get("/brondby/people").get_data(as_text=True)
    auth.logout()
    auth.login(person.email)
    (invitation,) = invitation_ids(person)
    assert 'href="/account/invitations/"' not in page(client, "/")
    assert f"/account/invitations/{invitation}" not in page(client, "/account/invitations/")
    assert answer(client, invitation, "accept").status_code == 404
    assert memberships_of(person) == []


@pytest.mark.parametrize("kind", ["operator", "researcher"])
def test_a_platform_account_is_never_offered_a_municipal_role(client, auth, accounts, kind):
    """The admin is told what any invitation gets; the platform account never sees it, and
    it cannot be accepted: platform roles take a municipal role only from the command line."""
    admin, others = accounts
    person = others[kind]
    auth.login(admin.email)
    invite(client, person.email, role="admin")
    auth.logout()
    auth.login(person.email)
    (invitation,) = invitation_ids(person)
    assert 'href="/account/invitations/"' not in page(client, "/")
    assert f"/account/invitations/{invitation}" not in page(client, "/account/invitations/")
    assert answer(client, invitation, "accept").status_code == 404
    assert memberships_of(person) == []


def test_someone_elses_invitation_answers_404_and_changes_nothing(client, auth, accounts):
    admin, others = accounts
    invited = others["account without a municipality"]
    bystander = others["another municipality's admin"]
    auth.login(admin.email)
    invite(client, invited.email)
    (invitation,) = invitation_ids(invited)
    auth.logout()
    auth.login(bystander.email)
    for choice in ("accept", "decline"):
        assert answer(client, invitation, choice).status_code == 404
    for beyond in (0, 2**31, 10**21):
        assert client.post(f"/account/invitations/{beyond}").status_code == 404
    assert memberships_of(bystander) == [("vejle", "admin")]
    # The bystander's own municipality does not list another municipality's invitations.
    assert invited.email not in page(client, "/vejle/people")
    auth.logout()
    auth.login(invited.email)
    for odd in ("", "yes", "accept\x00", "ACCEPT"):
        assert answer(client, invitation, odd).status_code == 400
    assert client.post(f"/account/invitations/{invitation}").status_code == 400
    assert memberships_of(invited) == []
    assert answer(client, invitation, "accept").status_code == 302
    assert ("brondby", "staff") in memberships_of(invited)


def test_an_admin_withdraws_an_invitation_before_it_is_answered(client, auth, accounts):
    admin, others = accounts
    person = others["another municipality's staff"]
    auth.login(admin.email)
    invite(client, person.email, role="admin")
    (invitation,) = invitation_ids(person)
    people = page(client, "/brondby/people")
    assert f"/brondby/admin/invitations/{invitation}/withdraw" in people
    assert client.post(f"/brondby/admin/invitations/{invitation}/withdraw").status_code == 302
    assert f"/admin/invitations/{invitation}/" not in page(client, "/brondby/people")
    assert [e.details for e in audit("invitation.withdrawn")] == [
        {"email": person.email, "role": "admin"}
    ]
    assert client.post(f"/brondby/admin/invitations/{invitation}/withdraw").status_code == 404
    auth.logout()
    auth.login(person.email)
    assert answer(client, invitation, "accept").status_code == 404
    assert memberships_of(person) == [("vejle", "staff")]


def test_an_existing_account_is_told_by_mail_where_to_answer_and_a_platform_account_is_not(
    client, auth, accounts, smtp
):
    admin, others = accounts
    auth.login(admin.email)
    for user in others.values():
        invite(client, user.email)
    told = {user.email for user in others.values() if user.platform_role is None}
    messages = smtp.wait_for(len(told))
    # Nothing more arrives: the platform accounts get no mail.
    assert smtp.wait_for(len(told) + 1, seconds=1.0) == messages
    assert {str(m["To"]) for m in messages} == told
    for message in messages:
        body = message.get_body(preferencelist=("plain",)).get_content()
        assert "/account/invitations/" in body and "Brøndby" in body
        assert all(user.name not in body for user in others.values())
