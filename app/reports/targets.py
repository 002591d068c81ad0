"""A programme's targets beside its figures: "6 of 10" and how far along.

A municipality's file sets them (``[[targets]]``: an indicator, ``at_least`` or
``at_most`` a value, optionally ``by`` a date). The current figure is the report's own,
after disclosure control: a count the rule hides is hidden here too, and so is the bar
that would tell it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Flask

from app.reports.disclosure import Shown
from app.reports.indicators import BY_ID, INDICATORS, Indicator
from app.tenancy.config_files import register_indicator_ids


@dataclass(frozen=True)
class Progress:
    indicator: Indicator
    comparison: str
    target: float
    by: date | None
    #: The municipality's protected figure for the indicator.
    shown: Shown

    @property
    def current(self) -> float | None:
        return self.shown.value if self.shown.status == "shown" else None

    @property
    def reached(self) -> bool | None:
        if self.current is None:
            return None
        if self.comparison == "at_least":
            return self.current >= self.target
        return self.current <= self.target

    @property
    def percent(self) -> float | None:
        """How far along, 0-100, for the bar (only towards an ``at_least`` target)."""
        if self.current is None or self.comparison != "at_least":
            return None
        return max(0.0, min(100.0, 100.0 * self.current / self.target))

    def as_json(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator.id,
            "comparison": self.comparison,
            "target": self.target,
            "by": self.by.isoformat() if self.by else None,
            "current": self.current,
            "status": self.shown.status,
            "reached": self.reached,
        }


def progress(settings: dict[str, Any], figures: dict[str, Shown]) -> list[Progress]:
    """The targets of a municipality's *settings*, against its protected *figures*."""
    found = []
    for target in settings.get("targets", []):
        indicator = BY_ID.get(target["indicator"])
        if indicator is None or indicator.id not in figures:
            continue  # an indicator since removed: the file check names it
        found.append(
            Progress(
                indicator,
                target["comparison"],
                target["value"],
                date.fromisoformat(target["by"]) if target.get("by") else None,
                figures[indicator.id],
            )
        )
    return found


def init_app(app: Flask) -> None:
    register_indicator_ids(lambda: {indicator.id for indicator in INDICATORS})
