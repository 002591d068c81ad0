"""``flask families import|import-template``: bringing a running programme's families in."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from app.core import dates
from app.core.db import db
from app.core.formatting import counted
from app.imports.check import Problem
from app.imports.layout import UnreadableFile, intake_forms, write_template
from app.imports.services import ImportFailed, check_content, write_checked
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope


@click.group(help="Families brought in from another system.")
def families() -> None:
    pass


def _municipality(slug: str) -> Municipality:
    municipality = db.session.scalar(select(Municipality).filter_by(slug=slug))
    if municipality is None:
        raise click.ClickException(f"no municipality with slug {slug!r}")
    return municipality


def file_format(path: Path) -> str:
    """xlsx or csv, by the file's name."""
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise click.ClickException("the file must be .xlsx or .csv")
    return suffix[1:]


def _echo_problems(problems: list[Problem]) -> None:
    # Where and what, never the cell's value: the output may end up in a log.
    for p in problems:
        click.echo(f"{p.sheet}, row {p.row}, column {p.column}: {p.message}", err=True)


@families.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--municipality", "slug", required=True, help="The municipality's slug.")
@click.option("--dry-run", is_flag=True, help="Check the file and say what it would create.")
@with_appcontext
def import_command(path: Path, slug: str, dry_run: bool) -> None:
    """Import the families, adults, children and intake answers of PATH (docs/import.md):
    all of it, or nothing if any cell has a problem."""
    kind = file_format(path)
    municipality = _municipality(slug)
    today = dates.today()
    # No request chooses a language here: the problems are written in the default one.
    language = current_app.config["BABEL_DEFAULT_LOCALE"]
    with tenant_scope(municipality), force_locale(language):
        try:
            checked = check_content(municipality, path.read_bytes(), kind, today)
        except UnreadableFile as exc:
            raise click.ClickException(str(exc)) from exc
        counts = checked.counts()
        if not checked.ok:
            db.session.rollback()
            _echo_problems(checked.problems)
            click.echo(
                f"{counted(len(checked.problems), 'problem')}; nothing was imported.", err=True
            )
            raise click.exceptions.Exit(1)
        if dry_run:
            db.session.rollback()
            click.echo(_summary(counts, "would be"))
            return
        try:
            write_checked(municipality, checked, actor_id=None, today=today, file_format=kind)
        except ImportFailed as exc:
            db.session.rollback()
            _echo_problems(exc.problems)
            click.echo(f"{counted(len(exc.problems), 'problem')}; nothing was imported.", err=True)
            raise click.exceptions.Exit(1) from exc
        except Exception:
            db.session.rollback()
            raise
        db.session.commit()
    click.echo(_summary(counts, "were"))


def _summary(counts: dict[str, int], verb: str) -> str:
    text = (
        f"{counts['families']} families, {counts['adults']} adults and "
        f"{counts['children']} children {verb} imported"
    )
    if counts["already_present"]:
        text += f"; {counts['already_present']} families were there already and are unchanged"
    if not counts["families"]:
        text += "; nothing changes"
    return text + "."


@families.command("import-template")
@click.option("--municipality", "slug", required=True, help="The municipality's slug.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def template_command(slug: str, out: Path) -> None:
    """Write the workbook to fill in: the municipality's intake variables, their Danish
    labels, and the codes each code list allows."""
    municipality = _municipality(slug)
    with tenant_scope(municipality), force_locale("da"):
        out.write_bytes(write_template(intake_forms(municipality), dates.today()))
    click.echo(f"Template written to {out}.")
