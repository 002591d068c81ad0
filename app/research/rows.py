"""The rows of the research package: what a study may receive, read a batch at a time.

The selection of granted municipalities and what the study may see of them
(:mod:`app.research.scope`), and the generators that read answers, plan goals and waves
with column selects and yield them row by row, pseudonymised. What leaves is decided by
the scope's criteria in each statement (research consent, grant period, approved and
granted waves and forms, free text only where allowed), the same criteria the indicators
use. They are apart from the package writer, which only turns these rows into files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import or_, select

from app.collection.models import FormVersion, Submission
from app.core import dates
from app.core.db import db
from app.definitions.model import FieldDef, FormDef
from app.families.models import Family, Wave
from app.plans.models import Goal, GoalStatus, Plan
from app.research import windows
from app.research.confirmations import confirmed_cell
from app.research.models import Study
from app.research.scope import GrantScope, StudyScope, study_scope
from app.research.variables import (
    NOT_ANSWERED,
    NOT_IN_VERSION,
    NOT_SHARED,
    Pseudonyms,
    Variable,
    months_between,
)
from app.tenancy.models import Department, Municipality

#: Rows read from the database at a time, and how often a package reports its progress.
BATCH = 1000


def _streamed(statement: Any) -> Iterator[Any]:
    """The rows of *statement*, a batch at a time (``yield_per``). The server's cursor is
    closed however the reading ends, a cancelled export's included, which stops half-way."""
    with db.session.execute(statement) as result:
        yield from result


def batch_size() -> int:
    """:data:`BATCH`, unless ``EXPORT_BATCH_ROWS`` says otherwise (a test makes a small
    study report its progress while it reads, as a large one does)."""
    return int(current_app.config.get("EXPORT_BATCH_ROWS", BATCH))


@dataclass
class Selection:
    """What the study may receive: granted municipalities and the study's scope."""

    study: Study
    municipalities: dict[int, Municipality]
    scope: StudyScope
    #: Parsed snapshots, by form version id: read and parsed once per export. Selecting
    #: the definition with every answer row made decoding it most of an export's time.
    forms: dict[int, FormDef] = field(default_factory=dict)

    #: form version id -> (its questions by their qualified name, the prefix of its answers)
    questions: dict[int, tuple[dict[str, FieldDef], str]] = field(default_factory=dict)
    #: How each combination of versions fills a table's columns (see _merge).
    plans: dict[tuple[Any, ...], list[tuple[str, int]]] = field(default_factory=dict)

    @property
    def grants(self) -> Mapping[int, GrantScope]:
        """municipality id -> what its grant lets the study see"""
        return self.scope.grants

    def form(self, form_version_id: int) -> FormDef:
        if form_version_id not in self.forms:
            version = db.session.get(FormVersion, form_version_id)
            assert version is not None  # a foreign key of the submission
            self.forms[form_version_id] = FormDef.from_dict(version.definition)
        return self.forms[form_version_id]

    def asked(self, form_version_id: int) -> tuple[dict[str, FieldDef], str]:
        """A version's questions under their column names, and its answers' prefix.

        Local questions are namespaced (``brondby.x``); core ones are not.
        """
        if form_version_id not in self.questions:
            form = self.form(form_version_id)
            prefix = f"{form.namespace}." if form.is_local else ""
            self.questions[form_version_id] = (
                {f"{prefix}{fdef.name}": fdef for fdef in form.fields},
                prefix,
            )
        return self.questions[form_version_id]


def selection_for(study: Study) -> Selection:
    scope = study_scope(study.id)
    municipalities = {
        m.id: m
        for m in db.session.scalars(
            select(Municipality).where(Municipality.id.in_(scope.municipality_ids))
        )
    }
    return Selection(study, municipalities, scope)


def _answer_rows(
    selection: Selection,
    level: str,
    columns_by_slug: dict[str | None, list[Variable]],
    local: bool = False,
) -> Iterator[tuple[int, list[Any]]]:
    key = Pseudonyms(selection.study.pseudonym_key)
    scope = selection.scope
    ((slug, columns),) = columns_by_slug.items()
    statement = (
        select(
            Submission.family_id,
            Submission.member_id,
            Submission.form_id,
            Submission.answers,
            Submission.confirmed_checks,
            FormVersion.version,
            Submission.form_version_id,
            Wave.key,
            Wave.kind,
            Wave.due_date,
            Family.enrolment_date,
            Family.team_model,
            Family.municipality_id,
            Municipality.code,
            Municipality.slug,
            scope.free_text().label("free_text"),
        )
        .join(FormVersion, FormVersion.id == Submission.form_version_id)
        .join(Wave, Wave.id == Submission.wave_id)
        .join(Family, Family.id == Submission.family_id)
        .join(Municipality, Municipality.id == Family.municipality_id)
        .where(
            Submission.status == "submitted",
            FormVersion.level == level,
            scope.families(),
            scope.waves(),
            scope.forms(),
        )
        .order_by(
            Submission.family_id, Submission.member_id, Wave.due_date, Wave.id, Submission.form_id
        )
        .execution_options(yield_per=batch_size())
    )
    if slug is not None:
        statement = statement.where(Municipality.slug == slug)
    current: tuple[Any, ...] | None = None
    parts: list[Any] = []
    for row in _streamed(statement):
        if local != ("." in row.form_id):
            continue
        identity = (row.family_id, row.member_id, row.key)
        if identity != current and parts:
            yield _merge(parts, columns, key, level, selection)
            parts = []
        current = identity
        parts.append(row)
    if parts:
        yield _merge(parts, columns, key, level, selection)


