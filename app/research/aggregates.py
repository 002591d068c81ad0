"""The figures a research package carries beside its records: the evaluation indicators.

The package is research's (what a study may receive, :mod:`app.research.scope`); the
indicators and their disclosure control are the reports' (:mod:`app.reports`), which read
the study's scope from research. So research sits below the reports, and the reports hand
the package their table through this hook when the application is built, instead of the
package importing them. A package built without it fails loudly rather than leave the
table out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from app.research.models import Study

#: Where the application keeps the hook, in ``app.extensions``.
EXTENSION = "helhed.research_aggregates"


@dataclass(frozen=True)
class Aggregates:
    #: The columns of ``indicators.csv``.
    header: list[str]
    #: The study's indicator rows, already protected by its disclosure control.
    rows: Callable[[Study], Iterable[list[Any]]]
    #: The study's disclosure threshold k.
    threshold: Callable[[Study], int]
    #: The disclosure rule in words, for a threshold and a language.
    rule_text: Callable[[int, str], str]


def provide(app: Flask, aggregates: Aggregates) -> None:
    """Give *app*'s research packages their indicator table (called by app.reports)."""
    app.extensions[EXTENSION] = aggregates


def current() -> Aggregates:
    try:
        return current_app.extensions[EXTENSION]
    except KeyError:
        raise RuntimeError(
            "no indicator table for research packages: app.reports registers it when the "
            "application is built (create_app)"
        ) from None
