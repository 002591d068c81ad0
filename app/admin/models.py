"""Invitations: how an account that already exists is given a role in a municipality."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, db, utcnow
from app.tenancy.models import SHARD_KEY, Municipality
from app.tenancy.scoping import scoping_rule, tenant_or_own


class Invitation(db.Model):
    """A role in one municipality, offered to an existing account until its owner answers.

    It carries ``municipality_id`` like every tenant-owned row, but its scoping rule is
    the membership's: the invited person sees their own invitations, from anywhere, when
    a query asks for their own rows (that is how they answer one).
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The municipality that offers the role (and the table's shard key).
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="RESTRICT"), index=True, info=SHARD_KEY
    )
    #: The account it is for; never shown to the admin, who sees only what they typed.
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    #: The address as the admin typed it (normalised), which is all the admin is shown.
    email: Mapped[str] = mapped_column(String(254))
    #: One of MEMBERSHIP_ROLES.
    role: Mapped[str] = mapped_column(String(20))
    #: The admin who invited; kept when their account goes, as the audit trail is.
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: After this the invitation can no longer be accepted.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    municipality: Mapped[Municipality] = relationship()

    def pending(self, now: datetime) -> bool:
        return self.accepted_at is None and self.declined_at is None and now < self.expires_at


# The invited person answers an invitation from outside its municipality, as they pick one
# of their memberships (app.admin.invitations): the membership's rule.
scoping_rule(Invitation)(tenant_or_own)