# How _merge fills a column, decided once per combination of form versions; an answer
# given becomes a cell as its field's type says (a date as months since enrolment).
_ABSENT, _HIDDEN, _CELL = range(3)


def _column_plan(
    parts: list[Any], columns: list[Variable], free_text: bool, selection: Selection
) -> list[tuple[str, int, Any]]:
    asked: dict[str, FieldDef] = {}
    for part in parts:
        asked.update(selection.asked(part.form_version_id)[0])
    plan = []
    for variable in columns:
        fdef = asked.get(variable.name)
        if fdef is None:
            plan.append((variable.name, _ABSENT, None))
        elif variable.free_text and not free_text:
            plan.append((variable.name, _HIDDEN, None))
        else:
            plan.append((variable.name, _CELL, fdef.kind.export_cell))
    return plan


def _merge(
    parts: list[Any], columns: list[Variable], key: Pseudonyms, level: str, selection: Selection
) -> tuple[int, list[Any]]:
    first = parts[0]
    answers: dict[str, Any] = {}
    for part in parts:
        prefix = selection.asked(part.form_version_id)[1]
        if prefix:
            answers.update((prefix + name, value) for name, value in (part.answers or {}).items())
        else:
            answers.update(part.answers or {})
    # The columns list lives as long as the export, so its id is a safe part of the key.
    versions = tuple(part.form_version_id for part in parts)
    plan_key = (id(columns), versions, first.free_text)
    plan = selection.plans.get(plan_key)
    if plan is None:
        plan = selection.plans[plan_key] = _column_plan(parts, columns, first.free_text, selection)
    enrolment = first.enrolment_date
    row: list[Any] = [key("family", first.family_id)]
    if level != "family":
        row.append(key("person", first.member_id))
    row += [
        first.code,
        first.team_model,
        enrolment.year,
        (enrolment.month - 1) // 3 + 1,
        first.key,
        months_between(enrolment, first.due_date),
        "; ".join(f"{p.form_id}:{p.version}" for p in parts),
    ]
    append = row.append
    for name, mode, cell in plan:
        if mode == _ABSENT:
            append(NOT_IN_VERSION)
            continue
        value = answers.get(name)
        if value is None:
            append(NOT_ANSWERED)
        elif mode == _HIDDEN:
            append(NOT_SHARED)
        else:
            append(cell(value, enrolment))
    append(confirmed_cell(parts))
    return first.municipality_id, row


def _plan_rows(selection: Selection) -> Iterator[tuple[int, list[Any]]]:
    key = Pseudonyms(selection.study.pseudonym_key)
    scope = selection.scope
    statement = (
        select(
            Plan.family_id,
            Family.municipality_id,
            Family.enrolment_date,
            Family.team_model,
            Municipality.code,
            Goal.id,
            Goal.phase,
            Goal.life_area,
            Goal.description,
            Department.code.label("department"),
            Wave.key,
            GoalStatus.status,
            Goal.deleted_at,
            scope.free_text().label("free_text"),
        )
        .join(Goal, Goal.plan_id == Plan.id)
        .join(Family, Family.id == Plan.family_id)
        .join(Municipality, Municipality.id == Family.municipality_id)
        .outerjoin(Department, Department.id == Goal.responsible_department_id)
        .outerjoin(GoalStatus, GoalStatus.goal_id == Goal.id)
        .outerjoin(Wave, Wave.id == GoalStatus.wave_id)
        # A status recorded at a wave not yet approved stays out; a goal without one does not.
        .where(scope.families(), or_(Wave.id.is_(None), scope.approved_waves()))
        .order_by(Plan.family_id, Goal.id, GoalStatus.id)
        .execution_options(yield_per=batch_size())
    )
    for row in _streamed(statement):
        yield (
            row.municipality_id,
            [
                key("family", row.family_id),
                row.code,
                row.team_model,
                key("goal", row.id),
                row.phase,
                row.life_area,
                row.department,
                row.description if row.free_text else NOT_SHARED,
                row.key,
                row.status,
                row.deleted_at is not None,
            ],
        )


def _wave_rows(selection: Selection) -> Iterator[tuple[int, list[Any]]]:
    key = Pseudonyms(selection.study.pseudonym_key)
    scope = selection.scope
    statement = (
        select(
            Wave.family_id,
            Wave.key,
            Wave.kind,
            Wave.due_date,
            Wave.window_end,
            Wave.completed_at,
            Family.municipality_id,
            Family.enrolment_date,
            Family.team_model,
            Municipality.code,
            windows.last_submitted().label("last_submitted"),
            windows.latest_reason().label("window_reason"),
        )
        .join(Family, Family.id == Wave.family_id)
        .join(Municipality, Municipality.id == Family.municipality_id)
        .where(scope.families(), scope.waves())
        .order_by(Wave.family_id, Wave.due_date)
        .execution_options(yield_per=batch_size())
    )
    for row in _streamed(statement):
        completed = row.completed_at is not None
        on_time = dates.local_day(row.completed_at) <= row.window_end if completed else None
        yield (
            row.municipality_id,
            [
                key("family", row.family_id),
                row.code,
                row.team_model,
                row.key,
                months_between(row.enrolment_date, row.due_date),
                completed,
                on_time,
                *windows.cells(row.due_date, row.last_submitted, row.window_reason),
            ],
        )
