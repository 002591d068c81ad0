"""A family's waves as the collection sees them: opening the exit wave, which drops the
follow-ups left unanswered after it, and marking a wave complete once its forms are in.

Both ask which forms were submitted, so they live here rather than with the family.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit.services import record
from app.collection.models import Submission
from app.core.db import db, utcnow
from app.families.models import Family, Wave
from app.families.services import FamilyError, _follow_up
from app.tenancy.models import Municipality


def answered_waves(family: Family) -> set[int]:
    return set(
        db.session.scalars(select(Submission.wave_id).where(Submission.family_id == family.id))
    )


def dropped_by_exit(family: Family, exit_due: date) -> list[Wave]:
    """The follow-ups an exit on *exit_due* would drop: due after it, nothing answered."""
    answered = answered_waves(family)
    return [
        w
        for w in family.waves
        if w.kind == "follow_up" and w.due_date > exit_due and w.id not in answered
    ]


def start_exit(municipality: Municipality, family: Family, exit_due: date) -> Wave:
    """Open the exit wave; unanswered follow-ups due after it are no longer expected."""
    existing = next((w for w in family.waves if w.kind == "exit"), None)
    if existing is not None:
        return existing
    if exit_due < family.enrolment_date:
        raise FamilyError(_l("The exit date cannot be before enrolment."))
    for wave in dropped_by_exit(family, exit_due):
        db.session.delete(wave)
    window = _follow_up(municipality)["window_days"]
    wave = Wave(
        municipality_id=family.municipality_id,
        family_id=family.id,
        key="exit",
        kind="exit",
        month=None,
        due_date=exit_due,
        window_start=exit_due - timedelta(days=window),
        window_end=exit_due + timedelta(days=window),
    )
    db.session.add(wave)
    db.session.flush()
    db.session.expire(family, ["waves"])
    record(
        "family.exit_started",
        municipality_id=family.municipality_id,
        object_type="family",
        object_id=family.id,
        details={"exit_due": exit_due.isoformat()},
    )
    return wave


def refresh_completion(
    wave: Wave, expected: list[tuple[str, int | None]], submitted: set[tuple[str, int | None]]
) -> None:
    """Mark the wave completed when every expected (form id, member id) is submitted, or
    open it again; which forms are expected is app.collection.services.expected_in_wave."""
    complete = bool(expected) and all(pair in submitted for pair in expected)
    if complete and wave.completed_at is None:
        wave.completed_at = utcnow()
    elif not complete and wave.completed_at is not None:
        wave.completed_at = None
