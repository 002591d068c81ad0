"""``flask studies …``, ``flask waves …`` and ``flask export package``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.auth.services import find_user
from app.core.db import db
from app.research.models import Study
from app.research.services import (
    WAVE_KEY_RE,
    ResearchError,
    add_researcher,
    create_study,
    export_package,
    grant_study,
    grantable_forms,
    set_wave_approval,
)
from app.research.summary import release_summary
from app.tenancy.models import Municipality


def _fail(message: str) -> None:
    db.session.rollback()
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(1)


def _study(study_id: int) -> Study:
    study = db.session.get(Study, study_id)
    if study is None:
        _fail(f"no study {study_id}")
    return study  # type: ignore[return-value]


def _municipality(slug: str) -> Municipality:
    municipality = db.session.scalar(select(Municipality).filter_by(slug=slug))
    if municipality is None:
        _fail(f"no municipality {slug!r}")
    return municipality  # type: ignore[return-value]


@click.group(help="Research studies (operators).")
def studies() -> None:
    pass


@studies.command("create")
@click.option("--title", required=True)
@click.option("--purpose", required=True)
@click.option("--legal-basis", required=True)
@click.option(
    "--k",
    "suppression_k",
    type=int,
    default=5,
    show_default=True,
    help="Smallest count shown in aggregates.",
)
@with_appcontext
def create(title: str, purpose: str, legal_basis: str, suppression_k: int) -> None:
    try:
        study = create_study(title, purpose, legal_basis, suppression_k)
    except ResearchError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(study.id)


@studies.command("add-researcher")
@click.option("--study", "study_id", type=int, required=True)
@click.option("--email", required=True)
@with_appcontext
def add_researcher_command(study_id: int, email: str) -> None:
    user = find_user(email)
    if user is None:
        _fail(f"no user {email}")
    try:
        add_researcher(_study(study_id), user)  # type: ignore[arg-type]
    except ResearchError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"{email} is a researcher of study {study_id}")


@studies.command("grant", help="Record a municipality's grant (normally its admin's page).")
@click.option("--study", "study_id", type=int, required=True)
@click.option("--municipality", "slug", required=True)
@click.option(
    "--forms",
    default="",
    help="Comma-separated form ids (default: every core form and the municipality's local forms).",
)
@click.option("--waves", default="intake,follow_up,exit", show_default=True)
@click.option("--from", "period_from", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--to", "period_to", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--free-text/--no-free-text", default=False, show_default=True)
@with_appcontext
def grant(
    study_id: int,
    slug: str,
    forms: str,
    waves: str,
    period_from,
    period_to,  # type: ignore[no-untyped-def]
    free_text: bool,
) -> None:
    municipality = _municipality(slug)
    form_ids = [f.strip() for f in forms.split(",") if f.strip()] or grantable_forms(municipality)
    try:
        grant_study(
            municipality,
            _study(study_id),
            forms=form_ids,
            waves=[w for w in waves.split(",") if w],
            period_from=period_from.date() if period_from else None,
            period_to=period_to.date() if period_to else None,
            free_text=free_text,
        )
    except ResearchError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"{slug} granted study {study_id}")


@click.group(help="Sign-off of waves for research.")
def waves() -> None:
    pass


def _sign_off(slug: str, wave_key: str, approved: bool) -> None:
    try:
        set_wave_approval(_municipality(slug), wave_key, approved)
    except ResearchError as exc:
        _fail(str(exc))
    db.session.commit()
    state = "approved for research" if approved else "reopened (no longer approved)"
    click.echo(f"{slug}: {wave_key} {state}")


@waves.command("approve")
@click.option("--municipality", "slug", required=True)
@click.option("--wave", "wave_key", required=True, help="intake, follow_up_<months> or exit")
@click.option("--yes", is_flag=True, help="Approve without asking after the summary.")
@with_appcontext
def approve(slug: str, wave_key: str, yes: bool) -> None:
    municipality = _municipality(slug)
    if not (wave_key in ("intake", "exit") or WAVE_KEY_RE.fullmatch(wave_key)):
        _fail("a wave is intake, follow_up_<months> or exit")
    summary = release_summary(municipality, wave_key)
    click.echo(f"{slug}: {wave_key} releases")
    click.echo(f"  families:            {summary.families}")
    click.echo(f"  complete waves:      {summary.waves_completed} of {summary.waves_expected}")
    click.echo(f"  drafts not included: {summary.drafts}")
    click.echo(f"  forms missing:       {summary.forms_missing}")
    if not yes and not click.confirm("Approve the wave for research?", default=False):
        db.session.rollback()
        click.echo("not approved")
        raise click.exceptions.Exit(1)
    _sign_off(slug, wave_key, True)


@waves.command("reopen")
@click.option("--municipality", "slug", required=True)
@click.option("--wave", "wave_key", required=True)
@with_appcontext
def reopen(slug: str, wave_key: str) -> None:
    _sign_off(slug, wave_key, False)


@click.group(help="Research exports.")
def export() -> None:
    pass


@export.command("package")
@click.option("--study", "study_id", type=int, required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--as",
    "email",
    default=None,
    help="The researcher (or operator) exporting; default: the study's first.",
)
@with_appcontext
def package(study_id: int, out: Path, email: str | None) -> None:
    study = _study(study_id)
    actor = (
        find_user(email) if email else (study.researchers[0].user if study.researchers else None)
    )
    if actor is None:
        _fail("name the exporting user with --as")

    def progress(table: str, rows: int) -> None:
        click.echo(f"  {table}: {rows} rows …", err=True)

    try:
        result = export_package(study, out, actor, progress)  # type: ignore[arg-type]
    except ResearchError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"wrote {out} (sha256 {result.checksum})")
