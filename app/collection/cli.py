"""``flask forms check|publish``.

Here, not in ``app.definitions``: both compare the folder with the versions already
published and answered, which the collection stores.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.collection.services import PublishError, publish_catalogue, published_state
from app.core.db import db
from app.definitions.loader import Catalogue, DefinitionError, load_catalogue


@click.group(help="Form definitions and code lists (forms/).")
def forms() -> None:
    pass


def load_checked(directory: str | None, *, against_database: bool = True) -> Catalogue:
    """Load the folder; with a database, also refuse answered versions changed in place."""
    root = Path(directory or current_app.config["FORMS_DIR"])
    published = None
    if against_database:
        try:
            published = published_state()
        except (OperationalError, ProgrammingError):
            db.session.rollback()  # no schema yet: nothing is published, nothing answered
    try:
        return load_catalogue(root, published)
    except DefinitionError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{len(exc.problems)} problem(s) found", err=True)
        raise click.exceptions.Exit(1) from exc


@forms.command("check", help="Check every definition and code list; change nothing.")
@click.option("--dir", "directory", help="Folder to check (default: forms/).")
@with_appcontext
def check(directory: str | None) -> None:
    catalogue = load_checked(directory)
    db.session.rollback()
    for form_id in catalogue.form_ids():
        versions = sorted(v for f, v in catalogue.forms if f == form_id)
        click.echo(f"ok: {form_id} (versions {', '.join(map(str, versions))})")
    click.echo(f"ok: {len(catalogue.codelists)} code lists")


@forms.command("publish", help="Check, then store a snapshot of every new or changed version.")
@click.option("--dir", "directory", help="Folder to publish (default: forms/).")
@with_appcontext
def publish(directory: str | None) -> None:
    catalogue = load_checked(directory)
    try:
        report = publish_catalogue(catalogue)
        db.session.commit()
    except PublishError as exc:
        db.session.rollback()
        click.echo(f"error: {exc}", err=True)
        raise click.exceptions.Exit(1) from exc
    for key in report.created:
        click.echo(f"published: {key}")
    for key in report.replaced:
        click.echo(f"replaced (no answers yet): {key}")
    for key in report.restored:
        click.echo(f"restored (a bound or attribute of 0 it had lost): {key}")
    for key in report.checks_updated:
        click.echo(f"checks updated (questions unchanged): {key}")
    if not (report.created or report.replaced or report.restored or report.checks_updated):
        click.echo(f"no changes ({len(report.unchanged)} versions already published)")
