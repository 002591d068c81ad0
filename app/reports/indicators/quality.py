"""Indicators of the data-quality section: follow-ups completed on time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Select,
    and_,
    func,
    select,
)

from app.families.models import Family, Wave
from app.reports.cohort import (
    Codes,
    Cohort,
    _count_if,
    _groups,
)
from app.reports.indicators.registry import (
    indicator,
    text,
)
from app.reports.sql import local_date


@indicator(
    id="follow_up_completeness",
    kind="rate",
    unit="waves",
    section="quality",
    name=text("Opfølgninger udfyldt til tiden", "Follow-ups completed on time"),
    definition=text(
        "Andel af de opfølgninger, hvis vindue er lukket, der blev fuldført senest på "
        "vinduets sidste dag.",
        "Share of follow-ups whose window has closed that were completed by the window's last day.",
    ),
    numerator=text(
        "Opfølgninger fuldført inden for vinduet", "Follow-ups completed within the window"
    ),
    denominator=text("Opfølgninger med lukket vindue", "Follow-ups whose window has closed"),
    basis=text("Opfølgninger", "Follow-ups"),
)
def follow_up_completeness(cohort: Cohort, codes: Codes) -> Select[Any]:
    waves = (
        select(
            Family.municipality_id,
            Family.team_model,
            Wave.completed_at,
            Wave.window_end,
        )
        .join(Family, Family.id == Wave.family_id)
        .where(
            cohort.families(),
            cohort.waves(),
            Wave.kind == "follow_up",
            Wave.window_end < cohort.as_of,
        )
        .subquery()
    )
    on_time = and_(
        waves.c.completed_at.is_not(None), local_date(waves.c.completed_at) <= waves.c.window_end
    )
    return _groups(waves, func.count(), _count_if(on_time))
