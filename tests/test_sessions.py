"""Sessions that end when they should, and the password and code checks around them.

A copied session cookie must stop working the moment its user signs out, changes or is
given a new password, loses their second factor, is deactivated or loses their last
municipality. The checks that guard an account (the current password on the account page,
the code step, turning the second factor off) are throttled and audited server-side,
whatever the request replays or however its body is encoded.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterator

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.audit.models import AuditEvent
from app.auth.models import Membership, User
from app.core.db import db
from app.tenancy.models import Municipality
from app.tenancy.scoping import unscoped
from tests.support.apps import build_app
from tests.support.auth import PASSWORD, TOTP_SECRET, fresh_code, log_in

NEW_PASSWORD = "tre gode ord her"
#: About 80 ms a check here, like production's scrypt, but cheaper to set up.
HEAVY_HASH = "pbkdf2:sha256:200000"


def audit_actions(action: str) -> list[tuple[str | None, dict]]:
    """(object id, details) of the audit events named *action*, oldest first."""
    with unscoped("test"):
        events = [
            (e.object_id, e.details)
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        ]
    # Drop the crossing's own audit event: a pending write would hold SQLite's lock.
    db.session.rollback()
    return events


def replay(app: Flask, cookie: str) -> FlaskClient:
    """A new browser that holds nothing but the copied session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def signed_out(client: FlaskClient) -> bool:
    """The client is an anonymous visitor: every signed-in page sends it to sign in."""
    pages = [client.get(url) for url in ("/account", "/brondby/")]
    return all(p.status_code == 302 and "/login" in p.location for p in pages)


# -- sign-in takes as long whether or not the account exists -------------------------------


#: Interleaved rounds of the timing test (each one attempt per kind of e-mail).
ROUNDS = 30


@pytest.mark.slow
def test_sign_in_takes_as_long_for_an_unknown_email_as_for_an_existing_one(tmp_path):
    """Medians of interleaved attempts, with a hash as costly as production's so that the
    hash, not the noise of the test client, is what is measured."""
    from app.auth.services import create_user

    app = build_app(f"sqlite:///{tmp_path / 'timing.sqlite3'}", PASSWORD_HASH_METHOD=HEAVY_HASH)
    with app.app_context():
        create_user("kim@example.test", "Kim", PASSWORD)
        create_user("gone@example.test", "Gone", PASSWORD).active = False
        db.session.commit()
    client = app.test_client()
    emails = {"existing": "kim@example.test", "unknown": "nobody@example.test"}
    emails["inactive"] = "gone@example.test"
    timings: dict[str, list[float]] = {kind: [] for kind in emails}
    # Enough rounds that a pause of the machine's (another process, a collection of the
    # interpreter's garbage) lands in a few samples of every kind, not in a median.
    gc.collect()
    gc.disable()
    try:
        for attempt in range(ROUNDS + 2):
            for kind, email in emails.items():
                started = time.perf_counter()
                response = client.post("/login", data={"email": email, "password": "wrong"})
                elapsed = time.perf_counter() - started
                assert response.status_code == 401
                if attempt >= 2:  # the first attempts warm caches up
                    timings[kind].append(elapsed)
    finally:
        gc.enable()
    with app.app_context():
        db.engine.dispose()
    medians = {kind: statistics.median(values) for kind, values in timings.items()}
    reference = medians["existing"]
    for median in medians.values():
        assert abs(median - reference) <= 0.2 * reference, medians


# -- every way a session must end ----------------------------------------------------------


def _log_out(client: FlaskClient, user: User, admin: FlaskClient) -> None:
    assert client.post("/logout").status_code == 302


