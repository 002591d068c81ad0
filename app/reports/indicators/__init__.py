"""The evaluation indicators: each defined once, beside its SQL, computed by the database.

One module per report section (:mod:`.enrolment`, :mod:`.intake`, :mod:`.during`,
:mod:`.wellbeing`, :mod:`.quality`) holds its indicators: each is the function that builds
its SQL statement, registered by :func:`~app.reports.indicators.registry.indicator` with
its name, definition, numerator, denominator and wave basis in Danish and English
(``docs/indicators.md`` is generated from them). Each statement returns, per municipality
and team model, the number of people (or families, or waves) the figure is based on and
its numerator (a share) or sum (a mean), reading the cohort's typed answers through
:mod:`app.reports.cohort`; the statements use only what SQLite and PostgreSQL share, plus
the two date functions of :mod:`app.reports.sql`. :mod:`app.reports.indicator_run` runs
them over the cohort; :mod:`app.reports.disclosure` then decides what may be shown.
"""

from __future__ import annotations

# The section modules register their indicators when imported.
from app.reports.indicators import during, enrolment, intake, plan, quality, wellbeing
from app.reports.indicators.registry import SECTIONS, Indicator, Text, registered

INDICATORS: tuple[Indicator, ...] = registered()
BY_ID = {indicator.id: indicator for indicator in INDICATORS}

__all__ = [
    "BY_ID",
    "INDICATORS",
    "SECTIONS",
    "Indicator",
    "Text",
    "during",
    "enrolment",
    "intake",
    "plan",
    "quality",
    "wellbeing",
]
