"""A report as HTML (the page and the PDF's source) and as PDF.

The HTML is rendered in the application (cheap: the figures are already aggregated). The
PDF is made from it by WeasyPrint in a separate process with a memory limit and a time
limit (:mod:`app.reports.pdf_worker`), so a runaway layout can neither take the memory of
a web or job process nor hang it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from app.config import PROJECT_ROOT
from app.core.formatting import format_day, format_number
from app.reports.charts import Bar, bar_chart
from app.reports.disclosure import Shown
from app.reports.figures import Figures, Report
from app.reports.indicators import INDICATORS, SECTIONS, Indicator
from app.reports.targets import Progress
from app.teams.labels import TEAM_MODEL_LABELS

STATIC_DIR = PROJECT_ROOT / "app" / "static"


class RenderError(RuntimeError):
    """The PDF could not be made within its limits.

    *reason* is "time" or "memory" (a limit, in seconds or MB, was reached) or "error".
    """

    def __init__(self, reason: str, limit: float = 0, detail: str = "") -> None:
        self.reason, self.limit = reason, limit
        if reason == "time":
            message = f"the PDF took more than {limit:.0f} s"
        elif reason == "memory":
            message = f"the PDF needed more than {limit:.0f} MB"
        else:
            message = f"the PDF could not be made: {detail}"
        super().__init__(message)

    @property
    def code(self) -> str:
        """What a job records of the failure, for its page to say in the reader's language."""
        return f"{self.reason}:{self.limit:.0f}" if self.reason in ("time", "memory") else "error"


def failure_text(code: str) -> str:
    """A failed job's recorded *code* in words (see :attr:`RenderError.code`)."""
    reason, _sep, limit = code.partition(":")
    if reason == "time":
        return _("The PDF took more than %(seconds)s seconds and was stopped.", seconds=limit)
    if reason == "memory":
        return _(
            "The PDF needed more than %(megabytes)s MB of memory and was stopped.", megabytes=limit
        )
    return _("The PDF could not be made. Try again; if it fails again, the log says why.")


@dataclass(frozen=True)
class Column:
    heading: str
    kind: str  # "municipality", "team_model" or "pooled"
    note: str = ""


@dataclass(frozen=True)
class Entry:
    text: str
    n: str
    status: str


def number(value: float, language: str, decimals: int = 1) -> str:
    return format_number(value, decimals, language)


def share_text(value: float, language: str) -> str:
    return number(value, language) + (" %" if language == "da" else "%")


def value_text(indicator: Indicator, shown: Shown, language: str) -> str:
    if shown.status == "suppressed":
        return _("hidden")
    if shown.value is None:
        return "–"
    if indicator.kind == "count":
        return number(shown.value, language, 0)
    if indicator.kind == "rate":
        return share_text(shown.value, language)
    return number(shown.value, language)


def _entry(indicator: Indicator, shown: Shown, language: str) -> Entry:
    n = "" if indicator.kind == "count" or shown.n is None else number(shown.n, language, 0)
    return Entry(value_text(indicator, shown, language), n, shown.status)


def _values(report: Report, figures: Figures) -> list[Shown]:
    values = [figures.municipalities[p.id] for p in report.municipalities]
    if _show_groups(report):
        values += [figures.team_models[t] for t in report.team_models] + [figures.pooled]
    return values


def _show_groups(report: Report) -> bool:
    return report.comparison or len(report.team_models) > 1


def columns(report: Report, language: str) -> list[Column]:
    result = [
        Column(p.name(language), "municipality", str(TEAM_MODEL_LABELS.get(p.team_model, "")))
        for p in report.municipalities
    ]
    if _show_groups(report):
        result += [
            Column(str(TEAM_MODEL_LABELS.get(t, t)), "team_model", _("Team model"))
            for t in report.team_models
        ]
        result.append(Column(_("All"), "pooled", _("Pooled")))
    return result


