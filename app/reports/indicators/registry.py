"""The registry of evaluation indicators, filled by :func:`indicator`.

Each indicator is the function that builds its SQL statement, decorated with what it
means: its id, kind, unit and report section and, in Danish and English, its name,
definition, numerator, denominator and wave basis. Definition and SQL are read together,
so a change to one is made beside the other (``docs/indicators.md`` is generated from the
texts). The decorator takes keyword arguments only: eleven positional texts are too easy
to put in the wrong order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select

from app.reports.cohort import Codes, Cohort

Text = dict[str, str]
#: Builds an indicator's one statement: per municipality and team model, the number of
#: people (or families, or waves) the figure is based on and its numerator or sum.
Statement = Callable[[Cohort, Codes], Select[Any]]


def text(da: str, en: str) -> Text:
    return {"da": da, "en": en}


#: The report's sections, in the order the report, the documentation and the exports
#: show the indicators in.
SECTIONS: dict[str, Text] = {
    "enrolment": text("Indskrivning", "Enrolment"),
    "intake": text("Familierne ved start", "The families at intake"),
    "during": text("Under forløbet", "During the programme"),
    "plan": text("Den fælles plan", "The joint plan"),
    "wellbeing": text("Trivsel", "Wellbeing"),
    "quality": text("Datakvalitet", "Data quality"),
}
KINDS = ("count", "rate", "mean")
UNITS = ("families", "adults", "children", "waves")

#: A numerator or denominator a count does not have.
NONE = text("", "")
#: The wave bases most indicators share.
INTAKE = text("Indskrivning", "Intake")
EVERY_FOLLOW_UP = text("Alle opfølgninger og afslutning", "Every follow-up and exit")
LATEST = text("Seneste opfølgning eller afslutning", "Latest follow-up or exit")


@dataclass(frozen=True, kw_only=True)
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
    statement: Statement = field(repr=False, compare=False)


_registered: list[Indicator] = []


def indicator(
    *,
    id: str,
    kind: str,
    unit: str,
    section: str,
    name: Text,
    definition: Text,
    basis: Text,
    numerator: Text = NONE,
    denominator: Text = NONE,
) -> Callable[[Statement], Statement]:
    """Register the decorated statement as the indicator *id*."""
    if kind not in KINDS or unit not in UNITS or section not in SECTIONS:
        raise ValueError(f"indicator {id}: unknown kind, unit or section")
    if any(known.id == id for known in _registered):
        raise ValueError(f"indicator {id} is defined twice")

    def register(statement: Statement) -> Statement:
        _registered.append(
            Indicator(
                id=id,
                kind=kind,
                unit=unit,
                section=section,
                name=name,
                definition=definition,
                numerator=numerator,
                denominator=denominator,
                basis=basis,
                statement=statement,
            )
        )
        return statement

    return register


def registered() -> tuple[Indicator, ...]:
    """Every registered indicator, section by section, each section in definition order."""
    order = list(SECTIONS)
    return tuple(sorted(_registered, key=lambda i: order.index(i.section)))
