"""The one-time links through which a person answers an instrument of a wave themselves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, db, utcnow
from app.families.models import Family, Member, Wave
from app.tenancy.models import TenantOwned


class SelfReportLink(TenantOwned, db.Model):
    """A link that lets one person answer one instrument of one wave, once.

    Only a hash of its secret is stored: the secret travels in the text the caseworker
    gives the parent (or in the address of the handed-over screen). It works until it is
    used, until it expires, or until the caseworker makes a new one for the same answers.
    """

    __tablename__ = "self_report_link"
    __table_args__ = (
        UniqueConstraint("id", "municipality_id"),
        # A link is looked up in its municipality (its address names it).
        UniqueConstraint("municipality_id", "token_hash"),
        ForeignKeyConstraint(
            ["family_id", "municipality_id"],
            ["family.id", "family.municipality_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["member_id", "municipality_id"],
            ["family_member.id", "family_member.municipality_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["wave_id", "municipality_id"], ["wave.id", "wave.municipality_id"], ondelete="CASCADE"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(index=True)
    #: The adult who answers.
    member_id: Mapped[int] = mapped_column(index=True)
    wave_id: Mapped[int] = mapped_column(index=True)
    #: The form whose answers the link fills in (the adult's form of the wave).
    form_id: Mapped[str] = mapped_column(String(80))
    #: What is asked: an id of app.definitions.instruments.INSTRUMENTS.
    instrument: Mapped[str] = mapped_column(String(20))
    #: SHA-256 of the secret in the link, hex.
    token_hash: Mapped[str] = mapped_column(String(64))
    #: Made for the caseworker's own screen, handed over (the caseworker is signed out).
    kiosk: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the person sent their answers; the link works no more.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: When the caseworker made a newer link for the same answers, which voids this one.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    family: Mapped[Family] = relationship(overlaps="member,wave")
    member: Mapped[Member] = relationship(overlaps="family,wave")
    wave: Mapped[Wave] = relationship(overlaps="family,member")
