"""The tenant: a municipality, its departments, and the mixin every tenant-owned table uses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import DISTRIBUTION_COLUMN, JSONType, UTCDateTime, db, utcnow

TEAM_MODELS = ("coordinator", "family_team", "single_entry")
#: Roles inside one municipality, from most to least access.
MEMBERSHIP_ROLES = ("admin", "lead", "staff", "external")


class Municipality(db.Model):
    """A participating municipality: one tenant of the installation."""

    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Danmarks Statistik's 4-digit municipality code, e.g. "0153" for Brøndby.
    code: Mapped[str] = mapped_column(String(4), unique=True)
    #: ASCII name used in URLs and file names, e.g. "brondby".
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_da: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    #: The local name of the programme, e.g. "Familier i forandring".
    programme_name: Mapped[str] = mapped_column(String(200))
    #: Team model for families enrolled from now on; each family keeps its own copy.
    team_model: Mapped[str] = mapped_column(String(20))
    #: Follow-up schedule, joint-plan phases, access switches and local forms (see the TOML files).
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    departments: Mapped[list[Department]] = relationship(
        back_populates="municipality", order_by="Department.id"
    )

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_da

    def __repr__(self) -> str:
        return f"<Municipality {self.slug} {self.code}>"


#: The ``info`` of a tenant table's ``municipality_id``: its distribution column.
SHARD_KEY = {DISTRIBUTION_COLUMN: True}


class TenantOwned:
    """Mixin for every row that belongs to one municipality.

    Queries on these classes are filtered to the current municipality by the session
    (see :mod:`app.tenancy.scoping`), so a view cannot forget the filter.
    """

    #: The municipality that owns this row; the column the table is sharded by, so part of
    #: its primary key on PostgreSQL (app/tenancy/distribution.py).
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="RESTRICT"), index=True, info=SHARD_KEY
    )


class Department(TenantOwned, db.Model):
    """A department of the municipality (employment unit, children and family, ...)."""

    __tablename__ = "department"
    __table_args__ = (
        UniqueConstraint("municipality_id", "code"),
        # What rows that name a department point at, so they cannot name another
        # municipality's (composite foreign keys in membership, assignment, plan_goal).
        UniqueConstraint("id", "municipality_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable short code from the municipality's configuration file.
    code: Mapped[str] = mapped_column(String(40))
    name_da: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    #: Departments removed from the configuration are kept (rows may refer to them) but closed.
    active: Mapped[bool] = mapped_column(default=True)

    municipality: Mapped[Municipality] = relationship(back_populates="departments")

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_da


class Membership(db.Model):
    """A user's role in one municipality.

    It carries ``municipality_id`` like every tenant-owned row, but its scoping rule is
    wider: a user always sees their own memberships (that is how they switch municipality).
    """

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("user_id", "municipality_id"),
        # What an API token's key points at (the primary key on PostgreSQL, only the id on
        # SQLite), so a token cannot name another municipality's membership.
        UniqueConstraint("id", "municipality_id"),
        ForeignKeyConstraint(
            ["department_id", "municipality_id"], ["department.id", "department.municipality_id"]
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    #: The municipality this membership gives access to (and the table's shard key).
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="RESTRICT"), index=True, info=SHARD_KEY
    )
    #: One of MEMBERSHIP_ROLES.
    role: Mapped[str] = mapped_column(String(20))
    #: The staff member's home department (a family coordinator's, for instance).
    #: Departments are closed, never deleted, so nothing needs to happen on delete.
    department_id: Mapped[int | None] = mapped_column(default=None)
    #: Part of the programme's joint team (single-entry model).
    joint_team: Mapped[bool] = mapped_column(default=False)
    #: For external contact persons: the organisation they come from, and its kind.
    organisation_name: Mapped[str | None] = mapped_column(String(200), default=None)
    organisation_type: Mapped[str | None] = mapped_column(String(30), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The user is auth's, the layer above: the registry resolves the name, nothing is
    # imported.
    user: Mapped[User] = relationship("User", back_populates="memberships")  # noqa: F821
    municipality: Mapped[Municipality] = relationship()
    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
