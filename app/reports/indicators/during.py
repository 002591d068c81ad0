"""Indicators of the section on the programme's course: work, cases, interventions, plans."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    case,
    false,
    func,
    literal,
    select,
    true,
    union_all,
)

from app.reports.cohort import (
    Codes,
    Cohort,
    _answer,
    _count_if,
    _family_number,
    _groups,
    _latest,
    _submitted,
)
from app.reports.indicators.registry import (
    EVERY_FOLLOW_UP,
    LATEST,
    indicator,
    text,
)
from app.reports.sql import days_between

#: "Within 6 months" of enrolment, the same number of days everywhere (calendar months
#: differ between the databases at month ends).
SIX_MONTHS_DAYS = 183


def _self_supporting(source: Subquery, codes: Codes) -> ColumnElement[bool]:
    return _answer(source, "income_support").as_string().in_(codes.self_supporting)


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


def _interventions(cohort: Cohort, codes: Codes, after: bool) -> Select[Any]:
    """Per child, the mean number of interventions in the waves before (or from) the
    first follow-up at which an adult of the family was self-supporting."""
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


@indicator(
    id="adults_self_supporting_any",
    kind="rate",
    unit="adults",
    section="during",
    name=text("Voksne selvforsørgende på et tidspunkt", "Adults self-supporting at any follow-up"),
    definition=text(
        "Andel af de voksne, der ved mindst én opfølgning eller afslutning er "
        "selvforsørgende (ordinært arbejde, uddannelse eller anden selvforsørgelse).",
        "Share of adults who are self-supporting (ordinary employment, education or "
        "otherwise self-supporting) at one follow-up or exit at least.",
    ),
    numerator=text(
        "Voksne selvforsørgende ved mindst én opfølgning",
        "Adults self-supporting at one follow-up at least",
    ),
    denominator=text("Voksne med mindst én opfølgning", "Adults with one follow-up at least"),
    basis=EVERY_FOLLOW_UP,
)
def adults_self_supporting_any(cohort: Cohort, codes: Codes) -> Select[Any]:
    adults = _ever_self_supporting(cohort, codes)
    return _groups(adults, func.count(), func.sum(adults.c.flag))


@indicator(
    id="adults_self_supporting_latest",
    kind="rate",
    unit="adults",
    section="during",
    name=text(
        "Voksne selvforsørgende ved seneste opfølgning",
        "Adults self-supporting at their latest wave",
    ),
    definition=text(
        "Andel af de voksne, der er selvforsørgende ved deres seneste opfølgning eller afslutning.",
        "Share of adults who are self-supporting at their latest follow-up or exit.",
    ),
    numerator=text(
        "Voksne selvforsørgende ved seneste opfølgning",
        "Adults self-supporting at the latest follow-up",
    ),
    denominator=text("Voksne med mindst én opfølgning", "Adults with one follow-up at least"),
    basis=LATEST,
)
def adults_self_supporting_latest(cohort: Cohort, codes: Codes) -> Select[Any]:
    latest = _latest(_submitted(cohort, "adult_follow_up"), "member_id")
    return _groups(latest, func.count(), _count_if(_self_supporting(latest, codes)))


@indicator(
    id="children_case_closed",
    kind="rate",
    unit="children",
    section="during",
    name=text("Børn, hvis sag er lukket", "Children whose case closed"),
    definition=text(
        "Andel af børnene med aktiv sag ved start, hvis sag ved en opfølgning eller "
        "afslutning ikke længere er aktiv.",
        "Share of children with an active case at intake whose case is no longer active "
        "at a follow-up or exit.",
    ),
    numerator=text(
        "Børn med sagen lukket ved en opfølgning",
        "Children with the case closed at a follow-up",
    ),
    denominator=text(
        "Børn med aktiv sag ved start og mindst én opfølgning",
        "Children with an active case at intake and one follow-up at least",
    ),
    basis=EVERY_FOLLOW_UP,
)
def children_case_closed(cohort: Cohort, codes: Codes) -> Select[Any]:
    children = _case_closed_children(cohort)
    return _groups(children, func.count(), func.sum(children.c.flag))


@indicator(
    id="children_case_closed_all",
    kind="rate",
    unit="children",
    section="during",
    name=text(
        "Børn, hvis sag er lukket, af alle børn",
        "Children whose case closed, of all children",
    ),
    definition=text(
        "Andel af alle børn med udfyldt indskrivning, hvis sag var aktiv ved start og ved en "
        "opfølgning eller afslutning ikke længere er aktiv. Tælleren er den samme som i "
        "«Børn, hvis sag er lukket»; nævneren er alle børnene, sådan som evalueringer, "
        "der opgør andelen af alle børn, regner.",
        "Share of all children with a submitted intake whose case was active at intake and "
        "is no longer active at a follow-up or exit. The numerator is that of «Children whose "
        "case closed»; the denominator is every child, as evaluations that report the share of "
        "all children count.",
    ),
    numerator=text(
        "Børn med sagen lukket ved en opfølgning",
        "Children with the case closed at a follow-up",
    ),
    denominator=text("Børn med udfyldt indskrivning", "Children with a submitted intake"),
    basis=text("Indskrivning, opfølgninger og afslutning", "Intake, follow-ups and exit"),
)
def children_case_closed_all(cohort: Cohort, codes: Codes) -> Select[Any]:
    intake = _submitted(cohort, "child_intake")
    closed = _case_closed_children(cohort)
    children = (
        select(
            intake.c.member_id,
            intake.c.municipality_id,
            intake.c.team_model,
            func.coalesce(func.max(closed.c.flag), 0).label("flag"),
        )
        .outerjoin(closed, closed.c.member_id == intake.c.member_id)
        .group_by(intake.c.member_id, intake.c.municipality_id, intake.c.team_model)
        .subquery()
    )
    return _groups(children, func.count(), func.sum(children.c.flag))


@indicator(
    id="interventions_before_self_supporting",
    kind="mean",
    unit="children",
    section="during",
    name=text(
        "Indsatser pr. barn før en forælder blev selvforsørgende",
        "Interventions per child before a parent became self-supporting",
    ),
    definition=text(
        "I familier, hvor en voksen blev selvforsørgende: for hvert barn gennemsnittet af "
        "antal indsatser i bølgerne før den første opfølgning, hvor en voksen var "
        "selvforsørgende; derefter gennemsnittet over børnene.",
        "In families where an adult became self-supporting: for each child the mean "
        "number of interventions in the waves before the first follow-up at which an "
        "adult was self-supporting; then the mean over the children.",
    ),
    numerator=text("Summen af børnenes gennemsnit", "Sum of the children's means"),
    denominator=text(
        "Børn med antal indsatser besvaret før", "Children with interventions answered before"
    ),
    basis=text("Indskrivning og opfølgninger før", "Intake and follow-ups before"),
)
def interventions_before_self_supporting(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _interventions(cohort, codes, after=False)


@indicator(
    id="interventions_after_self_supporting",
    kind="mean",
    unit="children",
    section="during",
    name=text(
        "Indsatser pr. barn efter en forælder blev selvforsørgende",
        "Interventions per child after a parent became self-supporting",
    ),
    definition=text(
        "Som ovenfor, for bølgerne fra og med den første opfølgning, hvor en voksen var "
        "selvforsørgende.",
        "As above, for the waves from the first follow-up at which an adult was "
        "self-supporting on.",
    ),
    numerator=text("Summen af børnenes gennemsnit", "Sum of the children's means"),
    denominator=text(
        "Børn med antal indsatser besvaret efter", "Children with interventions answered after"
    ),
    basis=text("Opfølgninger fra og med", "Follow-ups from then on"),
)
def interventions_after_self_supporting(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _interventions(cohort, codes, after=True)


@indicator(
    id="contact_persons_latest",
    kind="mean",
    unit="families",
    section="during",
    name=text(
        "Kontaktpersoner pr. familie ved seneste opfølgning",
        "Contact persons per family at the latest wave",
    ),
    definition=text(
        "Som ovenfor, ved familiens seneste opfølgning eller afslutning.",
        "As above, at the family's latest follow-up or exit.",
    ),
    numerator=text("Summen af kontaktpersoner", "Sum of contact persons"),
    denominator=text(
        "Familier med antallet besvaret ved en opfølgning",
        "Families with the number answered at a follow-up",
    ),
    basis=LATEST,
)
def contact_persons_latest(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _family_number(cohort, "family_follow_up", "n_contact_persons", latest=True)


@indicator(
    id="plans_latest",
    kind="mean",
    unit="families",
    section="during",
    name=text(
        "Separate planer pr. familie ved seneste opfølgning",
        "Separate plans per family at the latest wave",
    ),
    definition=text(
        "Som ovenfor, ved familiens seneste opfølgning eller afslutning.",
        "As above, at the family's latest follow-up or exit.",
    ),
    numerator=text("Summen af planer", "Sum of plans"),
    denominator=text(
        "Familier med antallet besvaret ved en opfølgning",
        "Families with the number answered at a follow-up",
    ),
    basis=LATEST,
)
def plans_latest(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _family_number(cohort, "family_follow_up", "n_plans", latest=True)


@indicator(
    id="adults_activity_within_6_months",
    kind="rate",
    unit="adults",
    section="during",
    name=text(
        "Voksne med beskæftigelsesrettet aktivitet inden 6 måneder",
        "Adults with an employment-oriented activity within 6 months",
    ),
    definition=text(
        f"Andel af de voksne, hvis beskæftigelsesrettede aktivitet startede 0–"
        f"{SIX_MONTHS_DAYS} dage efter indskrivningen (oplyst ved indskrivning eller en "
        f"opfølgning).",
        f"Share of adults whose employment-oriented activity started 0–{SIX_MONTHS_DAYS} "
        f"days after enrolment (as reported at intake or a follow-up).",
    ),
    numerator=text(
        "Voksne med aktivitet startet inden for perioden",
        "Adults with an activity started in the period",
    ),
    denominator=text("Voksne med indskrivningsskema", "Adults with an intake form"),
    basis=text("Indskrivning og alle opfølgninger", "Intake and every follow-up"),
)
def adults_activity_within_6_months(cohort: Cohort, codes: Codes) -> Select[Any]:
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


@indicator(
    id="families_case_closed_and_self_supporting",
    kind="count",
    unit="families",
    section="during",
    name=text(
        "Familier med lukket børnesag og en selvforsørgende voksen",
        "Families with a closed child case and a self-supporting adult",
    ),
    definition=text(
        "Familier, hvor mindst ét barns sag er lukket (som ovenfor), og mindst én voksen "
        "har været selvforsørgende ved en opfølgning.",
        "Families where at least one child's case closed (as above) and at least one "
        "adult was self-supporting at a follow-up.",
    ),
    basis=EVERY_FOLLOW_UP,
)
def families_case_closed_and_self_supporting(cohort: Cohort, codes: Codes) -> Select[Any]:
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
