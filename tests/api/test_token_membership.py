"""A token ends with the membership it was issued under: removing the person ends it for
good, and re-adding them later gives them a new membership, not their old tokens back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.admin.models import Invitation
from app.api.models import ApiToken
from app.api.tokens import create_token
from app.audit.models import AuditEvent
from app.auth.models import Membership
from app.core.db import db
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.apps import scratch_database_url

SETTINGS = "/api/v1/vejle/settings"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issue(user, municipality) -> str:
    with tenant_scope(municipality, user.id):
        _, plain = create_token(user, municipality, "Fagsystem")
        db.session.commit()
    return plain


def membership_id(user, municipality) -> int:
    with tenant_scope(municipality):
        found = db.session.scalar(select(Membership.id).where(Membership.user_id == user.id))
    db.session.rollback()
    return found


def re_add_through_the_admin_flow(client, auth, admin, person) -> None:
    """The admin gives the person access again; the person accepts the invitation."""
    auth.login(admin.email)
    response = client.post(
        "/vejle/admin/people/new",
        data={"email": person.email, "name": person.name, "role": "staff"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    auth.logout()
    auth.login(person.email)
    with unscoped("test"):
        invitation = db.session.scalar(select(Invitation.id).where(Invitation.user_id == person.id))
    db.session.rollback()
    accepted = client.post(f"/account/invitations/{invitation}", data={"answer": "accept"})
    assert accepted.status_code == 302
    auth.logout()


def test_a_removed_persons_token_stays_dead_when_they_are_re_added(
    client, auth, municipalities, make_user
):
    vejle = municipalities["vejle"]
    admin = make_user(vejle, "admin")
    person = make_user(vejle, "staff")
    old = issue(person, vejle)
    assert client.get(SETTINGS, headers=bearer(old)).status_code == 200

    auth.login(admin.email)
    removed = client.post(f"/vejle/admin/people/{membership_id(person, vejle)}/remove")
    assert removed.status_code == 302
    auth.logout()
    assert client.get(SETTINGS, headers=bearer(old)).status_code == 401

    re_add_through_the_admin_flow(client, auth, admin, person)
    assert membership_id(person, vejle) is not None
    assert client.get(SETTINGS, headers=bearer(old)).status_code == 401
    # A token made under the new membership works.
    new = issue(person, vejle)
    assert client.get(SETTINGS, headers=bearer(new)).status_code == 200
    assert client.get(SETTINGS, headers=bearer(old)).status_code == 401


def test_removing_a_person_revokes_their_tokens_in_that_municipality_only(
    client, auth, municipalities, make_user
):
    vejle, brondby = municipalities["vejle"], municipalities["brondby"]
    admin = make_user(vejle, "admin")
    person = make_user(vejle, "staff")
    issue(person, vejle)
    with tenant_scope(brondby, person.id):
        from app.auth.services import grant_membership

        grant_membership(person, brondby, "staff")
        db.session.commit()
    elsewhere = issue(person, brondby)
    auth.login(admin.email)
    client.post(f"/vejle/admin/people/{membership_id(person, vejle)}/remove")
    with unscoped("test"):
        tokens = {
            t.municipality_id: t
            for t in db.session.scalars(select(ApiToken).where(ApiToken.user_id == person.id))
        }
        revoked = db.session.scalars(
            select(AuditEvent.object_id).where(AuditEvent.action == "token.revoked")
        ).all()
    assert tokens[vejle.id].revoked_at is not None and tokens[vejle.id].membership_id is None
    assert tokens[brondby.id].revoked_at is None
    assert revoked == [str(tokens[vejle.id].id)]
    response = client.get("/api/v1/brondby/settings", headers=bearer(elsewhere))
    assert response.status_code == 200


def test_a_token_is_tied_to_the_membership_it_was_issued_under(app_ctx, municipalities, make_user):
    vejle = municipalities["vejle"]
    person = make_user(vejle, "staff")
    issue(person, vejle)
    with unscoped("test"):
        token = db.session.scalar(select(ApiToken))
    assert token.membership_id == membership_id(person, vejle)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_at_0011(request, tmp_path):
    """A database migrated up to the revision before tokens knew their membership."""
    yield from scratch_database_url(request, tmp_path, "tokens")


def test_the_migration_ties_each_token_to_the_membership_it_was_issued_under(
    database_at_0011,
):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from tests.support.apps import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_at_0011})
    with app.app_context():
        upgrade(revision="0011_session_generation")
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SELECT set_config('helhed.cross_tenant', 'on', true)")
            for statement in (
                "INSERT INTO municipality (id, code, slug, name_da, name_en, programme_name, "
                "team_model, settings, created_at, updated_at) VALUES (1, '0630', 'vejle', "
                "'Vejle', 'Vejle', 'P', 'coordinator', '{}', :t1, :t1)",
                "INSERT INTO user_account (id, email, name, password_hash, active, created_at) "
                "VALUES (1, 'a@vejle.test', 'A', 'x', true, :t1)",
                # Given a role again on day 3, after an earlier membership was removed.
                "INSERT INTO membership (id, user_id, municipality_id, role, joint_team, "
                "created_at) VALUES (7, 1, 1, 'staff', false, :t3)",
                "INSERT INTO api_token (id, user_id, municipality_id, name, token_hash, prefix, "
                "created_at, expires_at) VALUES (1, 1, 1, 'old', 'h1', 'hlh_', :t2, :t9), "
                "(2, 1, 1, 'new', 'h2', 'hlh_', :t4, :t9)",
            ):
                connection.execute(
                    text(statement),
                    {f"t{day}": f"2026-01-0{day} 12:00:00" for day in (1, 2, 3, 4, 9)},
                )
        upgrade()
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SELECT set_config('helhed.cross_tenant', 'on', true)")
            tied = dict(connection.execute(text("SELECT name, membership_id FROM api_token")).all())
        db.engine.dispose()
    assert tied == {"old": None, "new": 7}
