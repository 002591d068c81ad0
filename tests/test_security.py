"""Sign-in protection and browser-facing policy: headers, cookies, session lifetime,
two-factor sign-in, the password rule and throttling (in-process; tests/test_running_app.py
repeats the essentials against gunicorn)."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.lifetime import LAST_SEEN_AT, SIGNED_IN_AT
from app.auth.models import User
from app.auth.passwords import password_problem
from app.core.db import db
from app.tenancy.scoping import unscoped
from tests.support.apps import build_app
from tests.support.auth import PASSWORD, TOTP_SECRET, fresh_code


def test_pages_carry_a_strict_policy(client):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Development and testing are served over plain HTTP: no HSTS there.
    assert "Strict-Transport-Security" not in response.headers


def test_no_page_has_inline_script_or_style(client, auth, municipalities, make_user):
    """The policy forbids them, so a page with one would break: none may exist."""
    user = make_user(municipalities["brondby"], "admin")
    auth.login(user.email)
    for url in (
        "/login",
        "/brondby/",
        "/brondby/admin/settings",
        "/account",
        "/brondby/admin/audit/",
    ):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert "<style" not in html and ' style="' not in html, url
        assert not re.search(r"\son[a-z]+=\"", html), url


def test_production_adds_hsts_and_secure_cookies(tmp_path):
    from app import create_app

    app = create_app(
        {
            "HELHED_ENV": "production",
            "SECRET_KEY": "x" * 40,
            "FIELD_ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}",
        }
    )
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sessions_end_when_idle_and_after_their_lifetime(client, auth, municipalities, make_user):
    user = make_user(municipalities["brondby"], "staff")
    for key, age in ((LAST_SEEN_AT, 31 * 60), (SIGNED_IN_AT, 13 * 3600)):
        auth.login(user.email)
        assert client.get("/brondby/").status_code == 200
        with client.session_transaction() as session:
            session[key] = int(time.time()) - age
            if key == SIGNED_IN_AT:
                session[LAST_SEEN_AT] = int(time.time())
        ended = client.get("/brondby/")
        assert ended.status_code == 302 and "/login" in ended.location
        assert client.get("/brondby/").status_code == 302, "the session stays ended"
    with unscoped("test"):
        reasons = [
            e.details["reason"]
            for e in db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "auth.session_expired")
                .order_by(AuditEvent.id)
            )
        ]
    assert reasons == ["idle", "lifetime"]


def test_admins_need_a_code_and_a_code_works_once(client, municipalities, make_user):
    admin = make_user(municipalities["brondby"], "admin")
    step1 = client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert step1.status_code == 302 and step1.location.endswith("/login/code")
    # Half signed-in is not signed in.
    assert client.get("/brondby/").status_code == 302

    wrong = client.post("/login/code", data={"code": "000000"})
    assert wrong.status_code == 401
    # Digits of another kind are a wrong code, not an error.
    assert client.post("/login/code", data={"code": "²²²²²²"}).status_code == 401
    assert "Koden er forkert" in wrong.get_data(as_text=True)

    code = fresh_code(client, admin.email)
    assert client.post("/login/code", data={"code": code}).status_code == 302
    assert client.get("/brondby/").status_code == 200
    client.post("/logout")

    # The same code again (a replay) is refused even though it is still current.
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert client.post("/login/code", data={"code": code}).status_code == 401


def test_five_wrong_codes_end_the_attempt(client, municipalities, make_user):
    admin = make_user(municipalities["brondby"], "admin")
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    for _ in range(4):
        assert client.post("/login/code", data={"code": "123456"}).status_code == 401
    last = client.post("/login/code", data={"code": "123456"})
    assert last.status_code == 302 and last.location.endswith("/login")
    # The right code no longer helps: the password step must come first again.
    after = client.post("/login/code", data={"code": fresh_code(client, admin.email)})
    assert after.status_code == 302 and after.location.endswith("/login")
    assert client.get("/brondby/").status_code == 302


@pytest.mark.parametrize("role", ["admin", "operator", "researcher"])
def test_roles_that_require_two_factor_must_set_it_up_first(
    client, municipalities, make_user, role
):
    if role == "admin":
        user = make_user(municipalities["brondby"], "admin", two_factor=False)
    else:
        user = make_user(platform_role=role, two_factor=False)
    step1 = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert step1.location.endswith("/login/setup")
    page = client.get("/login/setup").get_data(as_text=True)
    assert "<svg" in page, "a QR code to scan"
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    assert client.get("/account").status_code == 302, "nothing else before the set-up"
    # The secret rides in the signed session cookie only sealed: reading the cookie
    # (signed, not encrypted) gives no secret.
    app = client.application
    cookie = client.get_cookie("session").value
    opened = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert secret not in repr(opened) and opened.get("_new_totp_secret", "").startswith("v1:")
    bad = client.post("/login/setup", data={"code": "000000"})
    assert bad.status_code == 400
    done = client.post("/login/setup", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302
    assert client.get("/account").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret == secret


def test_staff_may_turn_two_factor_on_and_off(client, auth, municipalities, make_user):
    user = make_user(municipalities["brondby"], "staff")
    assert auth.login(user.email).location.endswith("/")
    page = client.get("/login/setup").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    assert client.post("/login/setup", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    client.post("/logout")
    step1 = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert step1.location.endswith("/login/code")
    client.post("/logout")

    auth.login(user.email)  # the helper does not know this user's secret ...
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret == secret
    # ... so sign in properly and turn it off again, with the password and a new code.
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert client.post("/account/two-factor/off").status_code == 400, "not with the session alone"
    db.session.get(User, user.id).totp_last_step = None  # the next code within the same step
    off = {"password": PASSWORD, "code": pyotp.TOTP(secret).now()}
    assert client.post("/account/two-factor/off", data=off).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret is None


def test_an_admin_cannot_turn_two_factor_off(client, auth, municipalities, make_user):
    admin = make_user(municipalities["brondby"], "admin")
    auth.login(admin.email)
    page = client.post("/account/two-factor/off", follow_redirects=True)
    assert "kan ikke slås fra" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).totp_secret == TOTP_SECRET


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("kort", "too_short"),
        ("password1234", "common"),
        ("Sommerferie2026!", "common"),
        ("qwertyuiopå123", "common"),
        ("abcabcabcabc", "common"),
        ("kim.hansen-2026", "personal"),
        ("correct horse battery", None),
        ("Tre ord i en sætning", None),
    ],
)
def test_the_password_rule(password, problem):
    assert password_problem(password, email="kim.hansen@brondby.dk") == problem


def test_a_user_changes_their_password_under_the_rule(client, auth, municipalities, make_user):
    user = make_user(municipalities["brondby"], "staff")
    auth.login(user.email)
    common = client.post(
        "/account",
        data={"current": PASSWORD, "new": "password12345", "repeat": "password12345"},
    )
    assert common.status_code == 400
    assert "for almindelig" in common.get_data(as_text=True)
    wrong = client.post(
        "/account", data={"current": "nope", "new": "tre gode ord", "repeat": "tre gode ord"}
    )
    assert wrong.status_code == 400
    good = client.post(
        "/account",
        data={"current": PASSWORD, "new": "tre gode ord her", "repeat": "tre gode ord her"},
    )
    assert good.status_code == 302
    client.post("/logout")
    assert auth.login(user.email, "tre gode ord her").status_code == 302


def test_the_cli_refuses_a_common_password(app_ctx):
    result = app_ctx.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            "x@example.test",
            "--name",
            "X",
            "--password",
            "password123456",
        ]
    )
    assert result.exit_code == 1 and "too common" in result.output


@pytest.fixture
def throttled(tmp_path):
    app = build_app(
        f"sqlite:///{tmp_path / 'throttle.sqlite3'}",
        RATELIMIT_ENABLED=True,
        LOGIN_LIMIT_PER_ACCOUNT="3 per minute",
        LOGIN_LIMIT_PER_ADDRESS="8 per minute",
    )
    with app.app_context():
        from app.auth.services import create_user

        create_user("kim@example.test", "Kim", PASSWORD)
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_failed_sign_ins_are_throttled_per_account_and_per_address(throttled):
    client = throttled.test_client()
    for _ in range(3):
        bad = client.post("/login", data={"email": "kim@example.test", "password": "wrong"})
        assert bad.status_code == 401
    blocked = client.post("/login", data={"email": "kim@example.test", "password": PASSWORD})
    assert blocked.status_code == 429, "even the right password waits"
    assert "Retry-After" in blocked.headers
    assert "For mange" in blocked.get_data(as_text=True)

    # Another account from the same address is not locked by Kim's failures ...
    other = client.post("/login", data={"email": "someone@example.test", "password": "x"})
    assert other.status_code == 401
    # ... until the address has used its own allowance.
    statuses = [
        client.post("/login", data={"email": f"n{i}@example.test", "password": "x"}).status_code
        for i in range(6)
    ]
    assert statuses[-1] == 429
    # A different address is a different count.
    elsewhere = throttled.test_client().post(
        "/login",
        data={"email": "new@example.test", "password": "x"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert elsewhere.status_code == 401


@pytest.fixture
def reset_throttled(tmp_path):
    app = build_app(
        f"sqlite:///{tmp_path / 'reset.sqlite3'}",
        RATELIMIT_ENABLED=True,
        RESET_LIMIT_PER_ACCOUNT="2 per hour",
        RESET_LIMIT_PER_ADDRESS="5 per hour",
    )
    with app.app_context():
        from app.auth.services import create_user

        create_user("kim@example.test", "Kim", PASSWORD)
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_password_resets_are_throttled_per_address_asked_for_and_per_client(reset_throttled):
    client = reset_throttled.test_client()
    # Known and unknown addresses count alike: the throttle tells nothing either.
    for email in ("kim@example.test", "nobody@example.test"):
        statuses = [
            client.post("/password/forgot", data={"email": email}).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 429], email
    # The client's own allowance: five requests, whichever addresses.
    other = [
        client.post("/password/forgot", data={"email": f"n{i}@example.test"}).status_code
        for i in range(2)
    ]
    assert other[-1] == 429
    elsewhere = reset_throttled.test_client().post(
        "/password/forgot",
        data={"email": "n9@example.test"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert elsewhere.status_code == 200


def test_the_operator_resets_a_lost_second_factor(client, municipalities, make_user):
    admin = make_user(municipalities["brondby"], "admin")
    result = client.application.test_cli_runner().invoke(
        args=["users", "reset-two-factor", "--email", admin.email]
    )
    assert result.exit_code == 0, result.output
    step1 = client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert step1.location.endswith("/login/setup"), "a new app is set up at the next sign-in"
    with unscoped("test"):
        assert db.session.scalar(
            select(AuditEvent.object_id).where(AuditEvent.action == "auth.two_factor_reset")
        ) == str(admin.id)
