"""Rows of the research package for waves staff recorded as not collectable.

Such a wave has no answers, yet the study must tell "not collected, and why" from "not yet
due" or "not approved". Each subject the wave expected (the family, each adult, each
child: :func:`app.collection.services.expected_in_wave`) gets a row in its level's
table, like an answered wave's, whose answer cells carry the reason's declared
missing-value code (``M_MOVED``, ...; :data:`app.research.variables.MISSED_CODES`). The
tables keep their columns: a reason column per wave would add columns to every table
whenever a reason was first recorded, and a reader of one table would still not see it.
A subject of the wave with any form of the table submitted already has its row (from the
answers), and keeps it unchanged. Local tables are left as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.collection.models import Submission
from app.collection.services import expected_in_wave, latest_versions
from app.core.db import db
from app.definitions.loader import CORE_FORMS
from app.families.models import Family, Wave
from app.research import modes
from app.research.rows import Selection, batch_size
from app.research.variables import (
    MISSED_CODES,
    NOT_ANSWERED,
    NOT_IN_VERSION,
    Pseudonyms,
    Variable,
    months_between,
)


@dataclass(frozen=True)
class MissedWave:
    """What a missed wave's rows need, read once for the three tables."""

    municipality_id: int
    family_id: int
    team_model: str
    enrolment: date
    key: str
    due: date
    code: str
    #: level -> member id (None for the family) -> the granted forms it expected
    subjects: dict[str, dict[int | None, set[str]]]


def missed_waves(selection: Selection) -> list[MissedWave]:
    """Every missed wave the study may see, with the subjects it expected and lacks.

    Read once per package, a batch of waves at a time with their families and members,
    the forms' newest versions once, and the submitted forms of a batch in one statement:
    asking for each wave and table anew made them half of an export's time."""
    scope = selection.scope
    local = {
        f for m in selection.municipalities.values() for f in m.settings.get("local_forms", [])
    }
    latest = latest_versions([*CORE_FORMS, *sorted(local)])
    ids = list(
        db.session.scalars(
            select(Wave.id)
            .join(Family, Family.id == Wave.family_id)
            .where(
                Wave.missed_reason.is_not(None),
                Wave.completed_at.is_(None),
                scope.families(),
                scope.waves(),
            )
            .order_by(Wave.family_id, Wave.due_date, Wave.id)
        )
    )
    found: list[MissedWave] = []
    every = batch_size()
    for start in range(0, len(ids), every):
        # A batch of waves with their families and members, then let go of them: holding
        # every missed wave's objects at once grew the export's memory with the families.
        batch = ids[start : start + every]
        waves = {
            wave.id: wave
            for wave in db.session.scalars(
                select(Wave)
                .where(Wave.id.in_(batch))
                .options(selectinload(Wave.family).selectinload(Family.members))
            )
        }
        submitted: dict[int, set[tuple[str, int | None]]] = {i: set() for i in batch}
        for wave_id, form_id, member_id in db.session.execute(
            select(Submission.wave_id, Submission.form_id, Submission.member_id).where(
                Submission.wave_id.in_(batch), Submission.status == "submitted"
            )
        ):
            submitted[wave_id].add((form_id, member_id))
        for wave_id in batch:
            found.append(_missed(selection, waves[wave_id], submitted[wave_id], latest))
        del waves
    return found


def _missed(
    selection: Selection, wave: Wave, submitted: set[tuple[str, int | None]], latest: Any
) -> MissedWave:
    municipality = selection.municipalities[wave.municipality_id]
    granted = set(selection.grants[wave.municipality_id].forms)
    answered = {member_id for form_id, member_id in submitted if form_id in granted}
    subjects: dict[str, dict[int | None, set[str]]] = {}
    for expected in expected_in_wave(municipality, wave, submitted, latest=latest):
        version = expected.version
        if version.form.is_local or version.form_id not in granted:
            continue
        member_id = expected.member.id if expected.member else None
        # A subject of the wave with any form of the table submitted has its row already.
        if member_id in answered:
            continue
        subjects.setdefault(version.level, {}).setdefault(member_id, set()).add(version.form_id)
    family = wave.family
    return MissedWave(
        wave.municipality_id,
        wave.family_id,
        family.team_model,
        family.enrolment_date,
        wave.key,
        wave.due_date,
        MISSED_CODES[str(wave.missed_reason)],
        subjects,
    )


def missed_rows(
    selection: Selection,
    level: str,
    columns: list[Variable],
    waves: list[MissedWave] | None = None,
) -> Iterator[tuple[int, list[Any]]]:
    key = Pseudonyms(selection.study.pseudonym_key)
    for wave in missed_waves(selection) if waves is None else waves:
        for member_id, forms in wave.subjects.get(level, {}).items():
            row: list[Any] = [key("family", wave.family_id)]
            if level != "family":
                row.append(key("person", member_id))  # type: ignore[arg-type]
            row += [
                selection.municipalities[wave.municipality_id].code,
                wave.team_model,
                wave.enrolment.year,
                (wave.enrolment.month - 1) // 3 + 1,
                wave.key,
                months_between(wave.enrolment, wave.due),
                "",
            ]
            row += [wave.code if set(v.forms) & forms else NOT_IN_VERSION for v in columns]
            row.append(NOT_ANSWERED)
            row += modes.missed_cells(level)
            yield wave.municipality_id, row
