"""Registers each feature's command group with ``flask``."""

from __future__ import annotations

import base64
import os
import secrets

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.api.cli import tokens
from app.auth.cli import users
from app.backup.cli import backup
from app.collection.cli import forms
from app.core import jobs as job_queue
from app.demo.cli import demo
from app.formimport.cli import import_redcap, import_xlsform
from app.imports.cli import families
from app.notifications.cli import notifications
from app.privacy.cli import privacy
from app.reports.cli import report
from app.research.cli import export, studies, waves
from app.tenancy.cli import database, municipalities


@click.group(help="The job queue: reports, research packages and the daily digest.")
def jobs() -> None:
    pass


@jobs.command("worker", help="Run queued jobs and the periodic tasks until stopped.")
@click.option("--drain", is_flag=True, help="Stop once no job is waiting.")
@with_appcontext
def worker(drain: bool) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"Job worker on {app.config['SQLALCHEMY_DATABASE_URI'].split(':', 1)[0]}")
    job_queue.run_worker(app, drain=drain)


@click.group(help="The keys a production installation needs.")
def keys() -> None:
    pass


@keys.command(
    "generate",
    help="Print a new SECRET_KEY and FIELD_ENCRYPTION_KEY for the service's environment. "
    "Nothing is written anywhere: keep FIELD_ENCRYPTION_KEY apart from the backups.",
)
def generate_keys() -> None:
    # Printed, never written to a file: a key file beside the instance folder would end
    # up in the same backups as the data it protects.
    click.echo(f"SECRET_KEY={secrets.token_urlsafe(48)}")
    click.echo(f"FIELD_ENCRYPTION_KEY={base64.urlsafe_b64encode(os.urandom(32)).decode()}")
    click.echo(
        "Put both into the environment of every app server and job worker. "
        "Keep FIELD_ENCRYPTION_KEY apart from the backups: without it no CPR number or "
        "second factor can be read.",
        err=True,
    )


def init_app(app: Flask) -> None:
    # The imports of a local form from a file belong with the other form commands.
    forms.add_command(import_xlsform)
    forms.add_command(import_redcap)
    for group in (
        municipalities,
        database,
        forms,
        users,
        tokens,
        studies,
        waves,
        export,
        demo,
        families,
        report,
        backup,
        privacy,
        notifications,
        jobs,
        keys,
    ):
        app.cli.add_command(group)
