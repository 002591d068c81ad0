"""The evaluation indicators: each defined once, computed by the database.

Every indicator is a row of :data:`INDICATORS`: its name, definition, numerator,
denominator and wave basis in Danish and English (``docs/indicators.md`` is generated from
them), and a function that builds one SQL statement. Each statement returns, per
municipality and team model, the number of people (or families, or waves) the figure is
based on and its numerator (a share) or sum (a mean). Municipality, pooled and team-model
figures are sums of those rows, so the database does the per-person work and Python only
adds up a handful of groups; :mod:`app.reports.disclosure` then decides what may be shown.

The statements use only what SQLite and PostgreSQL share (JSON access through SQLAlchemy,
window functions, ``CASE``), plus the two date functions in :mod:`app.reports.sql`.

They do not read the submissions themselves. :func:`compute` first copies the cohort's
submitted answers, with their wave and family and only the answers the indicators read
(:data:`FACTS`, typed), into a temporary table of its connection; the statements read
that. Joining waves and families, checking consent and grants and extracting JSON then
happen once per run instead of once per indicator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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
    extract,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    union_all,
)

from app.collection.models import FormVersion, Submission
from app.core.db import db
from app.families.models import Family, Member, Wave
from app.reports.sql import days_between, utc_date
from app.tenancy.scoping import scoped

Text = dict[str, str]

#: "Within 6 months" of enrolment, the same number of days everywhere (calendar months
#: differ between the databases at month ends).
SIX_MONTHS_DAYS = 183
#: A change of 10 points on WHO-5's 0–100 scale is a meaningful change.
WHO5_MEANINGFUL_CHANGE = 10
#: Age band of the seed evaluation's typical parent.
WOMEN_AGE_BAND = (30, 40)


@dataclass(frozen=True)
class GrantScope:
    period_from: date | None
    period_to: date | None
    forms: tuple[str, ...]
    wave_kinds: tuple[str, ...]
    approved_waves: tuple[str, ...]


@dataclass(frozen=True)
class Cohort:
    """Whose data an indicator run covers.

    *study* narrows it to what the study may see: consenting families, each grant's
    enrolment period, forms and wave kinds, and only waves a lead has approved.
    """

    municipality_ids: tuple[int, ...]
    as_of: date
    study_id: int | None = None
    #: municipality id -> what its grant lets the study see
    grants: dict[int, GrantScope] = field(default_factory=dict)

    def families(self) -> ColumnElement[bool]:
        clause = Family.municipality_id.in_(self.municipality_ids)
        if self.study_id is None:
            return clause
        consenting = select(Submission.family_id).where(
            Submission.form_id == "family_intake",
            Submission.status == "submitted",
            Submission.answers["research_consent"].as_boolean() == true(),
        )
        periods = [
            and_(
                Family.municipality_id == municipality_id,
                Family.enrolment_date >= grant.period_from if grant.period_from else true(),
                Family.enrolment_date <= grant.period_to if grant.period_to else true(),
            )
            for municipality_id, grant in self.grants.items()
        ]
        return and_(clause, Family.id.in_(consenting), or_(false(), *periods))

    def waves(self) -> ColumnElement[bool]:
        if self.study_id is None:
            return true()
        return or_(
            false(),
            *(
                and_(
                    Wave.municipality_id == municipality_id,
                    Wave.kind.in_(grant.wave_kinds),
                    Wave.key.in_(grant.approved_waves),
                )
                for municipality_id, grant in self.grants.items()
            ),
        )

    def forms(self) -> ColumnElement[bool]:
        if self.study_id is None:
            return true()
        return or_(
            false(),
            *(
                and_(
                    Submission.municipality_id == municipality_id,
                    Submission.form_id.in_(grant.forms),
                )
                for municipality_id, grant in self.grants.items()
            ),
        )


@dataclass(frozen=True)
class Codes:
    """Code sets the definitions depend on, read from the published code lists."""

    self_supporting: tuple[str, ...]
    income_support: tuple[str, ...]


@dataclass(frozen=True)
class Indicator:
    id: str
    #: "count", "rate" (a share in percent) or "mean".
    kind: str
    #: What is counted: "families", "adults", "children" or "waves".
    unit: str
    section: str
    name: Text
    definition: Text
    numerator: Text
    denominator: Text
    basis: Text
    statement: Callable[[Cohort, Codes], Select[Any]] = field(repr=False, compare=False)


# --- building blocks -------------------------------------------------------------------


#: Every answer an indicator reads, and the type it is read as.
FACTS: dict[str, type] = {
    "active_case": Boolean,
    "birth_year": Integer,
    "case_start_date": String,
    "employment_activity": Boolean,
    "employment_activity_date": String,
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


def _extract(name: str, kind: type) -> ColumnElement[Any]:
    answer = Submission.answers[name]
    if kind is Boolean:
        return answer.as_boolean()
    if kind is Integer:
        return answer.as_integer()
    if kind is Float:
        return answer.as_float()
    return answer.as_string()


def _fill_facts(cohort: Cohort) -> None:
    """Copy the cohort's submitted answers into :data:`facts_table` (created afresh)."""
    connection = db.session.connection()
    facts_table.drop(connection, checkfirst=True)
    facts_table.create(connection)
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
            *(_extract(name, kind) for name, kind in FACTS.items()),
        )
        .join(Wave, Wave.id == Submission.wave_id)
        .join(Family, Family.id == Submission.family_id)
        .where(
            Submission.status == "submitted",
            Submission.form_id.in_(FACT_FORMS),
            cohort.families(),
            cohort.waves(),
            cohort.forms(),
        )
    )
    # The session scopes the SELECTs it runs, not the source of an INSERT: apply the
    # tenant rules here, so a cohort outside the scope copies nothing.
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
    """An answer column of the facts table, read the way a JSON answer is read."""

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


