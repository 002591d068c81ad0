"""The family overview: its waves as a compact grid and its joint plan in figures.

A wave's rows are what its completion counts (``expected_in_wave``), in the order forms
are filled in (``app.collection.order``), so the page, the wave's status and "save and go
to the next form" agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.collection.models import Submission
from app.collection.order import in_overview_order
from app.collection.services import expected_in_wave
from app.core.db import db
from app.families.models import Family, Wave
from app.plans.models import LIFE_AREAS, Plan
from app.tenancy.models import Municipality

#: Statuses of a wave that wants work now: shown open on the page.
CURRENT = ("due", "overdue")


@dataclass
class WaveView:
    wave: Wave
    status: str
    rows: list[dict[str, object]]
    submitted: int
    #: Shown open (the current waves and the next one), else collapsed.
    open: bool = False


def waves_of(municipality: Municipality, family: Family, today: date) -> list[WaveView]:
    """Every wave of *family* with its rows; the current waves, any wave with a draft and
    the next upcoming wave are open, the later and the finished ones collapsed."""
    submissions = {
        (s.wave_id, s.form_id, s.member_id): s
        for s in db.session.scalars(
            select(Submission)
            .where(Submission.family_id == family.id)
            .options(selectinload(Submission.submitted_by), selectinload(Submission.updated_by))
        )
    }
    views = []
    for wave in family.waves:
        submitted = {
            (form_id, member_id)
            for (wave_id, form_id, member_id), s in submissions.items()
            if wave_id == wave.id and s.status == "submitted"
        }
        rows: list[dict[str, object]] = [
            {
                "version": expected.version,
                "member": expected.member,
                "submission": submissions.get(
                    (
                        wave.id,
                        expected.version.form_id,
                        expected.member.id if expected.member else None,
                    )
                ),
            }
            for expected in in_overview_order(expected_in_wave(municipality, wave, submitted))
        ]
        states = [s.status for r in rows if isinstance(s := r["submission"], Submission)]
        view = WaveView(wave, wave.status(today), rows, states.count("submitted"))
        view.open = view.status in CURRENT or "draft" in states
        views.append(view)
    upcoming = next((v for v in views if v.status == "upcoming"), None)
    if upcoming is not None:
        upcoming.open = True
    return views


@dataclass
class PlanSummary:
    """The joint plan in figures: goals per phase, their latest statuses, the life areas."""

    plan: Plan
    goals: int = 0
    #: phase -> number of goals.
    per_phase: dict[int, int] = field(default_factory=dict)
    #: latest status (None: not yet assessed) -> number of goals.
    per_status: dict[str | None, int] = field(default_factory=dict)
    life_areas: list[str] = field(default_factory=list)


def plan_summary(family: Family) -> PlanSummary | None:
    plan = db.session.scalar(select(Plan).where(Plan.family_id == family.id))
    if plan is None:
        return None
    goals = list(plan.goals)
    statuses = Counter(g.latest_status.status if g.latest_status else None for g in goals)
    return PlanSummary(
        plan=plan,
        goals=len(goals),
        per_phase=dict(sorted(Counter(g.phase for g in goals).items())),
        per_status=dict(sorted(statuses.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))),
        life_areas=[a for a in LIFE_AREAS if any(g.life_area == a for g in goals)],
    )
