"""The cohort an indicator run covers, and its answers copied once into a typed table.

:class:`Cohort` says whose data a run may read (for a study: what
:mod:`app.research.scope` lets it see). Before the indicators run,
:func:`_fill_facts` copies the cohort's submitted answers, with their wave and family and
only the answers the indicators read (:data:`FACTS`), into a temporary table of the
connection, one row per submission; the indicators' statements read that through the small
helpers here (:func:`_submitted`, :func:`_latest`, :func:`_groups`, :func:`_answer`,
:func:`_count_if`). The answers come from their typed copy (``answer_value``, written with
each submission), never from the JSON; joining waves and families and checking consent and
grants then happen once per run instead of once per indicator. It is separate from the
statements and the indicators of :mod:`app.reports.indicators` because every indicator
shares it and none defines it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Date,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Subquery,
    Table,
    and_,
    case,
    cast,
    false,
    func,
    insert,
    select,
    true,
)

from app.collection.models import Submission
from app.collection.typed import AnswerValue
from app.core.db import db
from app.families.models import Family, Wave
from app.research.scope import StudyScope
from app.tenancy.scoping import scoped


@dataclass(frozen=True)
class Cohort:
    """Whose data an indicator run covers.

    *scope* narrows it to what a study may see (:mod:`app.research.scope`, the one
    statement of it the research package uses too).
    """

    municipality_ids: tuple[int, ...]
    as_of: date
    scope: StudyScope | None = None

    def families(self) -> ColumnElement[bool]:
        clause = Family.municipality_id.in_(self.municipality_ids)
        return clause if self.scope is None else and_(clause, self.scope.families())

    def waves(self) -> ColumnElement[bool]:
        return true() if self.scope is None else self.scope.waves()

    def forms(self) -> ColumnElement[bool]:
        return true() if self.scope is None else self.scope.forms()

    def status_waves(self) -> ColumnElement[bool]:
        """Over :class:`Wave`: the waves a goal's status may count at (for a study: the
        approved ones, whatever their kind, as its package reads them)."""
        return true() if self.scope is None else self.scope.approved_waves()


@dataclass(frozen=True)
class Codes:
    """Code sets the definitions depend on, read from the published code lists."""

    self_supporting: tuple[str, ...]
    income_support: tuple[str, ...]


# --- building blocks -------------------------------------------------------------------


#: Every answer an indicator reads, and the type it is read as.
FACTS: dict[str, type] = {
    "active_case": Boolean,
    "birth_year": Integer,
    "case_start_date": Date,
    "employment_activity": Boolean,
    "employment_activity_date": Date,
    "household_type": String,
    "income_support": String,
    "n_contact_persons": Float,
    "n_interventions": Float,
    "n_plans": Float,
    "sex": String,
    "who5_score": Float,
    "years_with_employment_unit": Float,
}
#: The forms the indicators read.
FACT_FORMS = (
    "adult_follow_up",
    "adult_intake",
    "child_follow_up",
    "child_intake",
    "family_follow_up",
    "family_intake",
)
_facts_metadata = MetaData()
#: One row per submitted form of the cohort (a temporary table of compute's connection).
facts_table = Table(
    "helhed_indicator_facts",
    _facts_metadata,
    Column("family_id", Integer, nullable=False),
    Column("member_id", Integer),
    Column("form_id", String(120), nullable=False),
    Column("wave_id", Integer, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("municipality_id", Integer, nullable=False),
    Column("team_model", String(40), nullable=False),
    Column("enrolment_date", Date, nullable=False),
    *(Column(name, kind()) for name, kind in FACTS.items()),
    prefixes=["TEMPORARY"],
)
#: The statements join one form's rows to another form's rows of the same person or
#: family. SQLite would loop over the whole table for every row without these; PostgreSQL
#: hashes the join and only pays for building them, so they are made on SQLite alone.
_FACT_INDEXES = {"member": "form_id, member_id", "family": "form_id, family_id"}


#: The column of ``answer_value`` each type of fact is kept in.
_STORED_IN: dict[type, str] = {
    Boolean: "flag",
    Integer: "number",
    Float: "number",
    String: "text",
    Date: "day",
}


def _fact(name: str, kind: type) -> ColumnElement[Any]:
    """The answer *name* among one submission's typed rows (at most one row has the name,
    so MAX picks it, and gives NULL where it is not answered)."""
    values = AnswerValue.__table__.c
    stored = values[_STORED_IN[kind]]
    if kind is Boolean:
        # Neither database has a MAX of booleans that both share: take 1/0 and turn back.
        picked = func.max(case((values.name == name, case((stored, 1), else_=0))))
        return case((picked == 1, true()), (picked == 0, false()))
    picked = func.max(case((values.name == name, stored)))
    return cast(picked, Integer) if kind is Integer else picked


def _fill_facts(cohort: Cohort) -> None:
    """Copy the cohort's submitted answers into :data:`facts_table` (created afresh)."""
    connection = db.session.connection()
    facts_table.drop(connection, checkfirst=True)
    facts_table.create(connection)
    values = AnswerValue.__table__.c
    # The facts' rows turned into one row per submission first, then joined: measured
    # against grouping the join of submissions, waves, families and typed rows (1.5 to 1.9
    # times slower) and one join per fact (1.5 times slower on PostgreSQL), docs/performance.md.
    answers = (
        select(
            values.municipality_id,
            values.submission_id,
            *(_fact(name, kind).label(name) for name, kind in FACTS.items()),
        )
        .where(values.municipality_id.in_(cohort.municipality_ids), values.name.in_(FACTS))
        .group_by(values.municipality_id, values.submission_id)
        .subquery()
    )
    source = (
        select(
            Submission.family_id,
            Submission.member_id,
            Submission.form_id,
            Wave.id,
            Wave.due_date,
            Family.municipality_id,
            Family.team_model,
            Family.enrolment_date,
            *(answers.c[name] for name in FACTS),
        )
        .join(Wave, Wave.id == Submission.wave_id)
        .join(Family, Family.id == Submission.family_id)
        # An outer join: a submission that answers none of the facts still counts.
        .outerjoin(
            answers,
            and_(
                answers.c.municipality_id == Submission.municipality_id,
                answers.c.submission_id == Submission.id,
            ),
        )
        .where(
            Submission.status == "submitted",
            Submission.form_id.in_(FACT_FORMS),
            cohort.families(),
            cohort.waves(),
            cohort.forms(),
        )
    )
    # The session scopes the SELECTs it runs, not the source of an INSERT: apply the
    # tenant rules here, so a cohort outside the scope copies nothing. The typed rows
    # follow their submission's municipality in the join (and their own policies hold
    # them to the tenant on PostgreSQL).
    connection.execute(
        insert(facts_table).from_select(
            list(facts_table.c.keys()), scoped(source, Submission, Wave, Family)
        )
    )
    if connection.dialect.name == "sqlite":
        for name, columns in _FACT_INDEXES.items():  # after the rows: one sort, not many
            connection.exec_driver_sql(
                f"CREATE INDEX ix_{facts_table.name}_{name} ON {facts_table.name} ({columns})"
            )
    # Temporary tables get no statistics of their own (autovacuum never sees them), and
    # the planner needs them to choose its joins.
    connection.exec_driver_sql(f"ANALYZE {facts_table.name}")


