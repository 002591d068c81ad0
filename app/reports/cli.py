"""``flask report pdf`` and ``flask report definitions``."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.audit.services import record
from app.core.db import db
from app.reports.definitions import markdown
from app.reports.figures import municipality_report, study_report
from app.reports.render import RenderError, write_pdf
from app.research.cli import _fail, _municipality, _study
from app.tenancy.scoping import tenant_scope, unscoped


@click.group(help="Evaluation reports.")
def report() -> None:
    pass


@report.command("pdf")
@click.option("--municipality", "slug", help="One municipality's own report.")
@click.option("--study", "study_id", type=int, help="A study's comparison of its grants.")
@click.option(
    "--lang", "language", type=click.Choice(["da", "en"]), default="da", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def pdf(slug: str | None, study_id: int | None, language: str, out: Path) -> None:
    """Write a PDF report (figures under disclosure control, as on the report page)."""
    if (slug is None) == (study_id is None):
        _fail("give either --municipality SLUG or --study ID")
    started = time.perf_counter()
    # Recorded like a report made from the web, with the file it went to.
    details = {"language": language, "command_line": True, "out": out.name}
    if slug is not None:
        municipality = _municipality(slug)
        with tenant_scope(municipality):
            result = municipality_report(municipality)
            record(
                "report.rendered",
                municipality_id=municipality.id,
                object_type="report",
                details=details,
            )
            db.session.flush()
    else:
        study = _study(study_id)  # type: ignore[arg-type]
        with unscoped("operator: a study's report from the command line", study_id=study.id):
            result = study_report(study)
            record("report.rendered", object_type="study", object_id=study.id, details=details)
            db.session.flush()
    db.session.commit()
    click.echo(f"figures: {len(result.figures)} indicators, {time.perf_counter() - started:.2f} s")
    try:
        write_pdf(result, language, out)
    except RenderError as exc:
        _fail(str(exc))
    click.echo(
        f"wrote {out} ({out.stat().st_size:,} bytes) in {time.perf_counter() - started:.2f} s"
    )


@report.command("definitions")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
def definitions(out: Path | None) -> None:
    """Write docs/indicators.md from the indicators' own definitions."""
    text = markdown()
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}")
