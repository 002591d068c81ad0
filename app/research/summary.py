"""What signing a wave off for research releases, shown before it is confirmed (page and
command line alike): how many families have the wave, how many of those waves are
complete, how many drafts stay out (a draft is never exported) and how many forms are
still missing. Which forms a wave expects is :func:`app.collection.services.expected_in_wave`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.collection.models import Submission
from app.collection.services import expected_in_wave
from app.core.db import db
from app.families.models import Wave
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope


@dataclass(frozen=True)
class ReleaseSummary:
    wave_key: str
    families: int
    waves_completed: int
    waves_expected: int
    drafts: int
    forms_missing: int


def release_summary(municipality: Municipality, wave_key: str) -> ReleaseSummary:
    with tenant_scope(municipality):
        waves = list(db.session.scalars(select(Wave).where(Wave.key == wave_key)))
        rows = db.session.execute(
            select(Submission.wave_id, Submission.form_id, Submission.member_id, Submission.status)
            .join(Wave, Wave.id == Submission.wave_id)
            .where(Wave.key == wave_key)
        ).all()
        submitted: dict[int, set[tuple[str, int | None]]] = {}
        drafts = 0
        for wave_id, form_id, member_id, status in rows:
            if status == "submitted":
                submitted.setdefault(wave_id, set()).add((form_id, member_id))
            else:
                drafts += 1
        missing = 0
        for wave in waves:
            done = submitted.get(wave.id, set())
            for expected in expected_in_wave(municipality, wave, done):
                pair = (expected.version.form_id, expected.member.id if expected.member else None)
                missing += pair not in done
        return ReleaseSummary(
            wave_key=wave_key,
            families=len({w.family_id for w in waves}),
            waves_completed=sum(1 for w in waves if w.completed_at is not None),
            waves_expected=len(waves),
            drafts=drafts,
            forms_missing=missing,
        )
