"""Indicators of the enrolment section: how many families, adults and children."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Select,
    func,
    select,
)

from app.families.models import Family, Member
from app.reports.cohort import (
    Codes,
    Cohort,
    _groups,
)
from app.reports.indicators.registry import (
    indicator,
    text,
)


def _members(cohort: Cohort, role: str) -> Select[Any]:
    members = (
        select(Family.municipality_id, Family.team_model)
        .join(Member, Member.family_id == Family.id)
        .where(cohort.families(), Member.role == role)
        .subquery()
    )
    return _groups(members, func.count(), func.count())


@indicator(
    id="families_enrolled",
    kind="count",
    unit="families",
    section="enrolment",
    name=text("Indskrevne familier", "Families enrolled"),
    definition=text("Familier indskrevet i forløbet.", "Families enrolled in the programme."),
    basis=text("Familien", "The family record"),
)
def families_enrolled(cohort: Cohort, codes: Codes) -> Select[Any]:
    families = select(Family.municipality_id, Family.team_model).where(cohort.families()).subquery()
    return _groups(families, func.count(), func.count())


@indicator(
    id="adults_enrolled",
    kind="count",
    unit="adults",
    section="enrolment",
    name=text("Indskrevne voksne", "Adults enrolled"),
    definition=text(
        "Voksne registreret i de indskrevne familier.",
        "Adults registered in the enrolled families.",
    ),
    basis=text("Familien", "The family record"),
)
def adults_enrolled(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _members(cohort, "adult")


@indicator(
    id="children_enrolled",
    kind="count",
    unit="children",
    section="enrolment",
    name=text("Indskrevne børn", "Children enrolled"),
    definition=text(
        "Børn registreret i de indskrevne familier.",
        "Children registered in the enrolled families.",
    ),
    basis=text("Familien", "The family record"),
)
def children_enrolled(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _members(cohort, "child")
