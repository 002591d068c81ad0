"""Writing audit events. Service functions call :func:`record`; the request commits once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import Select, event, select

from app.audit.models import AuditEvent
from app.core.db import TenantSession, db


class AuditIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit event."""


def record(
    action: str,
    *,
    actor_id: int | None = None,
    municipality_id: int | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction.

    The actor defaults to the signed-in user; the event is committed with the rest of the
    request's work, so an action that is rolled back leaves no misleading trail.
    """
    if actor_id is None and has_request_context() and current_user.is_authenticated:
        actor_id = current_user.id
    event_row = AuditEvent(
        action=action,
        actor_id=actor_id,
        municipality_id=municipality_id,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details or {},
    )
    db.session.add(event_row)
    return event_row


@event.listens_for(TenantSession, "before_flush")
def _refuse_changes_to_audit(session: Any, flush_context: Any, instances: Any) -> None:
    """The application has no path that changes or removes an audit event."""
    changed = [obj for obj in session.dirty if session.is_modified(obj)]
    for obj in changed + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditIsAppendOnly(f"audit event {obj.id} cannot be changed or deleted")


# -- reading the trail -------------------------------------------------------------------

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
        from app.auth.models import User

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
    """One page of events, newest first, with the actor's e-mail (tenant-scoped)."""
    from app.auth.models import User

    statement = (
        select(AuditEvent, User.email)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    return list(db.session.execute(criteria.apply(statement)))


def csv_rows(criteria: AuditFilter) -> Iterator[tuple[str, ...]]:
    """The filtered trail as CSV rows, the header first, oldest first (a generator)."""
    from app.auth.models import User

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
