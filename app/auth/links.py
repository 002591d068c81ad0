"""One-time links that set a password: issued, checked and used up.

The secret travels only in the mail; the database keeps its SHA-256 (a 256-bit random
secret needs no slow hash). A link works once and until it expires; using one makes the
user's other links void. (A newer link does not void an older one: a double click on
"send" mails two links, and either must work.)
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from app.audit.services import record
from app.auth.models import LINK_PURPOSES, OneTimeLink, User
from app.auth.services import set_password
from app.core.db import db, utcnow

#: How long a link works.
LINK_LIFETIME = {"invitation": timedelta(days=7), "reset": timedelta(hours=1)}


class LinkUnusable(ValueError):
    """The link is unknown, used or expired; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue(user: User | None, purpose: str) -> str:
    """A new link's secret for *user*. With no user (a reset asked for an unknown address)
    the same secret is made and hashed, and nothing is stored."""
    if purpose not in LINK_PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    secret = secrets.token_urlsafe(32)
    hashed = digest(secret)
    if user is None:
        return secret
    now = utcnow()
    link = OneTimeLink(
        user_id=user.id, purpose=purpose, token_hash=hashed, expires_at=now + LINK_LIFETIME[purpose]
    )
    db.session.add(link)
    db.session.flush()
    record(
        # Spelled out so the audit log's list of events (app/admin/audit_events.py) sees them.
        "link.invitation_issued" if purpose == "invitation" else "link.reset_issued",
        object_type="user",
        object_id=user.id,
        details={"expires_at": link.expires_at.isoformat()},
    )
    return secret


def find(secret: str) -> OneTimeLink:
    """The link behind *secret*, if it can still be used."""
    link = db.session.scalar(
        select(OneTimeLink).where(OneTimeLink.token_hash == digest(secret[:200]))
    )
    if link is None:
        raise LinkUnusable("unknown")
    if link.used_at is not None:
        raise LinkUnusable("used")
    if link.expires_at <= utcnow() or not link.user.active:
        raise LinkUnusable("expired")
    return link


def use(secret: str, password: str) -> User:
    """Set the password through the link, once: the link is used up, the user's other
    sessions end (``set_password``). Raises LinkUnusable, or AccountError for a password
    the rule refuses (the link then still works)."""
    link = find(secret)
    user = link.user
    set_password(user, password, reason=f"password_{link.purpose}")
    # Used up by the database, so two submissions at once cannot both succeed.
    used = db.session.execute(
        update(OneTimeLink)
        .where(OneTimeLink.id == link.id, OneTimeLink.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkUnusable("used")
    db.session.execute(
        update(OneTimeLink)
        .where(OneTimeLink.user_id == user.id, OneTimeLink.used_at.is_(None))
        .values(expires_at=utcnow())
    )
    record(
        "link.invitation_used" if link.purpose == "invitation" else "link.reset_used",
        actor_id=user.id,
        object_type="user",
        object_id=user.id,
    )
    db.session.flush()
    return user
