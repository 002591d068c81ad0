"""The SQL of each evaluation indicator: one statement per definition.

Each function builds the statement of one row of :data:`app.reports.indicators.INDICATORS`.
Each statement returns, per municipality and team model, the number of people (or
families, or waves) the figure is based on and its numerator (a share) or sum (a mean),
reading the cohort's typed answers through :mod:`app.reports.cohort`. The statements use
only what SQLite and PostgreSQL share (JSON access through SQLAlchemy, window functions,
``CASE``), plus the two date functions in :mod:`app.reports.sql`. They are kept apart from
the registry, whose wording they do not need, and from the cohort, which they only read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    Subquery,
    and_,
    case,
    cast,
    extract,
    false,
    func,
    literal,
    select,
    true,
    union_all,
)

from app.families.models import Family, Member, Wave
from app.reports.cohort import (
    Codes,
    Cohort,
    _answer,
    _count_if,
    _groups,
    _latest,
    _submitted,
)
from app.reports.sql import days_between, utc_date

#: "Within 6 months" of enrolment, the same number of days everywhere (calendar months
#: differ between the databases at month ends).
SIX_MONTHS_DAYS = 183
#: A change of 10 points on WHO-5's 0–100 scale is a meaningful change.
WHO5_MEANINGFUL_CHANGE = 10
#: Age band of the seed evaluation's typical parent.
WOMEN_AGE_BAND = (30, 40)


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
