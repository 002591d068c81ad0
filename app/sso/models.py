"""Who a municipality's OpenID provider says a person is, linked to their Helhed account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import UTCDateTime, db, utcnow
from app.tenancy.models import TenantOwned


class SsoIdentity(TenantOwned, db.Model):
    """One person at one municipality's provider: the stable ``iss`` + ``sub`` pair.

    A person is matched by this pair, never by e-mail after the first sign-in: an address
    can be given to someone else, a subject cannot. The row belongs to the municipality
    whose provider vouched for the person, so one municipality's provider can never
    claim an identity for another's.
    """

    __tablename__ = "sso_identity"
    __table_args__ = (UniqueConstraint("municipality_id", "issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    #: The provider's ``iss``, exactly as its ID tokens carry it.
    issuer: Mapped[str] = mapped_column(String(255))
    #: The provider's ``sub``: stable and never reassigned (OpenID Connect Core 2).
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
