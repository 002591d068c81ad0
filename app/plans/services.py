"""Writes to the joint plan; every change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit.services import record
from app.core.dates import today as copenhagen_today
from app.core.db import db, utcnow
from app.families.models import Family, Wave
from app.families.services import on_enrolment
from app.plans.models import (
    GOAL_STATUSES,
    LIFE_AREAS,
    Goal,
    GoalRevision,
    GoalStatus,
    Plan,
    hidden_by_default,
)
from app.tenancy.models import Department, Membership, Municipality
from app.tenancy.settings_spec import tables as settings_tables


class PlanError(ValueError):
    pass


class StaleGoal(PlanError):
    """Someone else changed or deleted the goal since the form was opened."""


@dataclass
class GoalFields:
    """What a goal says, as the add and edit forms send it."""

    phase: int
    life_area: str
    description: str
    department: Department | None = None
    target_date: date | None = None
    responsible_user_id: int | None = None
    family_words: str | None = None
    #: None: as the life area has it by default (:func:`app.plans.models.hidden_by_default`).
    hidden_from_external: bool | None = None


def _checked(plan: Plan, fields: GoalFields) -> GoalFields:
    if not 1 <= fields.phase <= plan.phases:
        raise PlanError(_l("Choose one of the plan's phases."))
    if fields.life_area not in LIFE_AREAS:
        raise PlanError(_l("Choose a life area."))
    if not fields.description.strip():
        raise PlanError(_l("Describe the goal."))
    if fields.responsible_user_id is not None:
        member = db.session.scalar(
            select(Membership.id).where(
                Membership.user_id == fields.responsible_user_id,
                Membership.municipality_id == plan.municipality_id,
            )
        )
        if member is None:
            raise PlanError(_l("Choose a responsible person who works in the municipality."))
    hidden = fields.hidden_from_external
    return GoalFields(
        phase=fields.phase,
        life_area=fields.life_area,
        description=fields.description.strip(),
        department=fields.department,
        target_date=fields.target_date,
        responsible_user_id=fields.responsible_user_id,
        family_words=(fields.family_words or "").strip() or None,
        hidden_from_external=hidden_by_default(fields.life_area) if hidden is None else hidden,
    )


def _audit_details(goal: Goal) -> dict[str, object]:
    """What the audit trail says about a goal: never its words, which are the family's."""
    return {
        "goal_id": goal.id,
        "phase": goal.phase,
        "life_area": goal.life_area,
        "department": goal.responsible_department.code if goal.responsible_department else None,
        "target_date": goal.target_date.isoformat() if goal.target_date else None,
        "responsible_user_id": goal.responsible_user_id,
        "hidden_from_external": goal.hidden_from_external,
    }


@on_enrolment
def create_plan(municipality: Municipality, family: Family) -> Plan:
    """The family's plan, with the municipality's phases as they are at enrolment."""
    settings = settings_tables(municipality.settings)["joint_plan"]
    plan = Plan(
        municipality_id=family.municipality_id,
        family_id=family.id,
        phases=settings["phases"],
        phase_months=settings["phase_months"],
    )
    db.session.add(plan)
    db.session.flush()
    return plan


def add_goal(
    plan: Plan,
    phase: int,
    life_area: str,
    description: str,
    department: Department | None,
    **more: object,
) -> Goal:
    """Add a goal; *more* takes the other :class:`GoalFields` (target date, ...)."""
    fields = _checked(plan, GoalFields(phase, life_area, description, department, **more))  # type: ignore[arg-type]
    goal = Goal(
        municipality_id=plan.municipality_id,
        plan_id=plan.id,
        phase=fields.phase,
        life_area=fields.life_area,
        description=fields.description,
        responsible_department_id=department.id if department else None,
        target_date=fields.target_date,
        responsible_user_id=fields.responsible_user_id,
        family_words=fields.family_words,
        hidden_from_external=bool(fields.hidden_from_external),
    )
    db.session.add(goal)
    plan.updated_at = utcnow()
    db.session.flush()
    record(
        "plan.goal_added",
        municipality_id=plan.municipality_id,
        object_type="plan",
        object_id=plan.id,
        details=_audit_details(goal),
    )
    return goal


