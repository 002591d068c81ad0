"""Self-report instruments: groups of questions a person may answer about themselves.

WHO-5 is a self-report scale: its five items ask how the person has felt, and an answer
given by a caseworker on the parent's behalf is a weaker measure of the same thing. An
instrument names its items by the core variable names; any form version that asks all of
them (the adults' intake and follow-up) can let the person answer them on their own, and
the research package says for each row who answered (``<id>_mode``). Adding an instrument
here is all it takes for the link, the page and the package column.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.definitions.model import FormDef

#: Who gave an instrument's answers, as the research package's ``<id>_mode`` codes them.
SELF_REPORT = "self_report"
STAFF = "staff"
MODES = {
    SELF_REPORT: {"da": "Besvaret af personen selv", "en": "Answered by the person themselves"},
    STAFF: {"da": "Besvaret af en medarbejder", "en": "Answered by a member of staff"},
}


@dataclass(frozen=True)
class Instrument:
    id: str
    #: The level of the forms that ask it (``adult``).
    level: str
    #: The input fields the person answers, in the order they are asked.
    items: tuple[str, ...]
    title: dict[str, str]
    #: Said above the questions on the person's own page.
    intro: dict[str, str]

    @property
    def mode_column(self) -> str:
        return f"{self.id}_mode"

    def asked_by(self, form: FormDef) -> bool:
        inputs = {f.name for f in form.fields if f.kind.input}
        return form.level == self.level and set(self.items) <= inputs


INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument(
        id="who5",
        level="adult",
        items=("who5_1", "who5_2", "who5_3", "who5_4", "who5_5"),
        title={"da": "Trivsel (WHO-5)", "en": "Wellbeing (WHO-5)"},
        intro={
            "da": "Her er fem udsagn om, hvordan du har haft det de sidste to uger. Vælg for "
            "hvert udsagn det svar, der passer bedst. Der er ingen rigtige eller forkerte svar.",
            "en": "Here are five statements about how you have felt over the last two weeks. "
            "For each one, choose the answer that fits best. There are no right or wrong answers.",
        },
    ),
)

_BY_ID = {instrument.id: instrument for instrument in INSTRUMENTS}


def instrument(instrument_id: str) -> Instrument:
    return _BY_ID[instrument_id]


def instruments_of(form: FormDef) -> list[Instrument]:
    """The instruments *form* asks in full."""
    return [i for i in INSTRUMENTS if i.asked_by(form)]


def of_level(level: str) -> list[Instrument]:
    return [i for i in INSTRUMENTS if i.level == level]
