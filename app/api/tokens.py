"""Creating, checking and revoking personal access tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from app.api.models import ApiToken
from app.audit.services import record
from app.auth.models import Membership, User
from app.core.db import db, utcnow
from app.tenancy.models import Municipality

PREFIX = "hlh_"
DEFAULT_DAYS = 90
MAX_DAYS = 365


class TokenError(ValueError):
    pass


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    user: User, municipality: Municipality, name: str, days: int = DEFAULT_DAYS
) -> tuple[ApiToken, str]:
    """A new token for *user* in *municipality*; the plain token is returned only here."""
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"a token lives 1-{MAX_DAYS} days")
    membership = db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.municipality_id == municipality.id
        )
    )
    if membership is None:
        raise TokenError(f"{user.email} has no role in {municipality.slug}")
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        municipality_id=municipality.id,
        user_id=user.id,
        membership_id=membership.id,
        name=(name or "API").strip()[:120],
        token_hash=digest(plain),
        prefix=plain[: len(PREFIX) + 4],
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    record(
        "token.created",
        actor_id=user.id,
        municipality_id=municipality.id,
        object_type="token",
        object_id=token.id,
        details={"days": days},
    )
    return token, plain


@dataclass(frozen=True)
class Credentials:
    """A usable token, the membership it was issued under (with its user), and whatever
    else the caller read with them."""

    token: ApiToken
    membership: Membership
    also: tuple[Any, ...]


def find_usable(plain: str, *also: Any) -> Credentials | None:
    """The token, if it exists in the current municipality, is not revoked and not expired,
    and the membership it was issued under still stands, with that membership and its user,
    in one statement; *also* are columns read in the same statement (the stamps of what the
    process caches: app.tenancy.cached, app.collection.published).

    Only that membership: a person removed and later given a role again has a new one, and
    the tokens of the old one stay dead.
    """
    row = db.session.execute(
        select(ApiToken, Membership, User, *also)
        .join(Membership, Membership.id == ApiToken.membership_id)
        .join(User, User.id == Membership.user_id)
        .where(
            ApiToken.token_hash == digest(plain),
            Membership.user_id == ApiToken.user_id,
            Membership.municipality_id == ApiToken.municipality_id,
        )
    ).one_or_none()
    if row is None:
        return None
    token, membership, user = row[0], row[1], row[2]
    if not token.usable(utcnow()):
        return None
    # Loaded by the join: the relationships need no statement of their own.
    set_committed_value(membership, "user", user)
    set_committed_value(token, "user", user)
    return Credentials(token, membership, tuple(row[3:]))


def revoke(token: ApiToken, *, reason: str | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        record(
            "token.revoked",
            municipality_id=token.municipality_id,
            object_type="token",
            object_id=token.id,
            details={"reason": reason} if reason else None,
        )


def revoke_membership_tokens(membership: Membership) -> None:
    """Revoke the tokens issued under *membership*, which is ending, and untie them from it.

    Revoking leaves each token's end in the audit trail and on the tokens page; untying
    (``membership_id`` set to NULL) lets the membership be deleted. The database does not
    do it on delete: ``SET NULL`` on the key ``(membership_id, municipality_id)`` would
    empty the municipality too, and Citus refuses it on a key with the shard column.
    """
    for token in db.session.scalars(
        select(ApiToken).where(ApiToken.membership_id == membership.id)
    ):
        if token.revoked_at is None:
            revoke(token, reason="membership_removed")
        token.membership_id = None
    db.session.flush()