def _revision(goal: Goal, action: str, actor_id: int | None) -> GoalRevision:
    revision = GoalRevision(
        municipality_id=goal.municipality_id,
        goal_id=goal.id,
        action=action,
        phase=goal.phase,
        life_area=goal.life_area,
        description=goal.description,
        responsible_department_id=goal.responsible_department_id,
        target_date=goal.target_date,
        responsible_user_id=goal.responsible_user_id,
        family_words=goal.family_words,
        hidden_from_external=goal.hidden_from_external,
        changed_by_id=actor_id,
    )
    db.session.add(revision)
    return revision


def _check_version(goal: Goal, seen_lock_version: int) -> None:
    if goal.deleted_at is not None or goal.lock_version != seen_lock_version:
        raise StaleGoal(
            _l("Someone else changed the goal meanwhile. Read it again and make your change.")
        )


def edit_goal(goal: Goal, fields: GoalFields, seen_lock_version: int, actor_id: int | None) -> Goal:
    """Change what the goal says; what it said before is kept as a revision."""
    _check_version(goal, seen_lock_version)
    fields = _checked(goal.plan, fields)
    before = _audit_details(goal)
    _revision(goal, "edited", actor_id)
    goal.phase = fields.phase
    goal.life_area = fields.life_area
    goal.description = fields.description
    goal.responsible_department_id = fields.department.id if fields.department else None
    goal.target_date = fields.target_date
    goal.responsible_user_id = fields.responsible_user_id
    goal.family_words = fields.family_words
    goal.hidden_from_external = bool(fields.hidden_from_external)
    goal.updated_at = utcnow()
    goal.plan.updated_at = utcnow()
    db.session.flush()
    db.session.expire(goal, ["responsible_department"])
    after = _audit_details(goal)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    wording = {
        "description": goal.revisions[-1].description != goal.description,
        "family_words": goal.revisions[-1].family_words != goal.family_words,
    }
    record(
        "plan.goal_edited",
        municipality_id=goal.municipality_id,
        object_type="plan",
        object_id=goal.plan_id,
        # Which words changed, never the words themselves.
        details={
            "goal_id": goal.id,
            "changes": changes,
            "reworded": sorted(k for k, v in wording.items() if v),
        },
    )
    return goal


def delete_goal(goal: Goal, seen_lock_version: int, actor_id: int | None) -> None:
    """Take the goal off the plan. The row and its statuses stay (research packages read
    them); the plan, the API and the counts no longer show it."""
    _check_version(goal, seen_lock_version)
    _revision(goal, "deleted", actor_id)
    goal.deleted_at = utcnow()
    goal.deleted_by_id = actor_id
    goal.plan.updated_at = utcnow()
    db.session.flush()
    db.session.expire(goal.plan, ["goals"])
    record(
        "plan.goal_deleted",
        municipality_id=goal.municipality_id,
        object_type="plan",
        object_id=goal.plan_id,
        details={"goal_id": goal.id, "life_area": goal.life_area, "phase": goal.phase},
    )


def visible_goals(plan: Plan, sees_hidden: bool) -> list[Goal]:
    """The plan's goals a reader sees: external contact persons (*sees_hidden* false) never
    see one hidden from them."""
    return [g for g in plan.goals if sees_hidden or not g.hidden_from_external]


def set_goal_status(
    goal: Goal, wave: Wave, status: str, actor_id: int | None, today: date | None = None
) -> GoalStatus:
    """Record how far the goal had come at a follow-up (or change what was recorded)."""
    if status not in GOAL_STATUSES:
        raise PlanError(_l("Choose a status."))
    if wave.kind == "intake" or wave.family_id != goal.plan.family_id:
        raise PlanError(_l("A goal's status is recorded at a follow-up."))
    if goal.deleted_at is not None:
        raise StaleGoal(_l("The goal was deleted from the plan."))
    if wave.status(today or copenhagen_today()) == "upcoming":
        raise PlanError(
            _l("The follow-up's window has not opened yet: record the status when it has.")
        )
    current = goal.status_at(wave.id)
    old = current.status if current else None
    if current is None:
        current = GoalStatus(
            municipality_id=goal.municipality_id,
            goal_id=goal.id,
            wave_id=wave.id,
            status=status,
            recorded_by_id=actor_id,
        )
        db.session.add(current)
    else:
        current.status = status
        current.recorded_by_id = actor_id
        current.recorded_at = utcnow()
    goal.plan.updated_at = utcnow()
    db.session.flush()
    record(
        "plan.goal_status",
        municipality_id=goal.municipality_id,
        object_type="plan",
        object_id=goal.plan_id,
        details={"goal_id": goal.id, "wave": wave.key, "old": old, "new": status},
    )
    return current
