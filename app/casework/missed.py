"""Recording why a wave cannot be collected, and taking that back. Each flushes and audits.

A wave whose window has closed with forms missing stays *overdue* until its forms are in
or someone records why they cannot be (``Wave.missed_reason``); the research package then
carries the reason as a declared missing-value code (app/research/variables.py).
"""

from __future__ import annotations

from app.audit.services import record
from app.core import dates
from app.core.db import db, utcnow
from app.families.models import MISSED_REASONS, Wave


class MissedError(ValueError):
    """The wave cannot take (or give back) a missed reason now."""


def may_record_missed(wave: Wave) -> bool:
    """Only a wave that is open for collection (due) or overdue, not completed or missed."""
    return wave.status(dates.today()) in ("due", "overdue")


def record_missed(wave: Wave, reason: str, *, actor_id: int | None = None) -> None:
    if reason not in MISSED_REASONS:
        raise MissedError("unknown reason")
    if not may_record_missed(wave):
        raise MissedError("the wave is not due or overdue")
    wave.missed_reason = reason
    wave.missed_at = utcnow()
    if actor_id is not None:
        wave.missed_by_id = actor_id
    record(
        "wave.missed_recorded",
        actor_id=actor_id,
        municipality_id=wave.municipality_id,
        object_type="wave",
        object_id=wave.id,
        details={"family_id": wave.family_id, "wave": wave.key, "reason": reason},
    )
    db.session.flush()


def undo_missed(wave: Wave, *, actor_id: int | None = None) -> None:
    if wave.missed_reason is None or wave.completed_at is not None:
        raise MissedError("no reason is recorded for the wave")
    reason = wave.missed_reason
    wave.missed_reason = None
    wave.missed_at = None
    wave.missed_by_id = None
    record(
        "wave.missed_undone",
        actor_id=actor_id,
        municipality_id=wave.municipality_id,
        object_type="wave",
        object_id=wave.id,
        details={"family_id": wave.family_id, "wave": wave.key, "reason": reason},
    )
    db.session.flush()
