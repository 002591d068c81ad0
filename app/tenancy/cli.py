"""``flask municipalities check|sync``."""

from __future__ import annotations

from pathlib import Path

import click
import tomli_w
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.core.db import db
from app.tenancy.config_files import (
    ConfigFileError,
    ConfigProblem,
    MunicipalityConfig,
    load_directory,
)
from app.tenancy.models import Municipality
from app.tenancy.rls import grant_statements, role_problems
from app.tenancy.services import export_municipality, sync_municipalities
from app.tenancy.settings_spec import markdown_table


@click.group(help="Municipalities as configuration files (municipalities/*.toml).")
def municipalities() -> None:
    pass


def _load(directory: str | None) -> list[MunicipalityConfig]:
    path = Path(directory or current_app.config["MUNICIPALITIES_DIR"])
    try:
        configs = load_directory(path)
        _check_local_forms(configs)
    except ConfigFileError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        raise click.exceptions.Exit(1) from exc
    return configs


def _check_local_forms(configs: list[MunicipalityConfig]) -> None:
    """Every local form a municipality switches on must have a definition: a file in
    forms/local/, or a version published from an imported file (docs/forms.md), which is
    kept in the database only."""
    forms_dir = Path(current_app.config["FORMS_DIR"]) / "local"
    published = _published_form_ids()
    problems = [
        ConfigProblem(
            config.source,
            "forms.local",
            f"{form_id!r} has no definition in forms/local/{config.slug}/"
            f"{form_id.split('.', 1)[1]}/ and none was published",
        )
        for config in configs
        for form_id in config.settings.get("local_forms", [])
        if form_id not in published
        and not any((forms_dir / config.slug / form_id.split(".", 1)[1]).glob("v*.y*ml"))
    ]
    if problems:
        raise ConfigFileError(problems)


def _published_form_ids() -> set[str]:
    """The ids of the published form versions; none without a database schema. Read by
    name: the form versions belong to the collection, a layer above this one."""
    try:
        return set(db.session.scalars(text("SELECT DISTINCT form_id FROM form_version")))
    except (OperationalError, ProgrammingError):
        db.session.rollback()
        return set()


@municipalities.command("check", help="Validate every municipality file; change nothing.")
@click.option("--dir", "directory", help="Folder of *.toml files (default: municipalities/).")
@with_appcontext
def check(directory: str | None) -> None:
    configs = _load(directory)
    for config in configs:
        click.echo(f"ok: {config.source} ({config.code} {config.name_da}, {config.team_model})")


@municipalities.command(
    "sync", help="Validate, then create or update municipalities; report what changed."
)
@click.option("--dir", "directory", help="Folder of *.toml files (default: municipalities/).")
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="SLUG",
    help="Only this municipality (repeatable). A real installation loads its own; the "
    "shipped files are demo data, and a municipality once loaded cannot be removed.",
)
@with_appcontext
def sync(directory: str | None, only: tuple[str, ...]) -> None:
    configs = _load(directory)
    if only:
        known = {config.slug for config in configs}
        unknown = sorted(set(only) - known)
        if unknown:
            click.echo(
                f"error: no municipality file for {', '.join(unknown)}; "
                f"the folder has {', '.join(sorted(known))}",
                err=True,
            )
            raise click.exceptions.Exit(1)
        configs = [config for config in configs if config.slug in only]
    try:
        results = sync_municipalities(configs)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    changed = [r for r in results if r.changed]
    for result in changed:
        for line in result.describe():
            click.echo(line)
    if not changed:
        click.echo(f"no changes ({len(results)} municipalities up to date)")
    else:
        click.echo(f"{len(changed)} of {len(results)} municipalities changed")


@municipalities.command("export", help="Write a municipality's current settings as TOML.")
@click.argument("slug")
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (default: stdout).")
@with_appcontext
def export(slug: str, out: str | None) -> None:
    municipality = db.session.scalar(select(Municipality).filter_by(slug=slug))
    if municipality is None:
        click.echo(f"error: no municipality with slug {slug!r}", err=True)
        raise click.exceptions.Exit(1)
    text = (
        f"# {municipality.name_da}: exported from the database by "
        "`flask municipalities export`.\n" + tomli_w.dumps(export_municipality(municipality))
    )
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}")
    else:
        click.echo(text, nl=False)


@municipalities.command(
    "settings", help="Print the settings a municipality file may hold, as a Markdown table."
)
@with_appcontext
def settings() -> None:
    click.echo(markdown_table(), nl=False)


@click.group(help="PostgreSQL roles for a deployment with row-level security.")
def database() -> None:
    pass


@database.command("grant-app-role")
@click.argument("role")
@with_appcontext
def grant_app_role(role: str) -> None:
    """Give ROLE (which must exist, and not own the tables) what the application needs.

    Run it as the owner role, after `flask db upgrade` (new tables need it again).
    """
    if db.engine.dialect.name != "postgresql":
        raise click.ClickException("roles and row-level security are PostgreSQL features")
    try:
        statements = grant_statements(role)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    with db.engine.begin() as connection:
        exists = connection.exec_driver_sql(
            "SELECT 1 FROM pg_roles WHERE rolname = %(role)s", {"role": role}
        ).first()
        if not exists:
            raise click.ClickException(
                f"role {role} does not exist; create it first: CREATE ROLE {role} LOGIN "
                "PASSWORD '…' NOSUPERUSER NOBYPASSRLS"
            )
        for statement in statements:
            connection.exec_driver_sql(statement)
    click.echo(f"{role} may read and write rows, append to the audit trail, nothing more")


@database.command("check-role")
@with_appcontext
def check_role() -> None:
    """Say whether the role in DATABASE_URL is held by row-level security."""
    with db.engine.connect() as connection:
        problems = role_problems(connection)
    if db.engine.dialect.name != "postgresql":
        click.echo("SQLite: no roles; tenant scoping is enforced by the application alone")
        return
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)
    if problems:
        raise click.exceptions.Exit(1)
    click.echo("ok: the application role is bound by row-level security")