def _self_supporting(source: Subquery, codes: Codes) -> ColumnElement[bool]:
    return _answer(source, "income_support").as_string().in_(codes.self_supporting)


# --- the statements --------------------------------------------------------------------


def _families_enrolled(cohort: Cohort, codes: Codes) -> Select[Any]:
    families = select(Family.municipality_id, Family.team_model).where(cohort.families()).subquery()
    return _groups(families, func.count(), func.count())


def _members(role: str) -> Callable[[Cohort, Codes], Select[Any]]:
    def statement(cohort: Cohort, codes: Codes) -> Select[Any]:
        members = (
            select(Family.municipality_id, Family.team_model)
            .join(Member, Member.family_id == Family.id)
            .where(cohort.families(), Member.role == role)
            .subquery()
        )
        return _groups(members, func.count(), func.count())

    return statement


def _income_support_intake(cohort: Cohort, codes: Codes) -> Select[Any]:
    s = _submitted(cohort, "adult_intake")
    code = _answer(s, "income_support").as_string()
    return _groups(
        s,
        func.count(),
        _count_if(code.in_(codes.income_support)),
        code.is_not(None),
        code != "unknown",
    )


def _years_employment_unit(cohort: Cohort, codes: Codes) -> Select[Any]:
    s = _submitted(cohort, "adult_intake")
    years = _answer(s, "years_with_employment_unit").as_float()
    return _groups(s, func.count(), func.sum(years), years.is_not(None))


def _women_30_40(cohort: Cohort, codes: Codes) -> Select[Any]:
    s = _submitted(cohort, "adult_intake")
    sex = _answer(s, "sex").as_string()
    birth_year = _answer(s, "birth_year").as_integer()
    age = extract("year", s.c.enrolment_date) - birth_year
    low, high = WOMEN_AGE_BAND
    return _groups(
        s,
        func.count(),
        _count_if(and_(sex == "female", age >= low, age <= high)),
        sex.is_not(None),
        sex != "unknown",
        birth_year.is_not(None),
    )


def _single_parent(cohort: Cohort, codes: Codes) -> Select[Any]:
    s = _submitted(cohort, "family_intake")
    household = _answer(s, "household_type").as_string()
    return _groups(s, func.count(), _count_if(household == "single_parent"), household.is_not(None))


def _active_case_intake(cohort: Cohort, codes: Codes) -> Select[Any]:
    s = _submitted(cohort, "child_intake")
    active = _answer(s, "active_case").as_boolean()
    return _groups(s, func.count(), _count_if(active == true()), active.is_not(None))


