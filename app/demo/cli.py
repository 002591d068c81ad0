"""``flask demo seed``: the five seed municipalities with a login for every role."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.core.db import db
from app.definitions.cli import load_checked
from app.demo.services import DEFAULT_PASSWORD, seed_demo
from app.tenancy.cli import _load


@click.group(help="Demonstration data (never in production).")
def demo() -> None:
    pass


@demo.command("seed")
@click.option(
    "--password", default=DEFAULT_PASSWORD, show_default=True, help="Password for every demo login."
)
@with_appcontext
def seed(password: str) -> None:
    if current_app.config["HELHED_ENV"] == "production":
        click.echo("error: demo data is refused in production (HELHED_ENV=production)", err=True)
        raise click.exceptions.Exit(1)
    configs = _load(None)
    catalogue = load_checked(None)
    try:
        logins = seed_demo(configs, password, catalogue)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(f"Demo logins (password: {password}):")
    for email, description in logins:
        click.echo(f"  {email:<32} {description}")
