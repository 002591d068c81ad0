"""One joint plan per family, shared by the employment unit and the family department.

Goals are corrected, not rewritten: an edit first copies what the goal said into a
:class:`GoalRevision` (description, life area, phase, target date, responsible person, the
family's words, visibility; who and when), and a deletion is soft (``deleted_at``,
``deleted_by_id``) plus one last revision. A goal's statuses refer to follow-ups that may
already be signed off for research, so a deleted goal keeps them: the research package
reads the same rows it read before the deletion, while the plan page, the API and every
count show only the goals not deleted. Edits carry ``lock_version`` (an optimistic lock,
as families and submissions do): a form opened before someone else's edit is refused as a
conflict instead of overwriting it.

Goals in the child-related life areas (:data:`CHILD_AREAS`) are hidden from external
contact persons unless someone unticks the box: :func:`hidden_by_default` says so once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, db, utcnow
from app.tenancy.models import TenantOwned

LIFE_AREAS = (
    "work_education",
    "children_school_wellbeing",
    "economy",
    "health",
    "housing",
    "everyday_structure",
    "leisure",
)
GOAL_STATUSES = ("achieved", "partly", "not_achieved", "changed", "dropped")
#: Life areas about the children: their goals are hidden from external contact persons
#: unless whoever writes the goal unticks the box.
CHILD_AREAS = frozenset({"children_school_wellbeing"})


def hidden_by_default(life_area: str) -> bool:
    """Whether a new goal in *life_area* starts hidden from external contact persons."""
    return life_area in CHILD_AREAS


class Plan(TenantOwned, db.Model):
    __tablename__ = "plan"
    __table_args__ = (
        # One plan per family (the family's municipality is part of every unique key).
        UniqueConstraint("family_id", "municipality_id"),
        UniqueConstraint("id", "municipality_id"),
        ForeignKeyConstraint(
            ["family_id", "municipality_id"],
            ["family.id", "family.municipality_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int]
    #: Copied from the municipality's settings when the plan is made (Vejle: 3 × 6 months).
    phases: Mapped[int] = mapped_column(default=1)
    phase_months: Mapped[int] = mapped_column(default=6)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    #: The goals not deleted: what the plan page, the API and the counts show.
    goals: Mapped[list[Goal]] = relationship(
        primaryjoin="and_(Plan.id == foreign(Goal.plan_id), "
        "Plan.municipality_id == foreign(Goal.municipality_id), Goal.deleted_at.is_(None))",
        order_by="(Goal.phase, Goal.id)",
        viewonly=True,
    )
    #: Every goal, deleted ones too (what is held about the family).
    every_goal: Mapped[list[Goal]] = relationship(
        back_populates="plan", order_by="(Goal.phase, Goal.id)", overlaps="goals"
    )


class Goal(TenantOwned, db.Model):
    __tablename__ = "plan_goal"
    __table_args__ = (
        UniqueConstraint("id", "municipality_id"),
        ForeignKeyConstraint(
            ["plan_id", "municipality_id"], ["plan.id", "plan.municipality_id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["responsible_department_id", "municipality_id"],
            ["department.id", "department.municipality_id"],
        ),
        CheckConstraint(
            "life_area IN ('work_education', 'children_school_wellbeing', 'economy', 'health', "
            "'housing', 'everyday_structure', 'leisure')",
            name="life_area",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(index=True)
    #: 1-based phase of the plan the goal belongs to.
    phase: Mapped[int] = mapped_column(default=1)
    life_area: Mapped[str] = mapped_column(String(40))
    #: The goal in the family's and the staff's words. Free text: exported only if granted.
    description: Mapped[str] = mapped_column(Text)
    responsible_department_id: Mapped[int | None] = mapped_column(default=None)
    #: When the goal should be reached (optional).
    target_date: Mapped[date | None] = mapped_column(Date, default=None)
    #: The person responsible for the goal: a member of the municipality.
    responsible_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), default=None
    )
    #: The goal in the family's own words (optional free text: exported only if granted).
    family_words: Mapped[str | None] = mapped_column(Text, default=None)
    #: Not shown to external contact persons (page, API, counts).
    hidden_from_external: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    plan: Mapped[Plan] = relationship(back_populates="every_goal", overlaps="goals")
    responsible_department = relationship("Department", foreign_keys=[responsible_department_id])
    responsible_user = relationship("User", foreign_keys=[responsible_user_id])
    revisions: Mapped[list[GoalRevision]] = relationship(
        back_populates="goal", order_by="GoalRevision.id", overlaps="goal"
    )
    statuses: Mapped[list[GoalStatus]] = relationship(
        back_populates="goal", order_by="GoalStatus.id", overlaps="goal"
    )

    def status_at(self, wave_id: int) -> GoalStatus | None:
        return next((s for s in self.statuses if s.wave_id == wave_id), None)

    @property
    def latest_status(self) -> GoalStatus | None:
        return self.statuses[-1] if self.statuses else None


class GoalStatus(TenantOwned, db.Model):
    """How far a goal had come at one follow-up."""

    __tablename__ = "plan_goal_status"
    __table_args__ = (
        UniqueConstraint("goal_id", "wave_id", "municipality_id"),
        ForeignKeyConstraint(
            ["goal_id", "municipality_id"],
            ["plan_goal.id", "plan_goal.municipality_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(["wave_id", "municipality_id"], ["wave.id", "wave.municipality_id"]),
        CheckConstraint(
            "status IN ('achieved', 'partly', 'not_achieved', 'changed', 'dropped')",
            name="status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(index=True)
    wave_id: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    goal: Mapped[Goal] = relationship(back_populates="statuses", overlaps="statuses")
    wave = relationship("Wave", overlaps="goal,statuses")


class GoalRevision(TenantOwned, db.Model):
    """What a goal said before an edit or its deletion, who changed it and when."""

    __tablename__ = "plan_goal_revision"
    __table_args__ = (
        ForeignKeyConstraint(
            ["goal_id", "municipality_id"],
            ["plan_goal.id", "plan_goal.municipality_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("action IN ('edited', 'deleted')", name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(10))
    phase: Mapped[int]
    life_area: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    responsible_department_id: Mapped[int | None] = mapped_column(default=None)
    target_date: Mapped[date | None] = mapped_column(Date, default=None)
    responsible_user_id: Mapped[int | None] = mapped_column(default=None)
    family_words: Mapped[str | None] = mapped_column(Text, default=None)
    hidden_from_external: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    goal: Mapped[Goal] = relationship(back_populates="revisions", overlaps="revisions")
