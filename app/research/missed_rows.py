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
from typing import Any

from sqlalchemy import select

from app.collection.services import expected_in_wave, submitted_in
from app.core.db import db
from app.families.models import Family, Wave
from app.research.rows import Selection
from app.research.variables import (
    MISSED_CODES,
    NOT_ANSWERED,
    NOT_IN_VERSION,
    Pseudonyms,
    Variable,
    months_between,
)


def missed_rows(
    selection: Selection, level: str, columns: list[Variable]
) -> Iterator[tuple[int, list[Any]]]:
    key = Pseudonyms(selection.study.pseudonym_key)
    scope = selection.scope
    waves = db.session.scalars(
        select(Wave)
        .join(Family, Family.id == Wave.family_id)
        .where(
            Wave.missed_reason.is_not(None),
            Wave.completed_at.is_(None),
            scope.families(),
            scope.waves(),
        )
        .order_by(Wave.family_id, Wave.due_date, Wave.id)
    )
    for wave in waves:
        municipality = selection.municipalities[wave.municipality_id]
        granted = set(selection.grants[wave.municipality_id].forms)
        submitted = submitted_in(wave)
        subjects: dict[int | None, set[str]] = {}
        for expected in expected_in_wave(municipality, wave, submitted):
            version = expected.version
            if version.level != level or version.form.is_local:
                continue
            if version.form_id not in granted:
                continue
            member_id = expected.member.id if expected.member else None
            subjects.setdefault(member_id, set()).add(version.form_id)
        answered = {member_id for form_id, member_id in submitted if form_id in granted}
        code = MISSED_CODES[str(wave.missed_reason)]
        family = wave.family
        for member_id, forms in subjects.items():
            if member_id in answered:
                continue
            row: list[Any] = [key("family", wave.family_id)]
            if level != "family":
                row.append(key("person", member_id))  # type: ignore[arg-type]
            row += [
                municipality.code,
                family.team_model,
                family.enrolment_date.year,
                (family.enrolment_date.month - 1) // 3 + 1,
                wave.key,
                months_between(family.enrolment_date, wave.due_date),
                "",
            ]
            row += [code if set(v.forms) & forms else NOT_IN_VERSION for v in columns]
            row.append(NOT_ANSWERED)
            yield wave.municipality_id, row
