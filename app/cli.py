"""Registers each feature's command group with ``flask``."""

from __future__ import annotations

from flask import Flask

from app.api.cli import tokens
from app.auth.cli import users
from app.backup.cli import backup
from app.collection.cli import forms
from app.demo.cli import demo
from app.notifications.cli import notifications
from app.privacy.cli import privacy
from app.reports.cli import report
from app.research.cli import export, studies, waves
from app.tenancy.cli import database, municipalities


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
    ):
        app.cli.add_command(group)
