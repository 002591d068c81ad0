"""Who a checked ID token is in Helhed: the account it matches, links or provisions.

The provider only says who the person is. What they may do is the municipality's: their
membership there decides the role, and a person without one gets the municipality's
configured default role or is refused. Each function flushes; the request commits once.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select

from app.audit.services import record
from app.auth.models import User
from app.auth.services import create_user, find_user, grant_membership, own_memberships
from app.core.db import db, utcnow
from app.sso.models import SsoIdentity
from app.tenancy.models import Municipality
from app.tenancy.scoping import as_user, tenant_scope
from app.tenancy.sso_settings import SsoSettings


class SignInRefused(Exception):
    """The provider vouched for the person, but Helhed does not let them in: ``reason`` is
    a stable code (audited, and the key of the page's message)."""

    def __init__(self, reason: str, user: User | None = None):
        super().__init__(reason)
        self.reason = reason
        self.user = user


#: Why a sign-in may be refused after the token checked out.
REASONS = (
    "no_email",
    "no_access",
    "inactive",
    "platform_account",
    "other_municipalities",
)


def sign_in_user(municipality: Municipality, settings: SsoSettings, claims: dict[str, Any]) -> User:
    """The account for *claims*, with a membership of *municipality*; or SignInRefused.

    A returning person is found by issuer and subject. The first time, an account with the
    token's e-mail address is linked, or one is made when the municipality has a default
    role. An account that reaches further than this municipality (a platform role, or
    memberships elsewhere) is never signed in by this municipality's provider: its
    directory would otherwise open another municipality's data.
    """
    issuer, subject = claims["iss"], claims["sub"]
    with tenant_scope(municipality):
        identity = db.session.scalar(
            select(SsoIdentity).where(SsoIdentity.issuer == issuer, SsoIdentity.subject == subject)
        )
    if identity is not None:
        user = db.session.get(User, identity.user_id)
        assert user is not None  # the foreign key cascades deletion
    else:
        user = _first_sign_in(municipality, settings, claims)
        with tenant_scope(municipality):
            identity = SsoIdentity(
                municipality_id=municipality.id, user_id=user.id, issuer=issuer, subject=subject
            )
            db.session.add(identity)
            db.session.flush()
            record(
                "auth.sso_linked",
                municipality_id=municipality.id,
                actor_id=user.id,
                object_type="user",
                object_id=user.id,
            )
            db.session.flush()
    _check_reach(municipality, settings, user)
    with tenant_scope(municipality):
        identity.last_login_at = utcnow()
        db.session.flush()
    return user


def _first_sign_in(
    municipality: Municipality, settings: SsoSettings, claims: dict[str, Any]
) -> User:
    email = claims.get(settings.email_claim)
    if not isinstance(email, str) or "@" not in email:
        raise SignInRefused("no_email")
    user = find_user(email)
    if user is not None:
        return user
    if settings.default_role is None:
        raise SignInRefused("no_access")
    name = claims.get(settings.name_claim)
    # Nobody knows this password: the person signs in with the button, or sets one with
    # a reset link where the municipality allows passwords.
    return create_user(
        email,
        name if isinstance(name, str) and name.strip() else email,
        secrets.token_urlsafe(32),
    )


def _check_reach(municipality: Municipality, settings: SsoSettings, user: User) -> None:
    if not user.active:
        raise SignInRefused("inactive", user)
    if user.platform_role is not None:
        raise SignInRefused("platform_account", user)
    # Before the sign-in no user is in the request's scope: the person's own rows.
    with as_user(user.id):
        memberships = own_memberships(user)
    if any(m.municipality_id != municipality.id for m in memberships):
        raise SignInRefused("other_municipalities", user)
    if not memberships:
        if settings.default_role is None:
            raise SignInRefused("no_access", user)
        grant_membership(user, municipality, settings.default_role)
        with tenant_scope(municipality):
            record(
                "auth.sso_provisioned",
                municipality_id=municipality.id,
                actor_id=user.id,
                object_type="user",
                object_id=user.id,
                details={"role": settings.default_role},
            )
            db.session.flush()


def record_refusal(
    municipality: Municipality, reason: str, user: User | None = None, *, check: str | None = None
) -> None:
    """Every refused sign-in is in the municipality's audit trail, with its reason and, for
    a token that did not check out, which check failed (never the token or its claims)."""
    details: dict[str, str] = {"reason": reason}
    if check:
        details["check"] = check
    with tenant_scope(municipality):
        record(
            "auth.sso_refused",
            municipality_id=municipality.id,
            actor_id=user.id if user else None,
            object_type="user" if user else None,
            object_id=user.id if user else None,
            details=details,
        )
        db.session.flush()
