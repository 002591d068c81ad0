"""One joint plan per family, shared by the employment unit and the family department."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
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


class Plan(TenantOwned, db.Model):
    __tablename__ = "plan"
    __table_args__ = (
        UniqueConstraint("family_id"),
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

    goals: Mapped[list[Goal]] = relationship(
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan: Mapped[Plan] = relationship(back_populates="goals", overlaps="goals")
    responsible_department = relationship("Department", foreign_keys=[responsible_department_id])
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
        UniqueConstraint("goal_id", "wave_id"),
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
