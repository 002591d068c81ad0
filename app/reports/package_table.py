"""The evaluation indicators in every research package (``indicators.csv``).

Registered with the research package when the application is built
(:mod:`app.research.aggregates` says why the package does not import the reports).
"""

from __future__ import annotations

from flask import Flask

from app.reports.disclosure import rule_text
from app.reports.figures import CSV_HEADER, rows, study_k, study_report
from app.research import aggregates


def init_app(app: Flask) -> None:
    aggregates.provide(
        app,
        aggregates.Aggregates(
            header=list(CSV_HEADER),
            rows=lambda study: rows(study_report(study)),
            threshold=study_k,
            rule_text=rule_text,
        ),
    )
