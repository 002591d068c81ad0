"""Registers each feature's command group with ``flask``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.api.cli import tokens
from app.auth.cli import users
from app.backup.cli import backup
from app.collection.cli import forms
from app.core import jobs as job_queue
from app.demo.cli import demo
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


def init_app(app: Flask) -> None:
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
        report,
        backup,
        privacy,
        notifications,
        jobs,
    ):
        app.cli.add_command(group)
