"""Reading the audit trail: one filter for the page, its pages of events and the CSV.

The events are written in the bottom layer (``app.audit``); reading them joins the actor's
e-mail, which is auth's, so the trail lives here with the pages that show it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select

from app.admin.audit_sentences import Described, describe
from app.audit.models import AuditEvent
from app.auth.models import User
from app.core.db import db

#: Columns of the CSV download, in order. Details go out as JSON text.
CSV_COLUMNS = ("occurred_at", "actor_email", "action", "object_type", "object_id", "details")


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None

    def apply(self, statement: Select[Any]) -> Select[Any]:
        if self.action:
            statement = statement.where(AuditEvent.action.startswith(self.action))
        if self.actor:
            statement = statement.where(
                AuditEvent.actor_id.in_(
                    select(User.id).where(User.email.contains(self.actor.strip().lower()))
                )
            )
        if self.object_type:
            statement = statement.where(AuditEvent.object_type == self.object_type)
        if self.object_id:
            statement = statement.where(AuditEvent.object_id == self.object_id)
        if self.since:
            statement = statement.where(AuditEvent.occurred_at >= _day_start(self.since))
        if self.until:
            statement = statement.where(
                AuditEvent.occurred_at < _day_start(self.until + timedelta(days=1))
            )
        return statement


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def events(criteria: AuditFilter, *, page: int = 1, per_page: int = 100) -> list[Any]:
    """One page of events, newest first, with the actor's e-mail and name (tenant-scoped)."""
    statement = (
        select(AuditEvent, User.email, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    return list(db.session.execute(criteria.apply(statement)))


def csv_rows(criteria: AuditFilter) -> Iterator[tuple[str, ...]]:
    """The filtered trail as CSV rows, the header first, oldest first (a generator)."""
    yield CSV_COLUMNS
    statement = criteria.apply(
        select(AuditEvent, User.email)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
        .execution_options(yield_per=1000)
    )
    for event_row, email in db.session.execute(statement):
        yield (
            event_row.occurred_at.isoformat(timespec="seconds"),
            email or "",
            event_row.action,
            event_row.object_type or "",
            event_row.object_id or "",
            json.dumps(event_row.details, ensure_ascii=False, sort_keys=True),
        )


@dataclass(frozen=True)
class Line:
    """One event as the page shows it."""

    event: AuditEvent
    email: str | None
    text: Described


def lines(rows: list[Any]) -> list[Line]:
    """The page's events as sentences; people named in them are looked up once."""
    ids: set[int] = set()
    for event_row, _email, _name in rows:
        if event_row.object_type == "user" and (event_row.object_id or "").isdigit():
            ids.add(int(event_row.object_id))
        person = (event_row.details or {}).get("user_id")
        if isinstance(person, int):
            ids.add(person)
    names = (
        {
            str(i): n
            for i, n in db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))
        }
        if ids
        else {}
    )
    return [
        Line(
            event_row,
            email,
            describe(
                event_row.action,
                event_row.details,
                actor=name or email,
                object_type=event_row.object_type,
                object_id=event_row.object_id,
                object_name=names.get(event_row.object_id or "")
                if event_row.object_type == "user"
                else None,
                names=names,
            ),
        )
        for event_row, email, name in rows
    ]