def _case_years_intake(cohort: Cohort, codes: Codes) -> Select[Any]:
    s = _submitted(cohort, "child_intake")
    start = _answer(s, "case_start_date").as_string()
    years = cast(days_between(s.c.enrolment_date, start), Float) / 365.25
    return _groups(
        s,
        func.count(),
        func.sum(years),
        _answer(s, "active_case").as_boolean() == true(),
        start.is_not(None),
    )


def _ever_self_supporting(cohort: Cohort, codes: Codes) -> Subquery:
    """One row per adult with a follow-up: whether any follow-up found them self-supporting."""
    s = _submitted(cohort, "adult_follow_up")
    return (
        select(
            s.c.member_id,
            s.c.family_id,
            s.c.municipality_id,
            s.c.team_model,
            func.max(case((_self_supporting(s, codes), 1), else_=0)).label("flag"),
        )
        .group_by(s.c.member_id, s.c.family_id, s.c.municipality_id, s.c.team_model)
        .subquery()
    )


def _self_supporting_any(cohort: Cohort, codes: Codes) -> Select[Any]:
    adults = _ever_self_supporting(cohort, codes)
    return _groups(adults, func.count(), func.sum(adults.c.flag))


def _self_supporting_latest(cohort: Cohort, codes: Codes) -> Select[Any]:
    latest = _latest(_submitted(cohort, "adult_follow_up"), "member_id")
    return _groups(latest, func.count(), _count_if(_self_supporting(latest, codes)))


def _case_closed_children(cohort: Cohort) -> Subquery:
    """Children with an active case at intake and a follow-up: whether one found it closed."""
    intake = _submitted(cohort, "child_intake")
    follow = _submitted(cohort, "child_follow_up")
    # Joins rather than IN (subquery): PostgreSQL plans nested IN over grouped subqueries
    # as repeated scans, which grows with the square of the cohort.
    return (
        select(
            follow.c.member_id,
            follow.c.family_id,
            follow.c.municipality_id,
            follow.c.team_model,
            func.max(
                case((_answer(follow, "active_case").as_boolean() == false(), 1), else_=0)
            ).label("flag"),
        )
        .join(intake, intake.c.member_id == follow.c.member_id)
        .where(_answer(intake, "active_case").as_boolean() == true())
        .group_by(
            follow.c.member_id, follow.c.family_id, follow.c.municipality_id, follow.c.team_model
        )
        .subquery()
    )


def _case_closed(cohort: Cohort, codes: Codes) -> Select[Any]:
    children = _case_closed_children(cohort)
    return _groups(children, func.count(), func.sum(children.c.flag))


def _interventions(after: bool) -> Callable[[Cohort, Codes], Select[Any]]:
    def statement(cohort: Cohort, codes: Codes) -> Select[Any]:
        adults = _submitted(cohort, "adult_follow_up")
        first = (
            select(adults.c.family_id, func.min(adults.c.due_date).label("first_due"))
            .where(_self_supporting(adults, codes))
            .group_by(adults.c.family_id)
            .subquery()
        )
        s = _submitted(cohort, "child_intake", "child_follow_up")
        count = _answer(s, "n_interventions").as_float()
        side = s.c.due_date >= first.c.first_due if after else s.c.due_date < first.c.first_due
        per_child = (
            select(
                s.c.member_id,
                s.c.municipality_id,
                s.c.team_model,
                func.avg(count).label("mean"),
            )
            .join(first, first.c.family_id == s.c.family_id)
            .where(count.is_not(None), side)
            .group_by(s.c.member_id, s.c.municipality_id, s.c.team_model)
            .subquery()
        )
        return _groups(per_child, func.count(), func.sum(per_child.c.mean))

    return statement


def _family_number(form_id: str, name: str, latest: bool) -> Callable[[Cohort, Codes], Select[Any]]:
    def statement(cohort: Cohort, codes: Codes) -> Select[Any]:
        s = _submitted(cohort, form_id)
        if latest:
            s = _latest(s, "family_id", _answer(s, name).as_float().is_not(None))
        value = _answer(s, name).as_float()
        return _groups(s, func.count(), func.sum(value), value.is_not(None))

    return statement


