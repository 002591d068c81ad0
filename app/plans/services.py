"""Writes to the joint plan; every change is audited."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.audit.services import record
from app.core.db import db, utcnow
from app.families.models import Family, Wave
from app.families.services import on_enrolment
from app.plans.models import GOAL_STATUSES, LIFE_AREAS, Goal, GoalStatus, Plan
from app.tenancy.models import Department, Municipality
from app.tenancy.settings_spec import tables as settings_tables


class PlanError(ValueError):
    pass


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
    plan: Plan, phase: int, life_area: str, description: str, department: Department | None
) -> Goal:
    if not 1 <= phase <= plan.phases:
        raise PlanError(_l("Choose one of the plan's phases."))
    if life_area not in LIFE_AREAS:
        raise PlanError(_l("Choose a life area."))
    if not description.strip():
        raise PlanError(_l("Describe the goal."))
    goal = Goal(
        municipality_id=plan.municipality_id,
        plan_id=plan.id,
        phase=phase,
        life_area=life_area,
        description=description.strip(),
        responsible_department_id=department.id if department else None,
    )
    db.session.add(goal)
    plan.updated_at = utcnow()
    db.session.flush()
    record(
        "plan.goal_added",
        municipality_id=plan.municipality_id,
        object_type="plan",
        object_id=plan.id,
        details={
            "goal_id": goal.id,
            "phase": phase,
            "life_area": life_area,
            "department": department.code if department else None,
        },
    )
    return goal


def set_goal_status(goal: Goal, wave: Wave, status: str, actor_id: int | None) -> GoalStatus:
    """Record how far the goal had come at a follow-up (or change what was recorded)."""
    if status not in GOAL_STATUSES:
        raise PlanError(_l("Choose a status."))
    if wave.kind == "intake" or wave.family_id != goal.plan.family_id:
        raise PlanError(_l("A goal's status is recorded at a follow-up."))
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
