"""``flask demo seed``: the five seed municipalities with a login for every role."""

from __future__ import annotations

import time

import click
import pyotp
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.collection.cli import load_checked
from app.core.db import db
from app.demo.generate import generate
from app.demo.services import DEFAULT_PASSWORD, DEMO_TOTP_SECRET, seed_demo
from app.tenancy.cli import _load
from app.tenancy.models import Municipality


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
    click.echo(
        "Admins, the researcher and the operator also need a code: add the key "
        f"{DEMO_TOTP_SECRET} to an authenticator app, or run `flask --app wsgi demo code`."
    )


@demo.command("code")
@with_appcontext
def code() -> None:
    """Print the current two-factor code of the demo logins (not in production)."""
    if current_app.config["HELHED_ENV"] == "production":
        click.echo("error: the demo key is refused in production", err=True)
        raise click.exceptions.Exit(1)
    click.echo(pyotp.TOTP(DEMO_TOTP_SECRET).now())


@demo.command("generate")
@click.option(
    "--families",
    type=click.IntRange(1, 5_000_000),
    required=True,
    help="How many families in all, spread evenly over the municipalities.",
)
@click.option(
    "--municipalities",
    "slugs",
    default="",
    help="Comma-separated slugs (default: every municipality).",
)
@click.option("--seed", type=int, default=1, show_default=True)
@with_appcontext
def generate_command(families: int, slugs: str, seed: int) -> None:
    """Add synthetic families with answers, for benchmarks (never in production)."""

    if current_app.config["HELHED_ENV"] == "production":
        click.echo("error: synthetic data is refused in production", err=True)
        raise click.exceptions.Exit(1)
    wanted = [s.strip() for s in slugs.split(",") if s.strip()]
    statement = select(Municipality).order_by(Municipality.slug)
    if wanted:
        statement = statement.where(Municipality.slug.in_(wanted))
    chosen = list(db.session.scalars(statement))
    unknown = set(wanted) - {m.slug for m in chosen}
    if unknown or not chosen:
        click.echo(
            f"error: no municipality {', '.join(sorted(unknown)) or '(none loaded)'}", err=True
        )
        raise click.exceptions.Exit(1)
    started = time.perf_counter()
    share, extra = divmod(families, len(chosen))
    for i, municipality in enumerate(chosen):
        result = generate(municipality, share + (i < extra), seed=seed, progress=click.echo)
        db.session.commit()
        click.echo(
            f"{municipality.slug}: {result.families} families, {result.members} members, "
            f"{result.waves} waves, {result.submissions} submissions, "
            f"{result.assigned} families assigned to its staff and leads"
        )
    click.echo(f"done in {time.perf_counter() - started:.1f} s")