def _drop_facts() -> None:
    facts_table.drop(db.session.connection(), checkfirst=True)


class _Fact:
    """An answer column of the facts table, read with the names the statements use."""

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column

    def as_string(self) -> ColumnElement[Any]:
        return self.column

    as_float = as_integer = as_boolean = as_string


def _submitted(cohort: Cohort, *form_ids: str) -> Subquery:
    """Submitted answers to *form_ids* of the cohort's families, with their wave and group."""
    unknown = set(form_ids) - set(FACT_FORMS)
    assert not unknown, f"add {unknown} to FACT_FORMS"
    return select(facts_table).where(facts_table.c.form_id.in_(form_ids)).subquery()


def _latest(source: Subquery, by: str, *where: ColumnElement[bool]) -> Subquery:
    """The latest row (by wave due date) per person or family among *source*'s rows."""
    order = func.row_number().over(
        partition_by=source.c[by], order_by=(source.c.due_date.desc(), source.c.wave_id.desc())
    )
    ranked = select(source, order.label("rank")).where(*where).subquery()
    return select(ranked).where(ranked.c.rank == 1).subquery()


def _groups(source: Subquery | Any, n: Any, value: Any, *where: Any) -> Select[Any]:
    return (
        select(
            source.c.municipality_id,
            source.c.team_model,
            n.label("n"),
            value.label("value"),
        )
        .where(*where)
        .group_by(source.c.municipality_id, source.c.team_model)
    )


def _answer(source: Subquery, name: str) -> _Fact:
    assert name in FACTS, f"add {name!r} to FACTS"
    return _Fact(source.c[name])


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _family_number(cohort: Cohort, form_id: str, name: str, latest: bool) -> Select[Any]:
    """The sum of a family's number asked by *form_id*: at each family's latest wave with
    it answered if *latest*, else over every submission of the form."""
    s = _submitted(cohort, form_id)
    if latest:
        s = _latest(s, "family_id", _answer(s, name).as_float().is_not(None))
    value = _answer(s, name).as_float()
    return _groups(s, func.count(), func.sum(value), value.is_not(None))
