"""Signing in from tests: the shared password and authenticator secret, the sign-in with
its two-factor step, users made through the services, and the CSRF token of a page."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from app.auth import twofactor
from app.auth.models import User
from app.auth.services import create_user, grant_membership
from app.core.db import db
from app.tenancy.models import Municipality

PASSWORD = "correct horse battery"
#: The authenticator-app secret the factory gives users whose role requires two-factor
#: sign-in; ``auth.login`` answers the code step with it.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class UserFactory:
    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self,
        municipality: Municipality | None = None,
        role: str | None = None,
        *,
        email: str | None = None,
        platform_role: str | None = None,
        password: str = PASSWORD,
        two_factor: bool | None = None,
    ) -> User:
        self.count += 1
        email = email or f"user{self.count}-{role or platform_role or 'none'}@example.test"
        user = create_user(email, f"Test User {self.count}", password, platform_role=platform_role)
        if municipality is not None and role is not None:
            grant_membership(user, municipality, role)
        if two_factor if two_factor is not None else twofactor.is_required(user):
            user.totp_secret = TOTP_SECRET
        db.session.commit()
        return user


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD) -> Any:
        return log_in(self.client, email, password)

    def logout(self) -> Any:
        return self.client.post("/logout")


def log_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    """Sign in, answering the two-factor step when the account has it."""
    response = client.post("/login", data={"email": email, "password": password})
    if response.status_code == 302 and response.location.endswith("/login/code"):
        return client.post("/login/code", data={"code": fresh_code(client, email)})
    return response


def fresh_code(client: FlaskClient, email: str) -> str:
    """The current code for *email*, with the account's used-code record cleared.

    Tests sign the same user in several times within one 30-second step; a real user
    cannot reuse a code, so the record of the last one is forgotten first.
    """
    import pyotp
    from sqlalchemy import update

    with client.application.app_context(), db.engine.begin() as connection:
        connection.execute(
            update(User.__table__).where(User.email == email).values(totp_last_step=None)
        )
    return pyotp.TOTP(TOTP_SECRET).now()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)
