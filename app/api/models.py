"""Personal access tokens: a user's key to the API of one municipality; idempotency keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, db, utcnow
from app.tenancy.models import TenantOwned


class ApiToken(TenantOwned, db.Model):
    __tablename__ = "api_token"
    __table_args__ = (
        # The hash of a long random secret is unique across municipalities by its randomness;
        # the key says so within the municipality, which is what a sharded table can hold
        # (and a token is looked up in its municipality's scope).
        UniqueConstraint("token_hash", "municipality_id"),
        # No ON DELETE SET NULL: it would empty municipality_id as well, and Citus refuses
        # it on a key with the shard column. remove_membership unties the tokens first.
        ForeignKeyConstraint(
            ["membership_id", "municipality_id"], ["membership.id", "membership.municipality_id"]
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    #: The membership the token was issued under. The token ends with it: None once that
    #: membership is gone, and a membership given again later is another row.
    membership_id: Mapped[int | None] = mapped_column(index=True, default=None)
    #: What the token is for, in the user's words.
    name: Mapped[str] = mapped_column(String(120))
    #: SHA-256 of the token. The token itself is shown once and never stored; it is long
    #: and random, so a fast hash is enough (no password-style KDF needed).
    token_hash: Mapped[str] = mapped_column(String(64))
    #: The first characters, so people can tell their tokens apart in lists.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    user = relationship("User")

    def usable(self, now: datetime) -> bool:
        return self.membership_id is not None and self.revoked_at is None and now < self.expires_at


class IdempotencyKey(TenantOwned, db.Model):
    """An ``Idempotency-Key`` a client sent with a POST, and the answer it was given.

    See :mod:`app.api.idempotency`. Kept for 24 hours.
    """

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("municipality_id", "user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The token's user: keys are the client's own, one user's key never meets another's.
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    #: The key as the client sent it.
    key: Mapped[str] = mapped_column(String(255))
    #: HMAC-SHA256 of method, path and body: the same key with another request is refused.
    #: Keyed with the secret key, since a body may hold a CPR number, which a plain hash
    #: of a known body would give away by trying every CPR.
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: The first answer, replayed to every repeat; empty while the first is still running.
    status_code: Mapped[int | None] = mapped_column(default=None)
    body: Mapped[str | None] = mapped_column(Text, default=None)
    location: Mapped[str | None] = mapped_column(String(500), default=None)
    etag: Mapped[str | None] = mapped_column(String(40), default=None)
