"""Personal access tokens: a user's key to the API of one municipality."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, db, utcnow
from app.tenancy.models import TenantOwned


class ApiToken(TenantOwned, db.Model):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    #: What the token is for, in the user's words.
    name: Mapped[str] = mapped_column(String(120))
    #: SHA-256 of the token. The token itself is shown once and never stored; it is long
    #: and random, so a fast hash is enough (no password-style KDF needed).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters, so people can tell their tokens apart in lists.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    user = relationship("User")

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at
