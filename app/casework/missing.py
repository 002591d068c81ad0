"""What the waves of one page of a list still miss, read for those rows alone.

The submitted forms of all the page's waves come in one query, the families' members in
one more and the newest form versions in a third; what each wave expects is
:func:`app.collection.services.expected_in_wave`, the definition behind the family page's
rows and the wave's completion, so a list cannot say a form is missing that the family
page shows as submitted.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.collection.models import FormVersion, Submission
from app.collection.services import expected_in_wave, latest_versions
from app.core.db import db
from app.definitions.loader import CORE_FORMS
from app.families.models import Family, Member, Wave
from app.tenancy.models import Municipality


@dataclass(frozen=True)
class MissingForm:
    version: FormVersion
    member: Member | None


def missing_forms(
    municipality: Municipality, pairs: list[tuple[Wave, Family]]
) -> dict[int, list[MissingForm]]:
    """wave id -> the forms the wave still expects, for the (wave, family) rows of a page."""
    if not pairs:
        return {}
    wave_ids = [wave.id for wave, _ in pairs]
    family_ids = list({family.id for _, family in pairs})
    # The members of the page's families in one query (expected_in_wave reads them).
    db.session.scalars(
        select(Family).where(Family.id.in_(family_ids)).options(selectinload(Family.members))
    ).all()
    submitted: dict[int, set[tuple[str, int | None]]] = {wave_id: set() for wave_id in wave_ids}
    for wave_id, form_id, member_id in db.session.execute(
        select(Submission.wave_id, Submission.form_id, Submission.member_id).where(
            Submission.wave_id.in_(wave_ids), Submission.status == "submitted"
        )
    ):
        submitted[wave_id].add((form_id, member_id))
    # The newest form versions once for the page, not once per wave.
    latest = latest_versions([*CORE_FORMS, *municipality.settings.get("local_forms", [])])
    result: dict[int, list[MissingForm]] = {}
    for wave, family in pairs:
        # The row's family is the wave's: no lazy load of it per row.
        set_committed_value(wave, "family", family)
        done = submitted[wave.id]
        result[wave.id] = [
            MissingForm(expected.version, expected.member)
            for expected in expected_in_wave(municipality, wave, done, latest=latest)
            if (expected.version.form_id, expected.member.id if expected.member else None)
            not in done
        ]
    return result
