"""Two-factor sign-in with time-based one-time codes (TOTP, RFC 6238) from an authenticator app.

Mandatory for anyone who can see or change more than their own caseload: municipal
admins, operators and researchers; any other user may turn it on. A code is accepted
once (the step is remembered), one step either side of now to allow for clock drift.
"""

from __future__ import annotations

import hmac
import time
from datetime import UTC, datetime

import pyotp
import segno
from sqlalchemy import select

from app.audit.services import record
from app.auth.models import Membership, User
from app.auth.permissions import two_factor_required
from app.auth.services import end_sessions
from app.core.db import db
from app.tenancy.scoping import OWN_MEMBERSHIPS, as_user

ISSUER = "Helhed"


def is_required(user: User) -> bool:
    """Whether *user*'s platform role or a municipal role of theirs makes two factors
    mandatory (``TWO_FACTOR_ROLES`` in app/auth/permissions.py)."""
    if two_factor_required([user.platform_role]):
        return True
    with as_user(user.id):
        roles = list(
            db.session.scalars(
                select(Membership.role)
                .where(Membership.user_id == user.id)
                .execution_options(**{OWN_MEMBERSHIPS: True})
            )
        )
    return two_factor_required(roles)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> str:
    """The enrolment QR code as inline SVG markup (no script, no style: CSP allows it)."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, title=title, svgclass="qr"))


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _matching_step(
    secret: str, code: str, after: int | None, now: float | None = None
) -> int | None:
    code = "".join(code.split())
    # ASCII only: "²" passes isdigit(), and compare_digest refuses non-ASCII text.
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(_utc(now))
    for step in (current - 1, current, current + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _utc(now: float | None) -> object:
    return datetime.fromtimestamp(time.time() if now is None else now, UTC)


def verify(user: User, code: str) -> bool:
    """Check a code from the user's app and use it up; audit a wrong one."""
    if user.totp_secret is None:
        return False
    step = _matching_step(user.totp_secret, code, user.totp_last_step)
    if step is None:
        record("auth.two_factor_failed", actor_id=user.id, object_type="user", object_id=user.id)
        return False
    user.totp_last_step = step
    user.totp_failures = 0
    return True


def enable(user: User, secret: str, code: str) -> bool:
    """Turn two-factor sign-in on once the user proves their app has *secret*."""
    step = _matching_step(secret, code, None)
    if step is None:
        return False
    user.totp_secret = secret
    user.totp_last_step = step
    record("auth.two_factor_enabled", actor_id=user.id, object_type="user", object_id=user.id)
    return True


def start_attempt(user: User) -> None:
    """A right password opens the code step with a full count of tries."""
    user.totp_failures = 0


def claim_try(user: User, allowed: int) -> bool:
    """Count one code attempt before checking it; False once *allowed* are used up.

    The count lives in the database, not the session cookie, so an older copy of the
    cookie gives no fresh tries; the database does the increment, so attempts sent at the
    same moment cannot each read the same count.
    """
    user.totp_failures = User.totp_failures + 1  # type: ignore[assignment]
    db.session.flush()
    return user.totp_failures <= allowed


def disable(user: User) -> None:
    """Turn it off (only where it is optional; the caller checks :func:`is_required`)."""
    user.totp_secret = None
    user.totp_last_step = None
    record("auth.two_factor_disabled", actor_id=user.id, object_type="user", object_id=user.id)


def reset(user: User, *, by: User | None) -> None:
    """An operator's reset for a user who lost their phone: they enrol again at next sign-in.

    Whoever holds the phone may also hold a signed-in browser: every session ends.
    """
    user.totp_secret = None
    user.totp_last_step = None
    record(
        "auth.two_factor_reset",
        actor_id=by.id if by else None,
        object_type="user",
        object_id=user.id,
    )
    end_sessions(user, reason="two_factor_reset")
