"""``flask users create|set-password|grant|reset-two-factor|deactivate`` for operators."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.auth import twofactor
from app.auth.models import MEMBERSHIP_ROLES, PLATFORM_ROLES
from app.auth.services import (
    AccountError,
    create_user,
    deactivate_user,
    find_user,
    grant_membership,
    set_password,
)
from app.core.db import db
from app.tenancy.models import Municipality


@click.group(help="User accounts.")
def users() -> None:
    pass


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(1)


def _municipality(slug: str) -> Municipality:
    municipality = db.session.scalar(select(Municipality).filter_by(slug=slug))
    if municipality is None:
        _fail(f"no municipality with slug {slug!r} (run `flask municipalities sync` first?)")
    return municipality  # type: ignore[return-value]


#: The platform role ``--operator`` gives.
OPERATOR = "operator"


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--platform-role", type=click.Choice(PLATFORM_ROLES), default=None)
@click.option("--operator", is_flag=True, help="The same as --platform-role operator.")
@click.option("--municipality", "slug", help="Give a role in this municipality (slug).")
@click.option("--role", type=click.Choice(MEMBERSHIP_ROLES), default=None)
@with_appcontext
def create(
    email: str,
    name: str,
    password: str,
    platform_role: str | None,
    operator: bool,
    slug: str | None,
    role: str | None,
) -> None:
    """Create a user, optionally with a role in one municipality."""
    if bool(slug) != bool(role):
        _fail("--municipality and --role go together")
    if operator:
        if platform_role is not None:
            _fail("--operator and --platform-role name a platform role twice: give one")
        platform_role = OPERATOR
    try:
        user = create_user(email, name, password, platform_role=platform_role)
        if slug and role:
            grant_membership(user, _municipality(slug), role)
    except AccountError as exc:
        db.session.rollback()
        _fail(str(exc))
    db.session.commit()
    held = [f"{role} in {slug}"] if slug else []
    held += [platform_role] if platform_role else []
    click.echo(f"created {user.email}" + (f" ({', '.join(held)})" if held else ""))


@users.command("set-password")
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def set_password_command(email: str, password: str) -> None:
    """Set a user's password; the user is signed out everywhere."""
    user = find_user(email)
    if user is None:
        _fail(f"no user with e-mail {email}")
    try:
        set_password(user, password)  # type: ignore[arg-type]
    except AccountError as exc:
        db.session.rollback()
        _fail(str(exc))
    db.session.commit()
    click.echo(f"password set for {user.email}")  # type: ignore[union-attr]


@users.command("grant")
@click.option("--email", required=True)
@click.option("--municipality", "slug", required=True)
@click.option("--role", type=click.Choice(MEMBERSHIP_ROLES), required=True)
@with_appcontext
def grant(email: str, slug: str, role: str) -> None:
    """Give a user a role in a municipality (or change it)."""
    user = find_user(email)
    if user is None:
        _fail(f"no user with e-mail {email}")
    grant_membership(user, _municipality(slug), role)  # type: ignore[arg-type]
    db.session.commit()
    click.echo(f"{email} is {role} in {slug}")


@users.command("reset-two-factor")
@click.option("--email", required=True)
@with_appcontext
def reset_two_factor(email: str) -> None:
    """Remove a user's authenticator key (a lost phone); they set up a new one at sign-in.

    The user is signed out everywhere.
    """
    user = find_user(email)
    if user is None:
        _fail(f"no user with e-mail {email}")
    twofactor.reset(user, by=None)  # type: ignore[arg-type]
    db.session.commit()
    click.echo(f"two-factor sign-in reset for {email}; a new app is set up at the next sign-in")


@users.command("deactivate")
@click.option("--email", required=True)
@with_appcontext
def deactivate(email: str) -> None:
    """Close a user's account: no more sign-ins, and every open session ends now."""
    user = find_user(email)
    if user is None:
        _fail(f"no user with e-mail {email}")
    deactivate_user(user)  # type: ignore[arg-type]
    db.session.commit()
    click.echo(f"{email} is deactivated and signed out everywhere")