def _activity_within_six_months(cohort: Cohort, codes: Codes) -> Select[Any]:
    adults = _submitted(cohort, "adult_intake")
    any_wave = _submitted(cohort, "adult_intake", "adult_follow_up")
    started = _answer(any_wave, "employment_activity_date").as_string()
    days = days_between(started, any_wave.c.enrolment_date)
    early = select(any_wave.c.member_id).where(
        _answer(any_wave, "employment_activity").as_boolean() == true(),
        started.is_not(None),
        days >= 0,
        days <= SIX_MONTHS_DAYS,
    )
    return _groups(adults, func.count(), _count_if(adults.c.member_id.in_(early)))


def _closed_case_and_self_supporting(cohort: Cohort, codes: Codes) -> Select[Any]:
    children = _case_closed_children(cohort)
    adults = _ever_self_supporting(cohort, codes)
    # One list of both kinds of flag, then one group per family: a join of the two
    # grouped subqueries has no index to use, and SQLite ran it in time squared.
    flags = union_all(
        select(
            children.c.family_id,
            children.c.municipality_id,
            children.c.team_model,
            children.c.flag.label("closed"),
            literal(0).label("working"),
        ),
        select(
            adults.c.family_id,
            adults.c.municipality_id,
            adults.c.team_model,
            literal(0).label("closed"),
            adults.c.flag.label("working"),
        ),
    ).subquery()
    families = (
        select(flags.c.municipality_id, flags.c.team_model)
        .group_by(flags.c.family_id, flags.c.municipality_id, flags.c.team_model)
        .having(and_(func.max(flags.c.closed) == 1, func.max(flags.c.working) == 1))
        .subquery()
    )
    return _groups(families, func.count(), func.count())


def _who5(latest: bool) -> Callable[[Cohort, Codes], Select[Any]]:
    def statement(cohort: Cohort, codes: Codes) -> Select[Any]:
        s = _submitted(cohort, "adult_follow_up" if latest else "adult_intake")
        if latest:
            s = _latest(s, "member_id", _answer(s, "who5_score").as_float().is_not(None))
        score = _answer(s, "who5_score").as_float()
        return _groups(s, func.count(), func.sum(score), score.is_not(None))

    return statement


def _who5_improved(cohort: Cohort, codes: Codes) -> Select[Any]:
    intake = _submitted(cohort, "adult_intake")
    follow = _submitted(cohort, "adult_follow_up")
    latest = _latest(follow, "member_id", _answer(follow, "who5_score").as_float().is_not(None))
    before = _answer(intake, "who5_score").as_float()
    after = _answer(latest, "who5_score").as_float()
    pairs = (
        select(
            latest.c.municipality_id,
            latest.c.team_model,
            (after - before).label("change"),
        )
        .join(intake, intake.c.member_id == latest.c.member_id)
        .where(before.is_not(None))
        .subquery()
    )
    return _groups(pairs, func.count(), _count_if(pairs.c.change >= WHO5_MEANINGFUL_CHANGE))


def _completeness(cohort: Cohort, codes: Codes) -> Select[Any]:
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
        waves.c.completed_at.is_not(None), utc_date(waves.c.completed_at) <= waves.c.window_end
    )
    return _groups(waves, func.count(), _count_if(on_time))


def _t(da: str, en: str) -> Text:
    return {"da": da, "en": en}