def _change_own_password(client: FlaskClient, user: User, admin: FlaskClient) -> None:
    changed = client.post(
        "/account", data={"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}
    )
    assert changed.status_code == 302
    # The session that made the change goes on, under the new generation.
    assert client.get("/account").status_code == 200


def _cli(*args: str) -> Callable[[FlaskClient, User, FlaskClient], None]:
    def run(client: FlaskClient, user: User, admin: FlaskClient) -> None:
        result = client.application.test_cli_runner().invoke(
            args=[*args, "--email", user.email], input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
        )
        assert result.exit_code == 0, result.output

    return run


def _remove_from_last_municipality(client: FlaskClient, user: User, admin: FlaskClient) -> None:
    with unscoped("test"):
        membership_id = db.session.scalar(
            select(Membership.id)
            .join(Membership.municipality)
            .where(Membership.user_id == user.id, Municipality.slug == "brondby")
        )
    removed = admin.post(f"/brondby/admin/people/{membership_id}/remove")
    assert removed.status_code == 302 and removed.location.endswith("/brondby/people")


ENDING_ACTIONS = {
    "logout": (_log_out, "logout"),
    "own password change": (_change_own_password, "password_changed"),
    "users set-password": (_cli("users", "set-password"), "password_set"),
    "users reset-two-factor": (_cli("users", "reset-two-factor"), "two_factor_reset"),
    "users deactivate": (_cli("users", "deactivate"), "deactivated"),
    "removal from the last municipality": (_remove_from_last_municipality, "no_municipality"),
}


@pytest.mark.parametrize("action", ENDING_ACTIONS)
def test_a_replayed_cookie_after_a_session_ending_action_is_anonymous(
    app_ctx, client, municipalities, make_user, action
):
    act, reason = ENDING_ACTIONS[action]
    user = make_user(municipalities["brondby"], "staff", two_factor=True)
    admin = make_user(municipalities["brondby"], "admin")
    admin_client = app_ctx.test_client()
    log_in(admin_client, admin.email)
    assert log_in(client, user.email).status_code == 302
    assert client.get("/account").status_code == 200
    cookie = client.get_cookie("session").value
    assert not signed_out(replay(app_ctx, cookie)), "the copy works before the action"

    act(client, user, admin_client)

    copy = replay(app_ctx, cookie)
    assert signed_out(copy), f"a cookie copied before {action} still works"
    login_page = copy.get("/account", follow_redirects=True)
    assert 'name="password"' in login_page.get_data(as_text=True), "the sign-in page"
    ended = audit_actions("auth.sessions_ended")
    assert [(user_id, d["reason"]) for user_id, d in ended] == [(str(user.id), reason)]
    assert admin_client.get("/brondby/").status_code == 200, "other people stay signed in"


def test_removal_from_one_of_two_municipalities_keeps_the_session(
    app_ctx, client, municipalities, make_user
):
    from app.auth.services import grant_membership

    user = make_user(municipalities["brondby"], "staff")
    grant_membership(user, municipalities["assens"], "staff")
    db.session.commit()
    admin = make_user(municipalities["brondby"], "admin")
    admin_client = app_ctx.test_client()
    log_in(admin_client, admin.email)
    log_in(client, user.email)
    _remove_from_last_municipality(client, user, admin_client)
    assert client.get("/assens/").status_code == 200
    assert audit_actions("auth.sessions_ended") == []


# -- the wrong-code count of the second step is the server's -------------------------------


def test_replaying_the_pending_cookie_does_not_reset_the_wrong_code_count(
    app_ctx, client, municipalities, make_user
):
    admin = make_user(municipalities["brondby"], "admin")
    step1 = client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert step1.location.endswith("/login/code")
    pending = client.get_cookie("session").value
    for _ in range(4):
        assert client.post("/login/code", data={"code": "123456"}).status_code == 401

    copy = replay(app_ctx, pending)
    fifth = copy.post("/login/code", data={"code": "123456"})
    assert fifth.status_code == 302 and fifth.location.endswith("/login"), "the fifth ends it"
    for again in (replay(app_ctx, pending), client):
        late = again.post("/login/code", data={"code": fresh_code(client, admin.email)})
        assert late.status_code == 302 and late.location.endswith("/login")
        assert again.get("/brondby/").status_code == 302

    # A new password step starts a new count, and the right code then signs in.
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert client.post("/login/code", data={"code": "123456"}).status_code == 401
    signed_in = client.post("/login/code", data={"code": fresh_code(client, admin.email)})
    assert signed_in.status_code == 302 and not signed_in.location.endswith("/login")
    db.session.expire_all()
    assert db.session.get(User, admin.id).totp_failures == 0


def test_the_code_step_of_a_pending_sign_in_ends_with_the_sessions(
    app_ctx, client, municipalities, make_user
):
    """A password step taken before the password was changed leads nowhere."""
    admin = make_user(municipalities["brondby"], "admin")
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    result = app_ctx.test_cli_runner().invoke(
        args=["users", "set-password", "--email", admin.email],
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    late = client.post("/login/code", data={"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert late.status_code == 302 and late.location.endswith("/login")


# -- one allowance per account, whatever the body's encoding -------------------------------


@pytest.fixture
def limited() -> Iterator[Flask]:
    """An app with the limiter on: five failures per account and minute, as in production."""
    import tempfile
    from pathlib import Path

    from app.auth.services import create_user

    with tempfile.TemporaryDirectory() as directory:
        app = build_app(
            f"sqlite:///{Path(directory) / 'limited.sqlite3'}",
            RATELIMIT_ENABLED=True,
            LOGIN_LIMIT_PER_ACCOUNT="5 per minute",
            LOGIN_LIMIT_PER_ADDRESS="100 per minute",
        )
        with app.app_context():
            create_user("kim@example.test", "Kim", PASSWORD)
            create_user("someone@example.test", "Someone", PASSWORD)
            db.session.commit()
        yield app
        with app.app_context():
            db.engine.dispose()


def _events(app: Flask, action: str) -> list[tuple[str | None, dict]]:
    with app.app_context():
        return audit_actions(action)


def test_a_json_sign_in_counts_against_the_same_account(limited):
    client = limited.test_client()
    for attempt in range(5):
        wrong = {"email": " KIM@example.test", "password": "wrong"}
        if attempt % 2:
            response = client.post("/login", data=wrong)
        else:
            response = client.post("/login", json=wrong)
        assert response.status_code == 401
    right = {"email": "kim@example.test", "password": PASSWORD}
    assert client.post("/login", json=right).status_code == 429
    assert client.post("/login", data=right).status_code == 429
    # Another account is its own count, also in JSON.
    other = client.post("/login", json={"email": "someone@example.test", "password": "x"})
    assert other.status_code == 401
    # A body the form could not read the same way is refused, not guessed at.
    for body in (["kim@example.test"], "kim", {"email": ["someone@example.test"]}, {"email": 5}):
        assert client.post("/login", json=body).status_code == 400, body


# -- the password asked again of a signed-in user ------------------------------------------


def test_wrong_current_passwords_on_the_account_page_are_throttled_and_audited(limited):
    client = limited.test_client()
    assert log_in(client, "kim@example.test").status_code == 302
    for _ in range(5):
        wrong = client.post(
            "/account", data={"current": "guess", "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}
        )
        assert wrong.status_code == 400
    right = client.post(
        "/account", data={"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}
    )
    assert right.status_code == 429, "even the right password waits"
    failures = _events(limited, "auth.password_check_failed")
    assert len(failures) == 5
    assert {details["where"] for _, details in failures} == {"password_change"}
    # It is the sign-in's own allowance: the guesses cannot continue at the sign-in page.
    elsewhere = limited.test_client().post(
        "/login",
        data={"email": "kim@example.test", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert elsewhere.status_code == 429
    with limited.app_context():
        user = db.session.scalar(select(User).where(User.email == "kim@example.test"))
        assert check_password_hash(user.password_hash, PASSWORD), "the password stays"


def test_a_new_password_that_breaks_the_rule_does_not_count_as_a_guess(limited):
    client = limited.test_client()
    log_in(client, "kim@example.test")
    for _ in range(6):
        common = client.post(
            "/account",
            data={"current": PASSWORD, "new": "password12345", "repeat": "password12345"},
        )
        assert common.status_code == 400
    assert _events(limited, "auth.password_check_failed") == []


def test_turning_two_factor_off_needs_the_password_and_a_current_code(
    client, municipalities, make_user
):
    user = make_user(municipalities["brondby"], "staff", two_factor=True)
    log_in(client, user.email)
    page = client.get("/account").get_data(as_text=True)
    for name in ("password", "code"):
        assert f'<label for="{name}">' in page and f'id="{name}"' in page

    attempts = [
        ({}, "password"),
        ({"password": PASSWORD}, "code"),
        ({"password": "guess", "code": fresh_code(client, user.email)}, "password"),
        ({"password": PASSWORD, "code": "000000"}, "code"),
    ]
    for data, wrong_field in attempts:
        refused = client.post("/account/two-factor/off", data=data)
        assert refused.status_code == 400, data
        html = refused.get_data(as_text=True)
        assert f'id="{wrong_field}-error"' in html, data
        assert f'aria-describedby="{wrong_field}-error"' in html, data
        db.session.expire_all()
        assert db.session.get(User, user.id).totp_secret == TOTP_SECRET, data
    assert [d["where"] for _, d in audit_actions("auth.password_check_failed")] == [
        "two_factor_off"
    ]

    done = client.post(
        "/account/two-factor/off",
        data={"password": PASSWORD, "code": fresh_code(client, user.email)},
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret is None
