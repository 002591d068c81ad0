"""Account writes and sign-in checks. Each function flushes; the caller commits once."""

from __future__ import annotations

import hmac
import secrets
from hashlib import sha256

from flask import current_app, has_request_context, request
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.audit.services import record
from app.auth.models import MEMBERSHIP_ROLES, PLATFORM_ROLES, Membership, User
from app.auth.passwords import MIN_PASSWORD_LENGTH, password_problem
from app.core.db import db, utcnow
from app.tenancy.models import Municipality
from app.tenancy.scoping import OWN_MEMBERSHIPS, Scope, as_user, restored_scope, tenant_scope
from app.tenancy.sso_settings import sso_of


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message says why."""


class PasswordRefused(AccountError):
    """The signed-in user's own password, asked for again, was wrong (and is audited)."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def throttle_id(email: str) -> str:
    """What a rate limit counts an address by: a keyed hash, never the address itself.

    The limiter's keys sit in Redis, which anyone operating it can list; the same address
    gives the same hash, so the count is still per account.
    """
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), b"helhed throttle v1", sha256)
    return hmac.new(key.digest(), normalise_email(email)[:254].encode(), sha256).hexdigest()[:32]


#: First characters an e-mail address may not have: a spreadsheet opening the audit CSV
#: would read the address as a formula (the CSV writer neutralises it too).
EMAIL_FORBIDDEN_START = ("=", "+", "-", "@")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


_PASSWORD_PROBLEMS = {
    "too_short": f"the password must have at least {MIN_PASSWORD_LENGTH} characters",
    "common": "the password is too common or too easy to guess; choose another",
    "personal": "the password must not contain the e-mail address",
}


def check_new_password(password: str, *, email: str | None = None) -> None:
    problem = password_problem(password, email=email)
    if problem is not None:
        raise AccountError(_PASSWORD_PROBLEMS[problem])


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(email: str, name: str, password: str, *, platform_role: str | None = None) -> User:
    email = normalise_email(email)
    if "@" not in email:
        raise AccountError(f"{email!r} is not an e-mail address")
    if email.startswith(EMAIL_FORBIDDEN_START):
        raise AccountError("an e-mail address cannot begin with =, +, - or @")
    if platform_role is not None and platform_role not in PLATFORM_ROLES:
        raise AccountError(f"unknown platform role {platform_role!r}")
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise AccountError(f"a user with e-mail {email} already exists")
    check_new_password(password, email=email)
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        platform_role=platform_role,
    )
    db.session.add(user)
    db.session.flush()
    record(
        "user.created",
        object_type="user",
        object_id=user.id,
        details={"email": email, "platform_role": platform_role},
    )
    return user


def set_password(user: User, password: str, *, reason: str = "password_set") -> None:
    """A new password; whoever knew the old one is signed out everywhere."""
    check_new_password(password, email=user.email)
    user.password_hash = hash_password(password)
    record("user.password_set", object_type="user", object_id=user.id)
    end_sessions(user, reason=reason)


def set_digest_opt_out(user: User, opt_out: bool) -> None:
    """Whether *user* is left out of the daily digest; a change is audited."""
    if user.digest_opt_out == opt_out:
        return
    user.digest_opt_out = opt_out
    db.session.flush()
    record(
        "user.digest_opt_out" if opt_out else "user.digest_opt_in",
        object_type="user",
        object_id=user.id,
    )


def deactivate_user(user: User) -> None:
    """Close an account: it cannot sign in, and its open sessions end now."""
    user.active = False
    record("user.deactivated", object_type="user", object_id=user.id)
    end_sessions(user, reason="deactivated")


# -- sessions -----------------------------------------------------------------------------


def end_sessions(user: User, *, reason: str) -> None:
    """End every session of *user*, on every device, now.

    A session carries the generation it was signed in under (:meth:`User.get_id`); raising
    the generation voids them all, so a cookie copied before is an anonymous visitor's.
    The increment is done by the database, so two ends at once cannot undo each other.
    """
    user.session_generation = User.session_generation + 1  # type: ignore[assignment]
    record(
        "auth.sessions_ended",
        object_type="user",
        object_id=user.id,
        details={"reason": reason},
    )
    db.session.flush()


def end_sessions_if_no_membership(user: User) -> None:
    """After a membership is removed: with no municipality left, the user is signed out."""
    if not _has_membership(user):
        end_sessions(user, reason="no_municipality")


def _has_membership(user: User) -> bool:
    # Memberships are tenant-scoped; the user's own rule sees all of theirs, which is the
    # question here (and needs no audited crossing of the tenant boundary).
    with as_user(user.id):
        return bool(
            db.session.scalar(
                select(func.count(Membership.id))
                .where(Membership.user_id == user.id)
                .execution_options(**{OWN_MEMBERSHIPS: True})
            )
        )


