"""Rows as the JSON the OpenAPI document describes. Identifying data stays minimal: names
for the people who work with the family, a masked CPR, never a full one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from app.collection.models import Submission
from app.families.models import Assignment, Family, Member, Wave
from app.plans.models import Plan
from app.plans.phases import Phase


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def family_json(family: Family) -> dict[str, Any]:
    return {
        "id": family.id,
        "label": family.label,
        "enrolment_date": family.enrolment_date.isoformat(),
        "team_model": family.team_model,
        "status": family.status,
        "exit_date": _iso(family.exit_date),
        "lock_version": family.lock_version,
    }


def member_json(member: Member) -> dict[str, Any]:
    return {
        "id": member.id,
        "role": member.role,
        "name": member.name,
        "cpr_masked": member.masked_cpr or None,
        "start_date": member.start_date.isoformat(),
        "end_date": _iso(member.end_date),
    }


def wave_json(wave: Wave, today: date) -> dict[str, Any]:
    return {
        "id": wave.id,
        "key": wave.key,
        "kind": wave.kind,
        "month": wave.month,
        "due_date": wave.due_date.isoformat(),
        "window_start": wave.window_start.isoformat(),
        "window_end": wave.window_end.isoformat(),
        "status": wave.status(today),
        "completed_at": _iso(wave.completed_at),
    }


def submission_json(submission: Submission) -> dict[str, Any]:
    return {
        "id": submission.id,
        "family_id": submission.family_id,
        "wave_id": submission.wave_id,
        "member_id": submission.member_id,
        "form_id": submission.form_id,
        "form_version": submission.form_version.version,
        "status": submission.status,
        "answers": submission.answers,
        "lock_version": submission.lock_version,
        "updated_at": _iso(submission.updated_at),
        "confirmed_checks": list(submission.confirmed_checks or []),
        "window_reason": submission.window_reason,
        "self_reported": list(submission.self_reported or []),
    }


def plan_json(
    plan: Plan, team: list[Assignment], sees_hidden: bool, periods: list[Phase]
) -> dict[str, Any]:
    """The plan; without *sees_hidden* (external contact persons) the goals hidden from
    them are left out, as on the plan page."""
    goals = [g for g in plan.goals if sees_hidden or not g.hidden_from_external]
    return {
        "family_id": plan.family_id,
        "phases": plan.phases,
        "phase_months": plan.phase_months,
        "periods": [period.as_json() for period in periods],
        "goals": [
            {
                "id": goal.id,
                "phase": goal.phase,
                "life_area": goal.life_area,
                "description": goal.description,
                "responsible_department": goal.responsible_department.code
                if goal.responsible_department
                else None,
                "statuses": [{"wave": s.wave.key, "status": s.status} for s in goal.statuses],
                "target_date": _iso(goal.target_date),
                "responsible_person": goal.responsible_user.name if goal.responsible_user else None,
                "family_words": goal.family_words,
                "hidden_from_external": goal.hidden_from_external,
            }
            for goal in goals
        ],
        "team": [
            {
                "name": a.user.name,
                "email": a.user.email,
                "kind": a.kind,
                "department": a.department.code if a.department else None,
                "contact_person": a.contact_person,
            }
            for a in team
        ],
    }
