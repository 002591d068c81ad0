"""Indicators of the wellbeing section: the adults' WHO-5 scores."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Select,
    func,
    select,
)

from app.reports.cohort import (
    Codes,
    Cohort,
    _answer,
    _count_if,
    _groups,
    _latest,
    _submitted,
)
from app.reports.indicators.registry import (
    INTAKE,
    LATEST,
    indicator,
    text,
)

#: A change of 10 points on WHO-5's 0–100 scale is a meaningful change.
WHO5_MEANINGFUL_CHANGE = 10


def _who5(cohort: Cohort, latest: bool) -> Select[Any]:
    s = _submitted(cohort, "adult_follow_up" if latest else "adult_intake")
    if latest:
        s = _latest(s, "member_id", _answer(s, "who5_score").as_float().is_not(None))
    score = _answer(s, "who5_score").as_float()
    return _groups(s, func.count(), func.sum(score), score.is_not(None))


@indicator(
    id="who5_intake",
    kind="mean",
    unit="adults",
    section="wellbeing",
    name=text("WHO-5 ved start", "WHO-5 at intake"),
    definition=text(
        "Gennemsnitlig WHO-5-score (0–100) for de voksne ved indskrivning.",
        "Mean WHO-5 score (0–100) of the adults at intake.",
    ),
    numerator=text("Summen af scorer", "Sum of scores"),
    denominator=text("Voksne med en score", "Adults with a score"),
    basis=INTAKE,
)
def who5_intake(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _who5(cohort, latest=False)


@indicator(
    id="who5_latest",
    kind="mean",
    unit="adults",
    section="wellbeing",
    name=text("WHO-5 ved seneste opfølgning", "WHO-5 at the latest wave"),
    definition=text(
        "Gennemsnitlig WHO-5-score ved den voksnes seneste opfølgning med en score.",
        "Mean WHO-5 score at the adult's latest follow-up with a score.",
    ),
    numerator=text("Summen af scorer", "Sum of scores"),
    denominator=text("Voksne med en score ved en opfølgning", "Adults with a score at a follow-up"),
    basis=LATEST,
)
def who5_latest(cohort: Cohort, codes: Codes) -> Select[Any]:
    return _who5(cohort, latest=True)


@indicator(
    id="who5_improved_10",
    kind="rate",
    unit="adults",
    section="wellbeing",
    name=text(
        "Voksne med WHO-5 forbedret 10 point eller mere",
        "Adults whose WHO-5 improved by 10 points or more",
    ),
    definition=text(
        "Andel af de voksne, hvis seneste WHO-5-score er mindst 10 point over scoren ved "
        "indskrivning.",
        "Share of adults whose latest WHO-5 score is at least 10 points above their intake score.",
    ),
    numerator=text("Voksne forbedret mindst 10 point", "Adults improved by 10 points or more"),
    denominator=text(
        "Voksne med score både ved start og ved en opfølgning",
        "Adults with a score at intake and at a follow-up",
    ),
    basis=text("Indskrivning og seneste opfølgning", "Intake and latest follow-up"),
)
def who5_improved_10(cohort: Cohort, codes: Codes) -> Select[Any]:
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