def context(report: Report, language: str) -> dict[str, Any]:
    """What the report templates need, already formatted for *language*."""
    cols = columns(report, language)
    percent = partial(share_text, language=language)
    sections = []
    for key, title in SECTIONS.items():
        rows = []
        rates: list[tuple[Indicator, list[Shown]]] = []
        for figures in report.figures:
            indicator = figures.indicator
            if indicator.section != key:
                continue
            shown = _values(report, figures)
            rows.append((indicator, [_entry(indicator, s, language) for s in shown]))
            if indicator.kind == "rate":
                rates.append((indicator, shown))
        charts = []
        if len(cols) == 1 and rates:
            # One column of figures: one chart of the section's shares, a bar for each.
            bars = [_bar(indicator.name[language], s[0]) for indicator, s in rates]
            name = _("%(section)s: shares", section=title[language])
            charts.append(bar_chart(f"chart-{key}", name, bars, percent, _("Bar chart.") + " "))
        elif rates:
            # Side by side: a chart for each share, a bar for each column of the table.
            for indicator, shown in rates:
                bars = [_bar(col.heading, s) for col, s in zip(cols, shown, strict=True)]
                charts.append(
                    bar_chart(
                        f"chart-{indicator.id}",
                        indicator.name[language],
                        bars,
                        percent,
                        _("Bar chart.") + " ",
                    )
                )
        if rows:
            sections.append({"key": key, "title": title[language], "rows": rows, "charts": charts})
    if report.study_title:
        title = _("Comparison report: %(study)s", study=report.study_title)
    else:
        title = _(
            "Evaluation report: %(municipality)s",
            municipality=report.municipalities[0].name(language),
        )
    return {
        "targets": [_target(t, language) for t in report.targets],
        "report": report,
        "lang": language,
        "title": title,
        "columns": cols,
        "sections": sections,
        "definitions": INDICATORS,
        "section_titles": {k: v[language] for k, v in SECTIONS.items()},
        "rule": report.rule(language),
        "team_model_label": lambda code: str(TEAM_MODEL_LABELS.get(code, code)),
        "unit_label": _unit_label,
        "kind_label": _kind_label,
    }


def _target(target: Progress, language: str) -> dict[str, Any]:
    """A target as the report says it: "6 of 10", and whether it is reached."""
    indicator = target.indicator
    goal = value_text(indicator, Shown(None, target.target, "shown"), language)
    current = value_text(indicator, target.shown, language)
    if target.comparison == "at_least":
        text = _("%(current)s of %(target)s", current=current, target=goal)
        aim = _("At least %(target)s", target=goal)
    else:
        text = _("%(current)s (at most %(target)s)", current=current, target=goal)
        aim = _("At most %(target)s", target=goal)
    if target.by is not None:
        aim += " " + _("by %(day)s", day=format_day(target.by, language=language))
    if target.reached is None:
        state = _("hidden") if target.shown.status == "suppressed" else _("no data")
    else:
        state = _("Reached") if target.reached else _("Not reached yet")
    return {
        "name": indicator.name[language],
        "text": text,
        "aim": aim,
        "state": state,
        "percent": target.percent,
    }


def _bar(label: str, shown: Shown) -> Bar:
    return Bar(label, shown.value, _("hidden") if shown.status == "suppressed" else _("no data"))


def _unit_label(unit: str) -> str:
    return {
        "families": _("families"),
        "adults": _("adults"),
        "children": _("children"),
        "waves": _("follow-ups"),
    }.get(unit, unit)


def _kind_label(kind: str) -> str:
    return {"count": _("count"), "rate": _("share (%)"), "mean": _("mean")}.get(kind, kind)


def render_document(report: Report, language: str) -> str:
    """The standalone HTML document the PDF is made from."""
    with force_locale(language):
        return render_template("pdf/report.html", **context(report, language))


def render_body(report: Report, language: str) -> Markup:
    """The report's content for the web page (inside the site's own layout)."""
    return Markup(render_template("pdf/_body.html", web=True, **context(report, language)))


def render_pdf(
    document: str, *, timeout: float | None = None, memory_mb: int | None = None
) -> bytes:
    """Make a PDF of *document* in a separate, limited process."""
    config = current_app.config
    timeout = timeout or float(config.get("REPORT_TIMEOUT_SECONDS", 120))
    memory_mb = memory_mb or int(config.get("REPORT_MEMORY_MB", 1536))
    command = [sys.executable, "-m", "app.reports.pdf_worker", str(memory_mb), str(STATIC_DIR)]
    try:
        done = subprocess.run(
            command,
            input=document.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
            cwd=PROJECT_ROOT,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError("time", timeout) from exc
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF"):
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        if done.returncode < 0 or "MemoryError" in reason[0]:
            raise RenderError("memory", memory_mb)
        raise RenderError("error", detail=reason[0][:160])
    return done.stdout


def write_pdf(report: Report, language: str, out: Path) -> Path:
    out.write_bytes(render_pdf(render_document(report, language)))
    return out
