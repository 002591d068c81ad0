"""A wave's window as a form sees it: how many days before or after it a form is opened or
submitted, and the reason a submission outside the window must give.

Submitting (not saving a draft) before the window opens or after it closes asks for one of
:data:`WINDOW_REASONS` and a confirmation; both are stored with the submission and leave in
the research package. Inside the window nothing is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.families.models import Wave

#: Why a form is submitted outside its wave's window; labels in app.collection.labels.
WINDOW_REASONS = (
    "family_unavailable",
    "contact_delayed",
    "rescheduled_by_family",
    "caseworker_absent",
    "data_entered_late",
    "other",
)

#: The request fields, on the page and in the API alike.
REASON_FIELD = "window_reason"
CONFIRM_FIELD = "window_confirmed"


@dataclass(frozen=True)
class WindowPosition:
    """Where *today* lies against a wave's window: days before it opens, after it closes."""

    window_start: date
    window_end: date
    days_early: int
    days_late: int

    @property
    def outside(self) -> bool:
        return bool(self.days_early or self.days_late)


def window_position(wave: Wave, today: date) -> WindowPosition:
    early = max((wave.window_start - today).days, 0)
    late = max((today - wave.window_end).days, 0)
    return WindowPosition(wave.window_start, wave.window_end, early, late)


@dataclass(frozen=True)
class WindowAnswer:
    """What a person answered to the window's question when saving: the reason chosen (or
    None) and whether they confirmed it. The form page and the API always pass one."""

    reason: str | None = None
    confirmed: bool = False


class OutsideWindow(Exception):
    """A submission outside the window without a valid reason and confirmation."""

    def __init__(self, position: WindowPosition, missing: list[str]):
        self.position = position
        #: REASON_FIELD and/or CONFIRM_FIELD.
        self.missing = missing
        super().__init__(", ".join(missing))


def window_missing(
    wave: Wave, today: date, reason: str | None, confirmed: bool
) -> tuple[WindowPosition, list[str]]:
    """The position, and which of the reason and the confirmation a submission on *today*
    still lacks (nothing inside the window)."""
    position = window_position(wave, today)
    missing: list[str] = []
    if position.outside:
        if reason not in WINDOW_REASONS:
            missing.append(REASON_FIELD)
        if not confirmed:
            missing.append(CONFIRM_FIELD)
    return position, missing
