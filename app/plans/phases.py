"""The phases of a joint plan in time: when each starts and ends, and what it is about.

A plan keeps its number of phases and their length from its municipality's settings at
enrolment (:func:`app.plans.services.create_plan`); the dates follow from the family's
enrolment date, so a corrected enrolment date moves them with it and nothing stored can
disagree. The focus of each phase is the programme's (``[[plan_phases]]`` in the
municipality's file, Vejle: everyday structure first, then activation): the n-th text is
phase n's, and a phase beyond the texts has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.families.services import add_months
from app.plans.models import Plan


@dataclass(frozen=True)
class Phase:
    number: int
    starts: date
    #: The phase's last day (the next one starts the day after).
    ends: date
    #: ``{"da": …, "en": …}`` or None.
    focus: Mapping[str, str] | None

    def focus_text(self, language: str) -> str | None:
        if not self.focus:
            return None
        return self.focus.get(language) or self.focus.get("da")

    def holds(self, day: date) -> bool:
        return self.starts <= day <= self.ends

    def as_json(self) -> dict[str, Any]:
        return {
            "phase": self.number,
            "starts": self.starts.isoformat(),
            "ends": self.ends.isoformat(),
            "focus": dict(self.focus) if self.focus else None,
        }


def plan_phases(plan: Plan, enrolment: date, settings: Mapping[str, Any]) -> list[Phase]:
    """The plan's phases, from the enrolment date, each *plan.phase_months* long."""
    focus = list(settings.get("plan_phases") or [])
    phases = []
    for number in range(1, plan.phases + 1):
        starts = add_months(enrolment, (number - 1) * plan.phase_months)
        ends = add_months(enrolment, number * plan.phase_months) - timedelta(days=1)
        phases.append(
            Phase(number, starts, ends, focus[number - 1] if number <= len(focus) else None)
        )
    return phases
