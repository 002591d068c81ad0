"""Sign-in, sign-out, roles and the audit trail of logins."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.core.db import db
from app.tenancy.scoping import unscoped
from tests.support.apps import build_app
from tests.support.auth import PASSWORD, csrf_token, fresh_code


def audit_actions() -> list[AuditEvent]:
    db.session.rollback()
    with unscoped("test: read the audit trail"):
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action != "tenant.unscoped_access")
            .order_by(AuditEvent.id)
        ).all()
    return list(events)


def test_failed_and_successful_logins_are_audited(client, auth, municipalities, make_user):
    user = make_user(municipalities["brondby"], "staff", email="kim@brondby.example")
    assert auth.login("kim@brondby.example", "wrong password!").status_code == 401
    assert auth.login("nobody@brondby.example", "whatever12345").status_code == 401
    response = auth.login("KIM@Brondby.Example ")
    assert response.status_code == 302

    events = [e for e in audit_actions() if e.action.startswith("auth.")]
    assert [e.action for e in events] == ["auth.login_failed", "auth.login_failed", "auth.login"]
    assert events[0].actor_id == user.id and events[0].details["reason"] == "credentials"
    assert events[1].actor_id is None and events[1].details["email"] == "nobody@brondby.example"
    assert events[2].actor_id == user.id
    assert all("password" not in str(e.details) for e in events)


def test_a_failed_login_keeps_the_email_and_says_why(client, municipalities, make_user):
    make_user(municipalities["brondby"], "staff", email="kim@brondby.example")
    response = client.post(
        "/login", data={"email": "kim@brondby.example", "password": "wrong password!"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert 'value="kim@brondby.example"' in html
    assert "E-mailen eller adgangskoden er forkert." in html
    assert 'role="alert"' in html


def test_an_inactive_user_cannot_log_in(client, auth, municipalities, make_user):
    user = make_user(municipalities["brondby"], "staff")
    user.active = False
    db.session.commit()
    assert auth.login(user.email).status_code == 401
    assert audit_actions()[-1].details["reason"] == "inactive"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "http:/evil", "/\\evil.example", "javascript:x"],
)
def test_login_refuses_absolute_next_urls(client, municipalities, make_user, target):
    user = make_user(municipalities["brondby"], "staff")
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.location == "/"


def test_login_follows_a_local_next_url(client, municipalities, make_user):
    user = make_user(municipalities["brondby"], "admin")
    page = client.get("/brondby/people")
    assert page.status_code == 302 and "/login?next=" in page.location
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": "/brondby/people"}
    )
    # An admin's second step keeps the target and goes there afterwards.
    assert response.location == "/login/code"
    response = client.post("/login/code", data={"code": fresh_code(client, user.email)})
    assert response.location == "/brondby/people"
    assert client.get("/brondby/people").status_code == 200


def test_logout_needs_post_and_ends_the_session(client, auth, municipalities, make_user):
    user = make_user(municipalities["brondby"], "staff")
    auth.login(user.email)
    client.get("/logout", follow_redirects=True)
    assert client.get("/brondby/").status_code == 200, "a GET must not log out"
    auth.logout()
    assert client.get("/brondby/").status_code == 302
    assert "auth.logout" in [e.action for e in audit_actions()]


def test_roles_limit_pages_within_a_municipality(client, auth, municipalities, make_user):
    staff = make_user(municipalities["brondby"], "staff")
    auth.login(staff.email)
    assert client.get("/brondby/").status_code == 200
    assert client.get("/brondby/people").status_code == 403


def test_only_operators_reach_the_operator_pages(client, auth, municipalities, make_user):
    admin = make_user(municipalities["brondby"], "admin")
    operator = make_user(platform_role="operator")
    auth.login(admin.email)
    assert client.get("/operator/").status_code == 403
    auth.logout()
    auth.login(operator.email)
    page = client.get("/operator/")
    assert page.status_code == 200
    assert "0849" in page.get_data(as_text=True)
    # An operator is no member of any municipality: its data stays out of reach.
    assert client.get("/brondby/").status_code == 404


def test_passwords_are_stored_with_a_strong_kdf(tmp_path: Path) -> None:
    app = build_app(f"sqlite:///{tmp_path / 'kdf.sqlite3'}", PASSWORD_HASH_METHOD="scrypt")
    with app.app_context():
        from app.auth.services import create_user

        user = create_user("a@example.test", "A", "a long enough password")
        assert user.password_hash.startswith("scrypt:")
        assert "a long enough password" not in user.password_hash


def test_csrf_is_required_on_every_form(tmp_path: Path) -> None:
    app = build_app(f"sqlite:///{tmp_path / 'csrf.sqlite3'}", WTF_CSRF_ENABLED=True)
    with app.app_context():
        from app.auth.services import create_user

        create_user("a@example.test", "A", PASSWORD)
        db.session.commit()
    client = app.test_client()
    without = client.post("/login", data={"email": "a@example.test", "password": PASSWORD})
    assert without.status_code == 400
    token = csrf_token(client.get("/login").get_data(as_text=True))
    with_token = client.post(
        "/login", data={"email": "a@example.test", "password": PASSWORD, "csrf_token": token}
    )
    assert with_token.status_code == 302
    assert client.post("/language", data={"language": "en"}).status_code == 400
    assert client.post("/logout").status_code == 400


def test_users_cli_creates_users_and_sets_passwords(app_ctx: Flask, municipalities) -> None:
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Mia@Vejle.example",
            "--name",
            "Mia",
            "--password",
            PASSWORD,
            "--municipality",
            "vejle",
            "--role",
            "lead",
        ]
    )
    assert result.exit_code == 0, result.output
    short = runner.invoke(
        args=["users", "set-password", "--email", "mia@vejle.example", "--password", "short"]
    )
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    result = runner.invoke(
        args=[
            "users",
            "set-password",
            "--email",
            "mia@vejle.example",
            "--password",
            "another good password",
        ]
    )
    assert result.exit_code == 0, result.output
    duplicate = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "mia@vejle.example",
            "--name",
            "Mia",
            "--password",
            PASSWORD,
        ]
    )
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output

    client = app_ctx.test_client()
    assert (
        client.post("/login", data={"email": "mia@vejle.example", "password": PASSWORD}).status_code
        == 401
    )
    assert (
        client.post(
            "/login", data={"email": "mia@vejle.example", "password": "another good password"}
        ).status_code
        == 302
    )
    db.session.rollback()
    user = db.session.scalar(select(User).filter_by(email="mia@vejle.example"))
    assert user is not None and user.name == "Mia"