_NONE = _t("", "")
_INTAKE = _t("Indskrivning", "Intake")
_FOLLOW = _t("Alle opfølgninger og afslutning", "Every follow-up and exit")
_LATEST = _t("Seneste opfølgning eller afslutning", "Latest follow-up or exit")

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "families_enrolled",
        "count",
        "families",
        "enrolment",
        _t("Indskrevne familier", "Families enrolled"),
        _t("Familier indskrevet i forløbet.", "Families enrolled in the programme."),
        _NONE,
        _NONE,
        _t("Familien", "The family record"),
        _families_enrolled,
    ),
    Indicator(
        "adults_enrolled",
        "count",
        "adults",
        "enrolment",
        _t("Indskrevne voksne", "Adults enrolled"),
        _t(
            "Voksne registreret i de indskrevne familier.",
            "Adults registered in the enrolled families.",
        ),
        _NONE,
        _NONE,
        _t("Familien", "The family record"),
        _members("adult"),
    ),
    Indicator(
        "children_enrolled",
        "count",
        "children",
        "enrolment",
        _t("Indskrevne børn", "Children enrolled"),
        _t(
            "Børn registreret i de indskrevne familier.",
            "Children registered in the enrolled families.",
        ),
        _NONE,
        _NONE,
        _t("Familien", "The family record"),
        _members("child"),
    ),
    Indicator(
        "adults_income_support_intake",
        "rate",
        "adults",
        "intake",
        _t("Voksne på offentlig forsørgelse ved start", "Adults on income support at intake"),
        _t(
            "Andel af de voksne, hvis forsørgelse ved indskrivning er en offentlig ydelse.",
            "Share of adults whose income at intake is a public benefit.",
        ),
        _t(
            "Voksne med en offentlig ydelse (ikke selvforsørgende, ikke 'ukendt')",
            "Adults on a public benefit (not self-supporting, not 'unknown')",
        ),
        _t(
            "Voksne med besvaret forsørgelse ved indskrivning, undtagen 'ukendt'",
            "Adults with income support answered at intake, except 'unknown'",
        ),
        _INTAKE,
        _income_support_intake,
    ),
    Indicator(
        "adults_years_employment_unit_intake",
        "mean",
        "adults",
        "intake",
        _t(
            "År i kontakt med beskæftigelsesenheden ved start",
            "Years with the employment unit at intake",
        ),
        _t(
            "Gennemsnitligt antal år, de voksne har været tilknyttet beskæftigelsesenheden.",
            "Mean number of years the adults have been attached to the employment unit.",
        ),
        _t("Summen af år", "Sum of years"),
        _t("Voksne med besvaret antal år", "Adults with the years answered"),
        _INTAKE,
        _years_employment_unit,
    ),
    Indicator(
        "adults_women_30_40",
        "rate",
        "adults",
        "intake",
        _t("Voksne, der er kvinder på 30–40 år", "Adults who are women aged 30–40"),
        _t(
            "Andel af de voksne, der er kvinder og fylder 30 til 40 år i indskrivningsåret "
            "(indskrivningsår minus fødselsår).",
            "Share of adults who are women turning 30 to 40 in the year of enrolment "
            "(enrolment year minus birth year).",
        ),
        _t("Kvinder på 30–40 år", "Women aged 30–40"),
        _t(
            "Voksne med køn (ikke 'ukendt') og fødselsår besvaret",
            "Adults with sex (not 'unknown') and birth year answered",
        ),
        _INTAKE,
        _women_30_40,
    ),
    Indicator(
        "single_parent_households",
        "rate",
        "families",
        "intake",
        _t("Familier med én forælder", "Single-parent households"),
        _t(
            "Andel af familierne med husstandstypen 'enlig forsørger'.",
            "Share of families whose household type is 'single parent'.",
        ),
        _t("Familier med én forælder", "Single-parent families"),
        _t("Familier med husstandstype besvaret", "Families with household type answered"),
        _INTAKE,
        _single_parent,
    ),
    Indicator(
        "children_active_case_intake",
        "rate",
        "children",
        "intake",
        _t("Børn med en aktiv børnesag ved start", "Children with an active case at intake"),
        _t(
            "Andel af børnene med en åben børne- og familiesag ved indskrivning.",
            "Share of children with an open child-welfare case at intake.",
        ),
        _t("Børn med aktiv sag", "Children with an active case"),
        _t("Børn med 'aktiv sag' besvaret", "Children with 'active case' answered"),
        _INTAKE,
        _active_case_intake,
    ),
    Indicator(
        "children_case_years_intake",
        "mean",
        "children",
        "intake",
        _t("Børnesagernes alder ved start (år)", "Age of the children's cases at intake (years)"),
        _t(
            "Gennemsnitlig tid fra sagens start til familiens indskrivning, i år (dage / 365,25), "
            "for børn med en aktiv sag.",
            "Mean time from the case's start to the family's enrolment, in years "
            "(days / 365.25), for children with an active case.",
        ),
        _t("Summen af sagernes alder", "Sum of the cases' ages"),
        _t("Børn med aktiv sag og startdato", "Children with an active case and its start date"),
        _INTAKE,
        _case_years_intake,
    ),
    Indicator(
        "adults_self_supporting_any",
        "rate",
        "adults",
        "during",
        _t("Voksne selvforsørgende på et tidspunkt", "Adults self-supporting at any follow-up"),
        _t(
            "Andel af de voksne, der ved mindst én opfølgning eller afslutning er "
            "selvforsørgende (ordinært arbejde, uddannelse eller anden selvforsørgelse).",
            "Share of adults who are self-supporting (ordinary employment, education or "
            "otherwise self-supporting) at one follow-up or exit at least.",
        ),
        _t(
            "Voksne selvforsørgende ved mindst én opfølgning",
            "Adults self-supporting at one follow-up at least",
        ),
        _t("Voksne med mindst én opfølgning", "Adults with one follow-up at least"),
        _FOLLOW,
        _self_supporting_any,
    ),
    Indicator(
        "adults_self_supporting_latest",
        "rate",
        "adults",
        "during",
        _t(
            "Voksne selvforsørgende ved seneste opfølgning",
            "Adults self-supporting at their latest wave",
        ),
        _t(
            "Andel af de voksne, der er selvforsørgende ved deres seneste opfølgning eller "
            "afslutning.",
            "Share of adults who are self-supporting at their latest follow-up or exit.",
        ),
        _t(
            "Voksne selvforsørgende ved seneste opfølgning",
            "Adults self-supporting at the latest follow-up",
        ),
        _t("Voksne med mindst én opfølgning", "Adults with one follow-up at least"),
        _LATEST,
        _self_supporting_latest,
    ),
    Indicator(
        "children_case_closed",
        "rate",
        "children",
        "during",
        _t("Børn, hvis sag er lukket", "Children whose case closed"),
        _t(
            "Andel af børnene med aktiv sag ved start, hvis sag ved en opfølgning eller "
            "afslutning ikke længere er aktiv.",
            "Share of children with an active case at intake whose case is no longer active "
            "at a follow-up or exit.",
        ),
        _t(
            "Børn med sagen lukket ved en opfølgning",
            "Children with the case closed at a follow-up",
        ),
        _t(
            "Børn med aktiv sag ved start og mindst én opfølgning",
            "Children with an active case at intake and one follow-up at least",
        ),
        _FOLLOW,
        _case_closed,
    ),
    Indicator(
        "interventions_before_self_supporting",
        "mean",
        "children",
        "during",
        _t(
            "Indsatser pr. barn før en forælder blev selvforsørgende",
            "Interventions per child before a parent became self-supporting",
        ),
        _t(
            "I familier, hvor en voksen blev selvforsørgende: for hvert barn gennemsnittet af "
            "antal indsatser i bølgerne før den første opfølgning, hvor en voksen var "
            "selvforsørgende; derefter gennemsnittet over børnene.",
            "In families where an adult became self-supporting: for each child the mean "
            "number of interventions in the waves before the first follow-up at which an "
            "adult was self-supporting; then the mean over the children.",
        ),
        _t("Summen af børnenes gennemsnit", "Sum of the children's means"),
        _t("Børn med antal indsatser besvaret før", "Children with interventions answered before"),
        _t("Indskrivning og opfølgninger før", "Intake and follow-ups before"),
        _interventions(after=False),
    ),
    Indicator(
        "interventions_after_self_supporting",
        "mean",
        "children",
        "during",
        _t(
            "Indsatser pr. barn efter en forælder blev selvforsørgende",
            "Interventions per child after a parent became self-supporting",
        ),
        _t(
            "Som ovenfor, for bølgerne fra og med den første opfølgning, hvor en voksen var "
            "selvforsørgende.",
            "As above, for the waves from the first follow-up at which an adult was "
            "self-supporting on.",
        ),
        _t("Summen af børnenes gennemsnit", "Sum of the children's means"),
        _t("Børn med antal indsatser besvaret efter", "Children with interventions answered after"),
        _t("Opfølgninger fra og med", "Follow-ups from then on"),
        _interventions(after=True),
    ),
    Indicator(
        "contact_persons_intake",
        "mean",
        "families",
        "intake",
        _t("Kontaktpersoner pr. familie ved start", "Contact persons per family at intake"),
        _t(
            "Gennemsnitligt antal sagsbehandlere og kontaktpersoner, familien har.",
            "Mean number of caseworkers and contact persons the family has.",
        ),
        _t("Summen af kontaktpersoner", "Sum of contact persons"),
        _t("Familier med antallet besvaret", "Families with the number answered"),
        _INTAKE,
        _family_number("family_intake", "n_contact_persons", latest=False),
    ),
    Indicator(
        "contact_persons_latest",
        "mean",
        "families",
        "during",
        _t(
            "Kontaktpersoner pr. familie ved seneste opfølgning",
            "Contact persons per family at the latest wave",
        ),
        _t(
            "Som ovenfor, ved familiens seneste opfølgning eller afslutning.",
            "As above, at the family's latest follow-up or exit.",
        ),
        _t("Summen af kontaktpersoner", "Sum of contact persons"),
        _t(
            "Familier med antallet besvaret ved en opfølgning",
            "Families with the number answered at a follow-up",
        ),
        _LATEST,
        _family_number("family_follow_up", "n_contact_persons", latest=True),
    ),
    Indicator(
        "plans_intake",
        "mean",
        "families",
        "intake",
        _t("Separate planer pr. familie ved start", "Separate plans per family at intake"),
        _t(
            "Gennemsnitligt antal separate planer, familien er omfattet af.",
            "Mean number of separate plans the family is subject to.",
        ),
        _t("Summen af planer", "Sum of plans"),
        _t("Familier med antallet besvaret", "Families with the number answered"),
        _INTAKE,
        _family_number("family_intake", "n_plans", latest=False),
    ),
    Indicator(
        "plans_latest",
        "mean",
        "families",
        "during",
        _t(
            "Separate planer pr. familie ved seneste opfølgning",
            "Separate plans per family at the latest wave",
        ),
        _t(
            "Som ovenfor, ved familiens seneste opfølgning eller afslutning.",
            "As above, at the family's latest follow-up or exit.",
        ),
        _t("Summen af planer", "Sum of plans"),
        _t(
            "Familier med antallet besvaret ved en opfølgning",
            "Families with the number answered at a follow-up",
        ),
        _LATEST,
        _family_number("family_follow_up", "n_plans", latest=True),
    ),
    Indicator(
        "adults_activity_within_6_months",
        "rate",
        "adults",
        "during",
        _t(
            "Voksne med beskæftigelsesrettet aktivitet inden 6 måneder",
            "Adults with an employment-oriented activity within 6 months",
        ),
        _t(
            f"Andel af de voksne, hvis beskæftigelsesrettede aktivitet startede 0–"
            f"{SIX_MONTHS_DAYS} dage efter indskrivningen (oplyst ved indskrivning eller en "
            f"opfølgning).",
            f"Share of adults whose employment-oriented activity started 0–{SIX_MONTHS_DAYS} "
            f"days after enrolment (as reported at intake or a follow-up).",
        ),
        _t(
            "Voksne med aktivitet startet inden for perioden",
            "Adults with an activity started in the period",
        ),
        _t("Voksne med indskrivningsskema", "Adults with an intake form"),
        _t("Indskrivning og alle opfølgninger", "Intake and every follow-up"),
        _activity_within_six_months,
    ),
    Indicator(
        "families_case_closed_and_self_supporting",
        "count",
        "families",
        "during",
        _t(
            "Familier med lukket børnesag og en selvforsørgende voksen",
            "Families with a closed child case and a self-supporting adult",
        ),
        _t(
            "Familier, hvor mindst ét barns sag er lukket (som ovenfor), og mindst én voksen "
            "har været selvforsørgende ved en opfølgning.",
            "Families where at least one child's case closed (as above) and at least one "
            "adult was self-supporting at a follow-up.",
        ),
        _NONE,
        _NONE,
        _FOLLOW,
        _closed_case_and_self_supporting,
    ),
    Indicator(
        "who5_intake",
        "mean",
        "adults",
        "wellbeing",
        _t("WHO-5 ved start", "WHO-5 at intake"),
        _t(
            "Gennemsnitlig WHO-5-score (0–100) for de voksne ved indskrivning.",
            "Mean WHO-5 score (0–100) of the adults at intake.",
        ),
        _t("Summen af scorer", "Sum of scores"),
        _t("Voksne med en score", "Adults with a score"),
        _INTAKE,
        _who5(latest=False),
    ),
    Indicator(
        "who5_latest",
        "mean",
        "adults",
        "wellbeing",
        _t("WHO-5 ved seneste opfølgning", "WHO-5 at the latest wave"),
        _t(
            "Gennemsnitlig WHO-5-score ved den voksnes seneste opfølgning med en score.",
            "Mean WHO-5 score at the adult's latest follow-up with a score.",
        ),
        _t("Summen af scorer", "Sum of scores"),
        _t("Voksne med en score ved en opfølgning", "Adults with a score at a follow-up"),
        _LATEST,
        _who5(latest=True),
    ),
    Indicator(
        "who5_improved_10",
        "rate",
        "adults",
        "wellbeing",
        _t(
            "Voksne med WHO-5 forbedret 10 point eller mere",
            "Adults whose WHO-5 improved by 10 points or more",
        ),
        _t(
            "Andel af de voksne, hvis seneste WHO-5-score er mindst 10 point over scoren ved "
            "indskrivning.",
            "Share of adults whose latest WHO-5 score is at least 10 points above their "
            "intake score.",
        ),
        _t("Voksne forbedret mindst 10 point", "Adults improved by 10 points or more"),
        _t(
            "Voksne med score både ved start og ved en opfølgning",
            "Adults with a score at intake and at a follow-up",
        ),
        _t("Indskrivning og seneste opfølgning", "Intake and latest follow-up"),
        _who5_improved,
    ),
    Indicator(
        "follow_up_completeness",
        "rate",
        "waves",
        "quality",
        _t("Opfølgninger udfyldt til tiden", "Follow-ups completed on time"),
        _t(
            "Andel af de opfølgninger, hvis vindue er lukket, der blev fuldført senest på "
            "vinduets sidste dag.",
            "Share of follow-ups whose window has closed that were completed by the window's "
            "last day.",
        ),
        _t("Opfølgninger fuldført inden for vinduet", "Follow-ups completed within the window"),
        _t("Opfølgninger med lukket vindue", "Follow-ups whose window has closed"),
        _t("Opfølgninger", "Follow-ups"),
        _completeness,
    ),
)

