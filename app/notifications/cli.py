"""``flask notifications send [--today YYYY-MM-DD] [--again]``: the daily digest."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from app.core import dates
from app.notifications.digest import run_daily, send_digest


@click.group(help="Reminders by e-mail.")
def notifications() -> None:
    pass


@notifications.command("send", help="Send the daily digest of due and overdue forms.")
@click.option("--today", "day", default=None, help="The day to count for, YYYY-MM-DD.")
@click.option("--again", is_flag=True, help="Send even if that day's digest went already.")
@with_appcontext
def send(day: str | None, again: bool) -> None:
    try:
        today = datetime.strptime(day, "%Y-%m-%d").date() if day else dates.today()
    except ValueError as exc:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--today") from exc
    if again:
        sent: int | None = send_digest(today)
    else:
        sent = run_daily(today)
    if sent is None:
        click.echo(f"The digest of {today.isoformat()} was sent already (--again sends it again).")
        return
    click.echo(f"{sent} mails sent for {today.isoformat()}.")
