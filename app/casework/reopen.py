"""Reopening a family whose exit was started or recorded by mistake.

Reopening undoes the exit as far as nothing was answered in it: the exit wave is removed
when no form of it was started (no draft, no submission) and no goal status was recorded
at it; otherwise the wave is kept with what was answered (the family's data) and the next
exit uses it again. The family is active again, without an exit date, and the follow-ups
the exit dropped are made again from enrolment, as enrolment makes them. The audit event
says who, why (a short choice, never free text) and what happened to the waves.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit.services import record
from app.collection.waves import answered_waves
from app.core.db import db
from app.families.models import Family, Wave
from app.families.services import FamilyError, restore_follow_ups
from app.plans.models import GoalStatus
from app.tenancy.models import Municipality

#: Why a family is reopened.
REOPEN_REASONS = ("exit_by_mistake", "family_continues", "other")
REOPEN_REASON_LABELS = {
    "exit_by_mistake": _l("The exit was started by mistake"),
    "family_continues": _l("The family continues in the programme"),
    "other": _l("Another reason"),
}


def can_reopen(family: Family) -> bool:
    return family.status == "exited" or any(w.kind == "exit" for w in family.waves)


def reopen_family(
    municipality: Municipality, family: Family, reason: str, actor_id: int | None
) -> list[Wave]:
    """Undo the exit; the follow-ups made again."""
    if reason not in REOPEN_REASONS:
        raise FamilyError(_l("Choose why the family is reopened."))
    if not can_reopen(family):
        raise FamilyError(_l("The family has not left the programme: there is nothing to reopen."))
    exit_wave = next((w for w in family.waves if w.kind == "exit"), None)
    kept = exit_wave is not None and (
        exit_wave.id in answered_waves(family)
        or db.session.scalar(select(GoalStatus.id).where(GoalStatus.wave_id == exit_wave.id))
        is not None
    )
    if exit_wave is not None and not kept:
        db.session.delete(exit_wave)
    family.status = "active"
    family.exit_date = None
    db.session.flush()
    db.session.expire(family, ["waves"])
    made = restore_follow_ups(municipality, family)
    record(
        "family.reopened",
        actor_id=actor_id,
        municipality_id=family.municipality_id,
        object_type="family",
        object_id=family.id,
        details={
            "reason": reason,
            "exit_wave": "none" if exit_wave is None else ("kept" if kept else "removed"),
            "waves_restored": [w.key for w in made],
        },
    )
    return made
