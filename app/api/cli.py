"""``flask tokens create``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.api.tokens import DEFAULT_DAYS, TokenError, create_token
from app.auth.services import find_user
from app.core.db import db
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope


@click.group(help="Personal access tokens for the API.")
def tokens() -> None:
    pass


@tokens.command("create", help="Create a token and print it once.")
@click.option("--user", "email", required=True)
@click.option("--municipality", "slug", required=True)
@click.option("--expires-days", "days", type=int, default=DEFAULT_DAYS, show_default=True)
@click.option("--name", default="API", show_default=True)
@with_appcontext
def create(email: str, slug: str, days: int, name: str) -> None:
    user = find_user(email)
    municipality = db.session.scalar(select(Municipality).filter_by(slug=slug))
    if user is None or municipality is None:
        click.echo(f"error: no user {email!r} or no municipality {slug!r}", err=True)
        raise click.exceptions.Exit(1)
    try:
        with tenant_scope(municipality, user.id):
            _, plain = create_token(user, municipality, name, days)
            db.session.commit()
    except TokenError as exc:
        db.session.rollback()
        click.echo(f"error: {exc}", err=True)
        raise click.exceptions.Exit(1) from exc
    click.echo(plain)
