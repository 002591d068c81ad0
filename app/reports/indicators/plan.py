"""Indicators of the joint plan: how far the families came with the goals they set.

A goal counts with the status recorded at its latest follow-up (by the wave's due date);
a goal with no status yet, a deleted goal and a goal whose latest status is "changed" (it
was replaced by a new goal, which counts in its own right) do not. Each family counts
once, whatever its number of goals: its figure is the share of its counted goals that
were achieved, and the indicator is the mean of those shares. So every figure is based on
families, and disclosure control protects families, not goals (one family's seven goals
are seven goals but one family).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select, true

from app.families.models import Family, Wave
from app.plans.models import Goal, GoalStatus, Plan
from app.reports.cohort import Codes, Cohort, _groups
from app.reports.indicators.registry import indicator, text
from app.tenancy.scoping import scoped

#: Phases from this one on are counted together: the seed programmes have at most three,
#: and a municipality with more still has every goal in one of the figures.
LAST_PHASE_SHOWN = 3

BASIS = text(
    "Seneste opfølgning med en status for målet", "Latest follow-up with the goal's status"
)
NUMERATOR = text(
    "Summen af familiernes andele af nåede mål", "Sum of the families' shares of goals achieved"
)


def _denominator(where_da: str, where_en: str) -> dict[str, str]:
    return text(
        f"Familier med mindst ét mål {where_da} med en status",
        f"Families with one goal {where_en} with a status at least",
    )


def _attainment(cohort: Cohort, *where: ColumnElement[bool]) -> Select[Any]:
    """Per municipality and team model: families, and the sum of their shares achieved."""
    latest = func.row_number().over(
        partition_by=Goal.id, order_by=(Wave.due_date.desc(), Wave.id.desc())
    )
    ranked = scoped(
        select(
            Plan.family_id,
            Family.municipality_id,
            Family.team_model,
            GoalStatus.status,
            latest.label("rank"),
        )
        .select_from(Goal)
        .join(Plan, Plan.id == Goal.plan_id)
        .join(Family, Family.id == Plan.family_id)
        .join(GoalStatus, GoalStatus.goal_id == Goal.id)
        .join(Wave, Wave.id == GoalStatus.wave_id)
        .where(
            Goal.deleted_at.is_(None),
            cohort.families(),
            cohort.status_waves(),
            *where,
        ),
        Goal,
        Plan,
        Family,
        GoalStatus,
        Wave,
    ).subquery()
    families = (
        select(
            ranked.c.municipality_id,
            ranked.c.team_model,
            func.avg(case((ranked.c.status == "achieved", 1.0), else_=0.0)).label("share"),
        )
        .where(ranked.c.rank == 1, ranked.c.status != "changed")
        .group_by(ranked.c.family_id, ranked.c.municipality_id, ranked.c.team_model)
        .subquery()
    )
    return _groups(families, func.count(), func.sum(families.c.share))


#: Each life area's name as the plan page gives it.
AREA_NAMES = {
    "work_education": text("Arbejde og uddannelse", "Work and education"),
    "children_school_wellbeing": text(
        "Børnenes skole og trivsel", "Children's school and wellbeing"
    ),
    "economy": text("Økonomi", "Economy"),
    "health": text("Sundhed", "Health"),
    "housing": text("Bolig", "Housing"),
    "everyday_structure": text("Struktur i hverdagen", "Everyday structure"),
    "leisure": text("Fritid", "Leisure"),
}


def _part(
    name: dict[str, str], definition: dict[str, str], where: dict[str, str]
) -> dict[str, Any]:
    """The keywords of an indicator over part of the goals: a life area or a phase."""
    return {
        "kind": "rate",
        "unit": "families",
        "section": "plan",
        "name": name,
        "definition": definition,
        "numerator": NUMERATOR,
        "denominator": _denominator(where["da"], where["en"]),
        "basis": BASIS,
    }


def _in_area(area: str) -> dict[str, Any]:
    da, en = AREA_NAMES[area]["da"], AREA_NAMES[area]["en"]
    return _part(
        text(f"Nåede mål: {da.lower()}", f"Goals achieved: {en.lower()}"),
        text(
            f"Som «Nåede mål i planen», for målene i livsområdet «{da}».",
            f"As «Goals of the plan achieved», for the goals in the life area «{en}».",
        ),
        text("i livsområdet", "in the life area"),
    )


def _in_phase(phase: int, later: bool = False) -> dict[str, Any]:
    on_da, on_en = (" og senere", " and later") if later else ("", "")
    return _part(
        text(f"Nåede mål i fase {phase}{on_da}", f"Goals achieved in phase {phase}{on_en}"),
        text(
            f"Som «Nåede mål i planen», for målene i planens fase {phase}"
            + (" og alle senere faser." if later else "."),
            f"As «Goals of the plan achieved», for the goals of the plan's phase {phase}"
            + (" and every later phase." if later else "."),
        ),
        text(
            f"i fase {phase}" + (" eller senere" if later else ""),
            f"in phase {phase}" + (" or later" if later else ""),
        ),
    )


@indicator(
    id="goals_achieved",
    kind="rate",
    unit="families",
    section="plan",
    name=text("Nåede mål i planen", "Goals of the plan achieved"),
    definition=text(
        "For hver familie med mål i den fælles plan: andelen af dens mål, der ved den seneste "
        "opfølgning med en status for målet er nået (mål uden status, slettede mål og mål "
        "med status «ændret» tæller ikke); derefter gennemsnittet over familierne, så hver "
        "familie tæller én gang.",
        "For each family with goals in the joint plan: the share of its goals achieved at "
        "the latest follow-up with a status for the goal (goals without a status, deleted "
        "goals and goals whose status is «changed» do not count); then the mean over the "
        "families, so each family counts once.",
    ),
    numerator=NUMERATOR,
    denominator=_denominator("i planen", "in the plan"),
    basis=BASIS,
)
def goals_achieved(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _attainment(cohort, true())


@indicator(id="goals_achieved_work_education", **_in_area("work_education"))
def goals_achieved_work_education(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _attainment(cohort, Goal.life_area == "work_education")


@indicator(id="goals_achieved_children_school_wellbeing", **_in_area("children_school_wellbeing"))
def goals_achieved_children_school_wellbeing(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _attainment(cohort, Goal.life_area == "children_school_wellbeing")


@indicator(id="goals_achieved_economy", **_in_area("economy"))
def goals_achieved_economy(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _attainment(cohort, Goal.life_area == "economy")


@indicator(id="goals_achieved_health", **_in_area("health"))
def goals_achieved_health(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _attainment(cohort, Goal.life_area == "health")


@indicator(id="goals_achieved_housing", **_in_area("housing"))
def goals_achieved_housing(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _attainment(cohort, Goal.life_area == "housing")


@indicator(id="goals_achieved_everyday_structure", **_in_area("everyday_structure"))
def goals_achieved_everyday_structure(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _attainment(cohort, Goal.life_area == "everyday_structure")


@indicator(id="goals_achieved_leisure", **_in_area("leisure"))
def goals_achieved_leisure(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _attainment(cohort, Goal.life_area == "leisure")


@indicator(id="goals_achieved_phase_1", **_in_phase(1))
def goals_achieved_phase_1(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _attainment(cohort, Goal.phase == 1)


@indicator(id="goals_achieved_phase_2", **_in_phase(2))
def goals_achieved_phase_2(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _attainment(cohort, Goal.phase == 2)


@indicator(id="goals_achieved_phase_3_on", **_in_phase(LAST_PHASE_SHOWN, later=True))
def goals_achieved_phase_3_on(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _attainment(cohort, Goal.phase >= LAST_PHASE_SHOWN)
