"""A family in the programme, its members, its waves of data collection and who works with it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
    and_,
    case,
    event,
    literal,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.crypto import EncryptedString, lookup_hash
from app.core.db import UTCDateTime, db, utcnow
from app.tenancy.models import TenantOwned

MEMBER_ROLES = ("adult", "child")
WAVE_KINDS = ("intake", "follow_up", "exit")
#: What a wave is on a given day; one definition, in Python (Wave.status) and in SQL
#: (Wave.status_sql), so pages, lists, the grid, the API and the reminders agree.
WAVE_STATUSES = ("upcoming", "due", "overdue", "missed", "completed")
#: Why a wave could not be collected, recorded by staff; the research package declares
#: each as a missing-value code (see app/research/variables.py).
MISSED_REASONS = ("declined", "moved", "not_reached", "exited_early", "other")
#: The work list "upcoming" shows waves whose window opens within this many days.
UPCOMING_DAYS = 30
FAMILY_STATUSES = ("active", "exited")


class Family(TenantOwned, db.Model):
    __tablename__ = "family"
    __table_args__ = (
        # The pair is what rows of the family point at, so they can never point across
        # municipalities (composite foreign keys below).
        UniqueConstraint("id", "municipality_id"),
        CheckConstraint("status IN ('active', 'exited')", name="status"),
        Index("ix_family_municipality_enrolment", "municipality_id", "enrolment_date"),
        # An import names each family by the reference of the system it comes from: the
        # same file imported twice finds its families and creates none (app.imports).
        UniqueConstraint("external_ref", "municipality_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: How staff recognise the family, e.g. "Familien Hansen". Identifying: never exported.
    label: Mapped[str] = mapped_column(String(200))
    #: Anchors every due date; may be corrected, which recomputes the waves.
    enrolment_date: Mapped[date] = mapped_column(Date)
    #: Copied from the municipality at enrolment and never changed afterwards.
    team_model: Mapped[str] = mapped_column(String(20))
    #: The family's reference in the system it was imported from (a case number, a row id);
    #: unique per municipality. None for a family enrolled in Helhed. Never exported.
    external_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    status: Mapped[str] = mapped_column(String(10), default="active")
    #: Set when the family_exit form is submitted.
    exit_date: Mapped[date | None] = mapped_column(Date, default=None)
    #: When the retention period ran out and names, CPR numbers and free text were removed.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: Optimistic lock: a stale correction is refused instead of overwriting.
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    members: Mapped[list[Member]] = relationship(
        back_populates="family", order_by="Member.id", overlaps="family"
    )
    waves: Mapped[list[Wave]] = relationship(
        back_populates="family", order_by="Wave.due_date", overlaps="family"
    )

    def active_members(self, on: date, role: str | None = None) -> list[Member]:
        return [m for m in self.members if m.active_on(on) and (role is None or m.role == role)]


class Member(TenantOwned, db.Model):
    """An adult or a child of the family, with the dates they belong to it."""

    __tablename__ = "family_member"
    __table_args__ = (
        UniqueConstraint("id", "municipality_id"),
        ForeignKeyConstraint(
            ["family_id", "municipality_id"],
            ["family.id", "family.municipality_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("role IN ('adult', 'child')", name="role"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(index=True)
    role: Mapped[str] = mapped_column(String(10))
    #: Identifying; never exported.
    name: Mapped[str] = mapped_column(String(200))
    #: CPR number, encrypted at rest, masked on screen, never exported. Optional.
    cpr: Mapped[str | None] = mapped_column(EncryptedString, default=None)
    #: The keyed hash of the CPR number's ten digits (``cpr_lookup_hash``), so a search for
    #: a CPR number finds the person without the number ever being stored in clear. Kept
    #: in step with ``cpr`` by the listener below: set with it, cleared with it.
    cpr_hash: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    #: The day the person joined the family's course (usually the enrolment date).
    start_date: Mapped[date] = mapped_column(Date)
    #: The day the person left it; None while they belong to it.
    end_date: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Tombstone: set when the person's identifying data was erased on request. The row
    #: stays (the pseudonymised answers point at it); the name, CPR and free text do not.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    family: Mapped[Family] = relationship(back_populates="members", overlaps="members")

    def active_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

    @property
    def masked_cpr(self) -> str:
        if not self.cpr:
            return ""
        digits = self.cpr.replace("-", "")
        return f"{digits[:6]}-••••" if len(digits) >= 6 else "••••••-••••"


def cpr_digits(value: str | None) -> str | None:
    """The ten digits of something that looks like a CPR number (DDMMYY-SSSS or
    DDMMYYSSSS, spaces around it allowed); None for anything else."""
    text_ = (value or "").strip()
    digits = text_.replace("-", "", 1) if len(text_) == 11 and text_[6] == "-" else text_
    if len(digits) == 10 and all("0" <= ch <= "9" for ch in digits):
        return digits
    return None


def cpr_lookup_hash(value: str | None) -> str | None:
    """The value of :attr:`Member.cpr_hash` for a CPR number (None for none)."""
    digits = cpr_digits(value)
    return lookup_hash(digits) if digits else None


@event.listens_for(Member.cpr, "set")
def _cpr_set(member: Member, value: str | None, _old: object, _initiator: object) -> None:
    # Every write of the CPR number, the erasure's None included, renews its hash.
    member.cpr_hash = cpr_lookup_hash(value)


class Wave(TenantOwned, db.Model):
    """One round of data collection for a family: intake, a follow-up, or exit."""

    __tablename__ = "wave"
    __table_args__ = (
        UniqueConstraint("id", "municipality_id"),
        UniqueConstraint("family_id", "key", "municipality_id"),
        ForeignKeyConstraint(
            ["family_id", "municipality_id"],
            ["family.id", "family.municipality_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("kind IN ('intake', 'follow_up', 'exit')", name="kind"),
        CheckConstraint(
            "missed_reason IS NULL OR missed_reason IN "
            "('declined', 'moved', 'not_reached', 'exited_early', 'other')",
            name="missed_reason",
        ),
        Index("ix_wave_municipality_due", "municipality_id", "due_date"),
        # The dashboard's open waves: only those not yet completed are in the index.
        Index(
            "ix_wave_open",
            "municipality_id",
            "window_start",
            "window_end",
            sqlite_where=text("completed_at IS NULL"),
            postgresql_where=text("completed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(index=True)
    #: "intake", "follow_up_6", "follow_up_12", ... or "exit": stable across corrections.
    key: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))
    #: Months after enrolment (0 for intake; None for exit).
    month: Mapped[int | None] = mapped_column(default=None)
    due_date: Mapped[date] = mapped_column(Date)
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    #: When the last required form of the wave was submitted; None until then.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: Why the wave cannot be collected (one of MISSED_REASONS), recorded by staff; the
    #: wave then leaves the overdue list. None while it is still expected.
    missed_reason: Mapped[str | None] = mapped_column(String(20), default=None)
    missed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    missed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)

    family: Mapped[Family] = relationship(back_populates="waves", overlaps="waves")

    def status(self, today: date) -> str:
        """One of WAVE_STATUSES on *today* (Copenhagen's day, app.core.dates.today()):

        - ``completed``: every form it expects is submitted;
        - ``missed``: staff recorded why it cannot be collected (``missed_reason``);
        - ``upcoming``: its window has not opened;
        - ``due``: its window is open;
        - ``overdue``: its window has closed with forms missing. It stays overdue until
          the forms are in or a reason is recorded: a missed wave never disappears.
        """
        if self.completed_at is not None:
            return "completed"
        if self.missed_reason is not None:
            return "missed"
        if today < self.window_start:
            return "upcoming"
        if today <= self.window_end:
            return "due"
        return "overdue"

    @classmethod
    def status_sql(cls, today: date) -> ColumnElement[str]:
        """:meth:`status` as an SQL expression, for lists, the grid and counts."""
        return case(
            (cls.completed_at.is_not(None), literal("completed")),
            (cls.missed_reason.is_not(None), literal("missed")),
            (cls.window_start > today, literal("upcoming")),
            (cls.window_end >= today, literal("due")),
            else_=literal("overdue"),
        )

    @classmethod
    def status_is(cls, status: str, today: date) -> ColumnElement[bool]:
        """The SQL condition "this wave's status on *today* is *status*", written so the
        partial index of open waves can serve it (no CASE in the WHERE clause)."""
        still_open = and_(cls.completed_at.is_(None), cls.missed_reason.is_(None))
        conditions: dict[str, ColumnElement[bool]] = {
            "completed": cls.completed_at.is_not(None),
            "missed": and_(cls.completed_at.is_(None), cls.missed_reason.is_not(None)),
            "upcoming": and_(still_open, cls.window_start > today),
            "due": and_(still_open, cls.window_start <= today, cls.window_end >= today),
            "overdue": and_(still_open, cls.window_end < today),
        }
        return conditions[status]


# -- who works with the family: its team, by the family's team model (app.teams) ----------

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
            "municipality_id",
            unique=True,
            sqlite_where=text("active AND kind != 'team_member'"),
            postgresql_where=text("active AND kind != 'team_member'"),
        ),
        Index(
            "uq_assignment_contact_person",
            "family_id",
            "municipality_id",
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
