"""Indicators of the intake section: the adults, households and children at the start."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Float,
    Select,
    and_,
    cast,
    extract,
    func,
    true,
)

from app.reports.cohort import (
    Codes,
    Cohort,
    _answer,
    _count_if,
    _family_number,
    _groups,
    _submitted,
)
from app.reports.indicators.registry import (
    INTAKE,
    indicator,
    text,
)
from app.reports.sql import days_between

#: Age band of the seed evaluation's typical parent.
WOMEN_AGE_BAND = (30, 40)


@indicator(
    id="adults_income_support_intake",
    kind="rate",
    unit="adults",
    section="intake",
    name=text("Voksne på offentlig forsørgelse ved start", "Adults on income support at intake"),
    definition=text(
        "Andel af de voksne, hvis forsørgelse ved indskrivning er en offentlig ydelse.",
        "Share of adults whose income at intake is a public benefit.",
    ),
    numerator=text(
        "Voksne med en offentlig ydelse (ikke selvforsørgende, ikke 'ukendt')",
        "Adults on a public benefit (not self-supporting, not 'unknown')",
    ),
    denominator=text(
        "Voksne med besvaret forsørgelse ved indskrivning, undtagen 'ukendt'",
        "Adults with income support answered at intake, except 'unknown'",
    ),
    basis=INTAKE,
)
def adults_income_support_intake(cohort: Cohort, codes: Codes) -> Select[Any]:
    s = _submitted(cohort, "adult_intake")
    code = _answer(s, "income_support").as_string()
    return _groups(
        s,
        func.count(),
        _count_if(code.in_(codes.income_support)),
        code.is_not(None),
        code != "unknown",
    )


@indicator(
    id="adults_years_employment_unit_intake",
    kind="mean",
    unit="adults",
    section="intake",
    name=text(
        "År i kontakt med beskæftigelsesenheden ved start",
        "Years with the employment unit at intake",
    ),
    definition=text(
        "Gennemsnitligt antal år, de voksne har været tilknyttet beskæftigelsesenheden.",
        "Mean number of years the adults have been attached to the employment unit.",
    ),
    numerator=text("Summen af år", "Sum of years"),
    denominator=text("Voksne med besvaret antal år", "Adults with the years answered"),
    basis=INTAKE,
)
def adults_years_employment_unit_intake(cohort: Cohort, codes: Codes) -> Select[Any]:
    s = _submitted(cohort, "adult_intake")
    years = _answer(s, "years_with_employment_unit").as_float()
    return _groups(s, func.count(), func.sum(years), years.is_not(None))


@indicator(
    id="adults_women_30_40",
    kind="rate",
    unit="adults",
    section="intake",
    name=text("Voksne, der er kvinder på 30–40 år", "Adults who are women aged 30–40"),
    definition=text(
        "Andel af de voksne, der er kvinder og fylder 30 til 40 år i indskrivningsåret "
        "(indskrivningsår minus fødselsår).",
        "Share of adults who are women turning 30 to 40 in the year of enrolment "
        "(enrolment year minus birth year).",
    ),
    numerator=text("Kvinder på 30–40 år", "Women aged 30–40"),
    denominator=text(
        "Voksne med køn (ikke 'ukendt') og fødselsår besvaret",
        "Adults with sex (not 'unknown') and birth year answered",
    ),
    basis=INTAKE,
)
def adults_women_30_40(cohort: Cohort, codes: Codes) -> Select[Any]:
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


@indicator(
    id="single_parent_households",
    kind="rate",
    unit="families",
    section="intake",
    name=text("Familier med én forælder", "Single-parent households"),
    definition=text(
        "Andel af familierne med husstandstypen 'enlig forsørger'.",
        "Share of families whose household type is 'single parent'.",
    ),
    numerator=text("Familier med én forælder", "Single-parent families"),
    denominator=text(
        "Familier med husstandstype besvaret", "Families with household type answered"
    ),
    basis=INTAKE,
)
def single_parent_households(cohort: Cohort, codes: Codes) -> Select[Any]:
    s = _submitted(cohort, "family_intake")
    household = _answer(s, "household_type").as_string()
    return _groups(s, func.count(), _count_if(household == "single_parent"), household.is_not(None))


@indicator(
    id="children_active_case_intake",
    kind="rate",
    unit="children",
    section="intake",
    name=text("Børn med en aktiv børnesag ved start", "Children with an active case at intake"),
    definition=text(
        "Andel af børnene med en åben børne- og familiesag ved indskrivning.",
        "Share of children with an open child-welfare case at intake.",
    ),
    numerator=text("Børn med aktiv sag", "Children with an active case"),
    denominator=text("Børn med 'aktiv sag' besvaret", "Children with 'active case' answered"),
    basis=INTAKE,
)
def children_active_case_intake(cohort: Cohort, codes: Codes) -> Select[Any]:
    s = _submitted(cohort, "child_intake")
    active = _answer(s, "active_case").as_boolean()
    return _groups(s, func.count(), _count_if(active == true()), active.is_not(None))


@indicator(
    id="children_case_years_intake",
    kind="mean",
    unit="children",
    section="intake",
    name=text(
        "Børnesagernes alder ved start (år)", "Age of the children's cases at intake (years)"
    ),
    definition=text(
        "Gennemsnitlig tid fra sagens start til familiens indskrivning, i år (dage / 365,25), "
        "for børn med en aktiv sag.",
        "Mean time from the case's start to the family's enrolment, in years "
        "(days / 365.25), for children with an active case.",
    ),
    numerator=text("Summen af sagernes alder", "Sum of the cases' ages"),
    denominator=text(
        "Børn med aktiv sag og startdato", "Children with an active case and its start date"
    ),
    basis=INTAKE,
)
def children_case_years_intake(cohort: Cohort, codes: Codes) -> Select[Any]:
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


@indicator(
    id="contact_persons_intake",
    kind="mean",
    unit="families",
    section="intake",
    name=text("Kontaktpersoner pr. familie ved start", "Contact persons per family at intake"),
    definition=text(
        "Gennemsnitligt antal sagsbehandlere og kontaktpersoner, familien har.",
        "Mean number of caseworkers and contact persons the family has.",
    ),
    numerator=text("Summen af kontaktpersoner", "Sum of contact persons"),
    denominator=text("Familier med antallet besvaret", "Families with the number answered"),
    basis=INTAKE,
)
def contact_persons_intake(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _family_number(cohort, "family_intake", "n_contact_persons", latest=False)


@indicator(
    id="plans_intake",
    kind="mean",
    unit="families",
    section="intake",
    name=text("Separate planer pr. familie ved start", "Separate plans per family at intake"),
    definition=text(
        "Gennemsnitligt antal separate planer, familien er omfattet af.",
        "Mean number of separate plans the family is subject to.",
    ),
    numerator=text("Summen af planer", "Sum of plans"),
    denominator=text("Familier med antallet besvaret", "Families with the number answered"),
    basis=INTAKE,
)
def plans_intake(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _family_number(cohort, "family_intake", "n_plans", latest=False)
