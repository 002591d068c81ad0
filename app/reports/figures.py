"""A report's figures: indicators computed for a cohort and protected for publication.

Every output (HTML, PDF, CSV, API) is built from a :class:`Report`, so each shows the same
protected figures and states the same rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.core import dates
from app.core.db import db
from app.core.version import __version__
from app.reports.cohort import Cohort
from app.reports.disclosure import Cell, ProtectedTable, Shown, protect, rule_text
from app.reports.indicator_run import compute
from app.reports.indicators import BY_ID, INDICATORS, Indicator
from app.reports.targets import Progress, progress
from app.research.models import Study
from app.research.scope import study_scope
from app.tenancy.models import TEAM_MODELS, Municipality


@dataclass(frozen=True)
class Place:
    id: int
    slug: str
    code: str
    team_model: str
    name_da: str
    name_en: str

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_da


@dataclass
class Figures:
    indicator: Indicator
    #: municipality id -> its figure
    municipalities: dict[int, Shown]
    #: team model -> its figure
    team_models: dict[str, Shown]
    pooled: Shown


@dataclass
class Report:
    municipalities: list[Place]
    team_models: list[str]
    figures: list[Figures]
    k: int
    as_of: date
    created_at: datetime
    version: str = __version__
    study_id: int | None = None
    study_title: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: The municipality's targets against its figures (its own report only).
    targets: list[Progress] = field(default_factory=list)

    @property
    def comparison(self) -> bool:
        return len(self.municipalities) > 1

    def rule(self, language: str) -> str:
        return rule_text(self.k, language)

    def figure(self, indicator_id: str) -> Figures:
        return next(f for f in self.figures if f.indicator.id == indicator_id)


def installation_k() -> int:
    return int(current_app.config.get("SUPPRESSION_K", 5))


def study_k(study: Study) -> int:
    """A study's threshold: its own, but never below the installation's."""
    return max(study.suppression_k, installation_k())


def _place(m: Municipality) -> Place:
    return Place(m.id, m.slug, m.code, m.team_model, m.name_da, m.name_en)


def build(cohort: Cohort, places: list[Place], k: int) -> Report:
    """Compute and protect every indicator for *cohort* (the caller has set the scope)."""
    raw = compute(cohort)
    seen = {team_model for figures in raw.values() for (_m, team_model) in figures}
    team_models = [t for t in TEAM_MODELS if t in seen] or [
        t for t in TEAM_MODELS if t in {p.team_model for p in places}
    ]
    places = sorted(places, key=lambda p: p.name_da)
    figures: list[Figures] = []
    for indicator in INDICATORS:
        by_group = raw[indicator.id]
        grid = [
            [Cell(*by_group.get((place.id, team_model), (0, 0.0))) for place in places]
            for team_model in team_models
        ]
        # The outputs publish each municipality, each team model and the pooled figure;
        # never a municipality's families under one model (the cells).
        table: ProtectedTable = protect(indicator.kind, grid, k=k, publish_cells=False)
        figures.append(
            Figures(
                indicator,
                {place.id: table.column_totals[c] for c, place in enumerate(places)},
                {team_model: table.row_totals[r] for r, team_model in enumerate(team_models)},
                table.grand_total,
            )
        )
    return Report(
        municipalities=places,
        team_models=team_models,
        figures=figures,
        k=k,
        as_of=cohort.as_of,
        created_at=datetime.now(UTC).replace(microsecond=0),
    )


def municipality_report(municipality: Municipality, as_of: date | None = None) -> Report:
    """The municipality's own figures (run inside its tenant scope)."""
    cohort = Cohort((municipality.id,), as_of or dates.today())
    report = build(cohort, [_place(municipality)], installation_k())
    own = {f.indicator.id: f.municipalities[municipality.id] for f in report.figures}
    report.targets = progress(municipality.settings, own)
    return report


def study_cohort(study: Study, as_of: date | None = None, only: list[int] | None = None) -> Cohort:
    """The cohort of a study's report: what the study may see (:mod:`app.research.scope`),
    the same scope its research package is read with. *only* narrows it to some of the
    municipalities."""
    scope = study_scope(study.id)
    if only is not None:
        scope = scope.only(only)
    return Cohort(scope.municipality_ids, as_of or dates.today(), scope)


def study_report(study: Study, as_of: date | None = None, only: list[int] | None = None) -> Report:
    """A study's granted municipalities side by side (the caller has crossed the boundary).

    Only consenting families within each grant's period, the granted forms and wave kinds,
    and the waves a lead has approved are counted (:func:`study_cohort`).
    """
    cohort = study_cohort(study, as_of, only)
    municipalities = db.session.scalars(
        select(Municipality).where(Municipality.id.in_(cohort.municipality_ids))
    )
    report = build(cohort, [_place(m) for m in municipalities], study_k(study))
    report.study_id, report.study_title = study.id, study.title
    return report


# --- flat forms of a report: CSV rows and JSON ------------------------------------------

CSV_HEADER = [
    "indicator",
    "kind",
    "unit",
    "group_type",
    "group",
    "team_model",
    "n",
    "value",
    "status",
    "k",
    "rule",
]


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def rows(report: Report) -> Iterator[list[str]]:
    """The report as CSV rows (after the header): every shown figure and every gap.

    Each row states the rule it was protected by, so the file says it wherever it goes."""
    rule = report.rule("en")
    for figures in report.figures:
        indicator = figures.indicator
        groups: list[tuple[str, str, str, Shown]] = [
            ("municipality", place.code, place.team_model, figures.municipalities[place.id])
            for place in report.municipalities
        ]
        if report.comparison or len(report.team_models) > 1:
            groups += [
                ("team_model", team_model, team_model, figures.team_models[team_model])
                for team_model in report.team_models
            ]
            groups.append(("pooled", "all", "", figures.pooled))
        for group_type, group, team_model, shown in groups:
            yield [
                indicator.id,
                indicator.kind,
                indicator.unit,
                group_type,
                group,
                team_model,
                "" if shown.n is None else str(shown.n),
                _number(shown.value),
                shown.status,
                str(report.k),
                rule,
            ]


def as_json(report: Report, slug: str) -> dict[str, Any]:
    """The municipality's own figures for the API (single-municipality reports)."""
    (place,) = [p for p in report.municipalities if p.slug == slug]
    return {
        "municipality": slug,
        "as_of": report.as_of.isoformat(),
        "k": report.k,
        "rule": report.rule("en"),
        "indicators": [
            {
                "id": f.indicator.id,
                "kind": f.indicator.kind,
                "unit": f.indicator.unit,
                "name": f.indicator.name,
                "n": f.municipalities[place.id].n,
                "value": f.municipalities[place.id].value,
                "status": f.municipalities[place.id].status,
                "by_team_model": {
                    t: {"n": s.n, "value": s.value, "status": s.status}
                    for t, s in f.team_models.items()
                }
                if len(report.team_models) > 1
                else {},
            }
            for f in report.figures
        ],
        "targets": [target.as_json() for target in report.targets],
    }


__all__ = ["BY_ID", "Report", "as_json", "build", "municipality_report", "rows", "study_report"]
