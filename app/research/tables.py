"""The package's plan-goal and wave tables as SQL statements whose columns are its cells.

What leaves is decided by the study's scope (:mod:`app.research.scope`) in each statement,
ids are joined from the study's pseudonym table (:mod:`app.research.pseudonyms`) and every
value is written by the database in the package's notation (:mod:`app.research.cells`),
so :mod:`app.research.streams` can hand the rows to the zip without reading them. The
columns and their order are those of ``plan_goals.csv`` and ``waves.csv`` as
``_PLAN_FIELDS`` and ``_WAVE_FIELDS`` declare them in :mod:`app.research.package`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, String, case, cast, func, or_, select

from app.families.models import Family, Wave
from app.plans.models import Goal, GoalStatus, Plan
from app.research import cells, pseudonyms, windows
from app.research.rows import Selection
from app.research.variables import NOT_SHARED
from app.tenancy.models import Department, Municipality
from app.tenancy.scoping import scoped


def plan_goals(selection: Selection, dialect: str) -> Select[Any]:
    """One row per goal and recorded status (a goal without one has a row of its own)."""
    scope = selection.scope
    family, family_joined = pseudonyms.of("family", Plan.family_id, "pf")
    goal, goal_joined = pseudonyms.of("goal", Goal.id, "pg")
    statement = (
        select(
            family.c.value,
            cells.text(dialect, Municipality.code),
            Family.team_model,
            goal.c.value,
            cast(Goal.phase, String),
            cells.text(dialect, Goal.life_area),
            cells.text(dialect, Department.code),
            case((scope.free_text(), cells.text(dialect, Goal.description)), else_=NOT_SHARED),
            Wave.key,
            GoalStatus.status,
            case((Goal.deleted_at.is_(None), "false"), else_="true"),
            Family.municipality_id,
        )
        # One explicit join tree: two aliases of the pseudonym table leave the ORM's own
        # inference of a join's left side ambiguous.
        .select_from(
            Plan.__table__.join(Goal.__table__, Goal.plan_id == Plan.id)
            .join(Family.__table__, Family.id == Plan.family_id)
            .join(Municipality.__table__, Municipality.id == Family.municipality_id)
            .join(family, family_joined)
            .join(goal, goal_joined)
            .outerjoin(Department.__table__, Department.id == Goal.responsible_department_id)
            .outerjoin(GoalStatus.__table__, GoalStatus.goal_id == Goal.id)
            .outerjoin(Wave.__table__, Wave.id == GoalStatus.wave_id)
        )
        # A status recorded at a wave not yet approved stays out; a goal without one does not.
        .where(scope.families(), or_(Wave.id.is_(None), scope.approved_waves()))
        .order_by(Plan.family_id, Goal.id, GoalStatus.id)
    )
    return scoped(statement, Plan, Goal, Family, Municipality, GoalStatus, Wave)


def waves(selection: Selection, dialect: str) -> Select[Any]:
    """One row per granted, approved wave of a consenting family."""
    scope = selection.scope
    family, family_joined = pseudonyms.of("family", Wave.family_id, "pf")
    completed_day = cells.local_day(dialect, Wave.completed_at)
    last_day = cells.local_day(dialect, windows.last_submitted())
    statement = (
        select(
            family.c.value,
            cells.text(dialect, Municipality.code),
            Family.team_model,
            Wave.key,
            cells.months(dialect, Family.enrolment_date, Wave.due_date),
            case((Wave.completed_at.is_(None), "false"), else_="true"),
            case(
                (Wave.completed_at.is_(None), None),
                (completed_day <= Wave.window_end, "true"),
                else_="false",
            ),
            cells.days_between(dialect, Wave.due_date, last_day),
            windows.latest_reason(),
            Family.municipality_id,
        )
        .join(Family, Family.id == Wave.family_id)
        .join(Municipality, Municipality.id == Family.municipality_id)
        .join(family, family_joined)
        .where(scope.families(), scope.waves())
        .order_by(Wave.family_id, Wave.due_date)
    )
    return scoped(statement, Wave, Family, Municipality)


def counted(statement: Select[Any]) -> Select[Any]:
    """Rows per municipality of a table's statement, without making its cells."""
    return (
        statement.with_only_columns(
            Family.municipality_id, func.count(), maintain_column_froms=True
        )
        .group_by(Family.municipality_id)
        .order_by(None)
    )


def without_municipality(statement: Select[Any]) -> Select[Any]:
    """The statement without its last column, the municipality that only counts rows."""
    columns = list(statement.selected_columns)[:-1]
    return statement.with_only_columns(*columns, maintain_column_froms=True)
