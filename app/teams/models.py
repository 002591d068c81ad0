"""Who works with which family."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, db, utcnow
from app.tenancy.models import TenantOwned

#: coordinator: the one family coordinator (coordinator model); entry_caseworker: the one way
#: in (single-entry model); team_member: a member of the family's team (family-team model).
ASSIGNMENT_KINDS = ("coordinator", "entry_caseworker", "team_member")


class Assignment(TenantOwned, db.Model):
    """A person's place around one family. Ended assignments stay, for the history."""

    __tablename__ = "assignment"
    __table_args__ = (
        ForeignKeyConstraint(
            ["family_id", "municipality_id"],
            ["family.id", "family.municipality_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["department_id", "municipality_id"], ["department.id", "department.municipality_id"]
        ),
        CheckConstraint("kind IN ('coordinator', 'entry_caseworker', 'team_member')", name="kind"),
        UniqueConstraint("id", "municipality_id"),
        # At most one active coordinator, entry caseworker and contact person per family.
        Index(
            "uq_assignment_active_lead",
            "family_id",
            "kind",
            unique=True,
            sqlite_where=text("active AND kind != 'team_member'"),
            postgresql_where=text("active AND kind != 'team_member'"),
        ),
        Index(
            "uq_assignment_contact_person",
            "family_id",
            unique=True,
            sqlite_where=text("active AND contact_person"),
            postgresql_where=text("active AND contact_person"),
        ),
        Index("ix_assignment_user_active", "user_id", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(20))
    #: The department the person represents around this family.
    department_id: Mapped[int | None] = mapped_column(default=None)
    #: Their role in the family's team, in the municipality's own words.
    team_role: Mapped[str | None] = mapped_column(String(120), default=None)
    #: The family's chosen contact person (one per family).
    contact_person: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    user = relationship("User")
    department = relationship("Department", foreign_keys=[department_id])