def user_for_session(session_id: str) -> User | None:
    """The user a session belongs to, if it is still theirs (Flask-Login's user loader).

    *session_id* is what :meth:`User.get_id` gave at sign-in. A session from before the
    user's sessions were ended, or of an inactive user, belongs to nobody.
    """
    user_id, _, generation = session_id.partition(":")
    # ASCII digits only: str.isdigit() is true of "²", which int() refuses.
    if not (f"{user_id}{generation}".isascii() and user_id.isdigit() and generation.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_generation != int(generation):
        return None
    return user


def grant_membership(user: User, municipality: Municipality, role: str) -> Membership:
    """Give *user* a role in *municipality* (or change the role they have)."""
    if role not in MEMBERSHIP_ROLES:
        raise AccountError(f"unknown role {role!r}; use one of: {', '.join(MEMBERSHIP_ROLES)}")
    with tenant_scope(municipality, user.id):
        membership = db.session.scalar(
            select(Membership).where(
                Membership.user_id == user.id, Membership.municipality_id == municipality.id
            )
        )
        old_role = membership.role if membership else None
        if membership is None:
            membership = Membership(user=user, municipality_id=municipality.id, role=role)
            db.session.add(membership)
        membership.role = role
        if old_role != role:
            record(
                "membership.role_set",
                municipality_id=municipality.id,
                object_type="user",
                object_id=user.id,
                details={"old_role": old_role, "new_role": role},
            )
        db.session.flush()
    return membership


# A valid hash to compare against when the e-mail is unknown, so that a failed login
# takes the same time whether or not the account exists: one per hash method, made once.
_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    dummy = _DUMMY_HASHES.get(method)
    if dummy is None:
        # Not setdefault(): its argument, a whole hash computation, would run every call.
        dummy = _DUMMY_HASHES[method] = generate_password_hash(
            secrets.token_urlsafe(16), method=method
        )
    return dummy


def authenticate(email: str, password: str, *, remote_addr: str | None) -> User | None:
    """Return the user if the password is right; audit a failed attempt.

    A successful password is not yet a sign-in: :func:`record_login` marks that, after the
    second factor where one is needed.
    """
    email = normalise_email(email)
    user = find_user(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        ok = False
        reason = "credentials"
    else:
        password_ok = check_password_hash(user.password_hash, password)
        reason = "credentials" if not password_ok else "inactive"
        ok = password_ok and user.active
    if not ok:
        record(
            "auth.login_failed",
            actor_id=user.id if user else None,
            object_type="user",
            object_id=user.id if user else None,
            details={"email": email, "remote_addr": remote_addr, "reason": reason},
        )
        return None
    return user


def record_login(
    user: User,
    *,
    remote_addr: str | None,
    second_factor: bool,
    method: str = "password",
    municipality_id: int | None = None,
) -> None:
    """A completed sign-in: with a password, or through *municipality_id*'s provider
    (``method="sso"``), whose trail then shows it."""
    user.last_login_at = utcnow()
    details: dict[str, object] = {"remote_addr": remote_addr, "two_factor": second_factor}
    if method != "password":
        details["method"] = method
    if municipality_id is None:
        record(
            "auth.login", actor_id=user.id, object_type="user", object_id=user.id, details=details
        )
        return
    # The municipality's own event: written inside its scope, as the tenant boundary asks.
    with restored_scope(Scope(municipality_id, user.id)):
        record(
            "auth.login",
            actor_id=user.id,
            municipality_id=municipality_id,
            object_type="user",
            object_id=user.id,
            details=details,
        )
        db.session.flush()


def password_sign_in_allowed(user: User) -> bool:
    """Whether *user* may sign in with a password: not when every municipality they work
    for has switched passwords off (``[sso] password_login = false``); those sign in with
    their municipality's button. Platform accounts always may: they belong to no
    municipality's directory."""
    if user.platform_role is not None:
        return True
    # Asked before the sign-in, so no user is in the request's scope: the person's own rows.
    with as_user(user.id):
        municipalities = [m.municipality for m in own_memberships(user)]
    if not municipalities:
        return True
    for municipality in municipalities:
        settings = sso_of(municipality.settings)
        if settings is None or settings.password_login:
            return True
    record(
        "auth.login_failed",
        actor_id=user.id,
        object_type="user",
        object_id=user.id,
        details={"email": user.email, "reason": "password_login_off"},
    )
    return False


def password_matches(user: User, password: str, *, where: str) -> bool:
    """Check a signed-in user's password, asked for again; a wrong one is audited."""
    if check_password_hash(user.password_hash, password):
        return True
    record(
        "auth.password_check_failed",
        actor_id=user.id,
        object_type="user",
        object_id=user.id,
        details={
            "where": where,
            "remote_addr": request.remote_addr if has_request_context() else None,
        },
    )
    return False


def change_password(user: User, current: str, new: str) -> None:
    """The user's own change: the current password first, then the rule for the new one.

    Every session of the user ends, including the one that asks; the caller signs that
    one in again, so only a copy of it (or another device) needs the new password.
    """
    if not password_matches(user, current, where="password_change"):
        raise PasswordRefused("the current password is wrong")
    set_password(user, new, reason="password_changed")


def own_memberships(user: User) -> list[Membership]:
    """The user's memberships in every municipality, for the municipality switcher.

    Memberships are tenant-scoped like everything else; this is the one read that widens
    the rule, and only to the user's own rows.
    """
    return list(
        db.session.scalars(
            select(Membership)
            .join(Membership.municipality)
            .where(Membership.user_id == user.id)
            .order_by(Municipality.name_da)
            .execution_options(**{OWN_MEMBERSHIPS: True})
        )
    )
