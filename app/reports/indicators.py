"""The evaluation indicators: each defined once, computed by the database.

Every indicator is a row of :data:`INDICATORS`: its name, definition, numerator,
denominator and wave basis in Danish and English (``docs/indicators.md`` is generated from
them), and a function that builds one SQL statement (:mod:`app.reports.indicator_sql`),
returning per municipality and team model the number of people (or families, or waves)
the figure is based on and its numerator or sum. :mod:`app.reports.indicator_run` runs
them over the cohort of :mod:`app.reports.cohort`; :mod:`app.reports.disclosure` then
decides what may be shown.
"""

from __future__ import annotations

from app.reports.cohort import Indicator, Text
from app.reports.indicator_sql import (
    SIX_MONTHS_DAYS,
    _active_case_intake,
    _activity_within_six_months,
    _case_closed,
    _case_years_intake,
    _closed_case_and_self_supporting,
    _completeness,
    _families_enrolled,
    _family_number,
    _income_support_intake,
    _interventions,
    _members,
    _self_supporting_any,
    _self_supporting_latest,
    _single_parent,
    _who5,
    _who5_improved,
    _women_30_40,
    _years_employment_unit,
)


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
