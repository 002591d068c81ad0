"""``flask forms import-xlsform|import-redcap``: a local form from a file, checked, then
published as a new version (or, with ``--dry-run``, only checked)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from app.core.db import db
from app.core.formatting import counted
from app.definitions.field_checks import NAME_RE
from app.definitions.model import LEVELS, WAVES
from app.formimport.reading import UnreadableFile
from app.formimport.services import check_upload, publish
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope


def _import(
    path: Path, source: str, slug: str, name: str, level: str, waves: str, dry_run: bool
) -> None:
    municipality = db.session.scalar(select(Municipality).filter_by(slug=slug))
    if municipality is None:
        raise click.ClickException(f"no municipality with slug {slug!r}")
    if not NAME_RE.match(name):
        raise click.ClickException(
            f"the name {name!r} must be a lower-case identifier (a-z, 0-9, _)"
        )
    chosen = [w.strip() for w in waves.split(",") if w.strip()]
    if not chosen or any(w not in WAVES for w in chosen):
        raise click.ClickException(f"--waves takes one or more of {', '.join(WAVES)}")
    # No request chooses a language here: the problems are written in the default one.
    language = current_app.config["BABEL_DEFAULT_LOCALE"]
    with tenant_scope(municipality), force_locale(language):
        try:
            checked = check_upload(municipality, path.read_bytes(), source, name, level, chosen)
        except UnreadableFile as exc:
            raise click.ClickException(str(exc)) from exc
        if not checked.ok:
            db.session.rollback()
            for p in checked.problems:
                click.echo(
                    f"{p.code} {p.sheet}, row {p.row}, column {p.column}: {p.message}", err=True
                )
            click.echo(
                f"{counted(len(checked.problems), 'problem')}; nothing was published.", err=True
            )
            raise click.exceptions.Exit(1)
        form = checked.form
        assert form is not None  # checked.ok
        if dry_run:
            db.session.rollback()
            questions = counted(len(form.fields), "question")
            click.echo(f"{form.form_id} v{form.version} would be published ({questions}).")
            return
        try:
            version, created = publish(municipality, checked, actor_id=None)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    if created:
        questions = counted(len(form.fields), "question")
        click.echo(f"published: {version.form_id} v{version.version} ({questions})")
    else:
        click.echo(f"unchanged: {version.form_id} v{version.version} already asks these questions")


def _file_options(function: Any) -> Any:
    """The arguments both commands take, in the order ``--help`` lists them."""
    for option in reversed(
        [
            click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
            click.option("--municipality", "slug", required=True, help="The municipality's slug."),
            click.option("--name", required=True, help="The form's name: its id is <slug>.<name>."),
            click.option("--level", type=click.Choice(LEVELS), default="adult", show_default=True),
            click.option(
                "--waves", default="intake,follow_up", show_default=True, help="Comma-separated."
            ),
            click.option("--dry-run", is_flag=True, help="Check the file; publish nothing."),
        ]
    ):
        function = option(function)
    return function


@click.command("import-xlsform")
@_file_options
@with_appcontext
def import_xlsform(**options: Any) -> None:
    """Publish the XLSForm at PATH as a new version of the local form <slug>.<name>."""
    _import(source="xlsform", **options)


@click.command("import-redcap")
@_file_options
@with_appcontext
def import_redcap(**options: Any) -> None:
    """Publish the REDCap data dictionary (CSV) at PATH as a new version of <slug>.<name>."""
    _import(source="redcap", **options)