BY_ID = {indicator.id: indicator for indicator in INDICATORS}

SECTIONS: dict[str, Text] = {
    "enrolment": _t("Indskrivning", "Enrolment"),
    "intake": _t("Familierne ved start", "The families at intake"),
    "during": _t("Under forløbet", "During the programme"),
    "wellbeing": _t("Trivsel", "Wellbeing"),
    "quality": _t("Datakvalitet", "Data quality"),
}


def codes() -> Codes:
    """Self-supporting and income-support codes from every published version's code list."""
    self_supporting: set[str] = set()
    support: set[str] = set()
    for version in db.session.scalars(
        select(FormVersion).where(FormVersion.form_id.in_(("adult_intake", "adult_follow_up")))
    ):
        codelist = version.form.codelists.get("income_support")
        for code in codelist.codes if codelist else ():
            flag = code.attributes.get("self_supporting")
            if flag is True:
                self_supporting.add(code.code)
            elif flag is False:
                support.add(code.code)
    return Codes(tuple(sorted(self_supporting)), tuple(sorted(support)))


#: (municipality id, team model) -> (n, numerator or sum)
Raw = dict[tuple[int, str], tuple[int, float]]


def compute(cohort: Cohort) -> dict[str, Raw]:
    """Every indicator's figures per municipality and team model: one statement each."""
    found = codes()
    results: dict[str, Raw] = {}
    _fill_facts(cohort)
    try:
        for indicator in INDICATORS:
            rows = db.session.execute(indicator.statement(cohort, found)).all()
            results[indicator.id] = {
                (row.municipality_id, row.team_model): (int(row.n or 0), float(row.value or 0))
                for row in rows
            }
    finally:
        _drop_facts()
    return results
