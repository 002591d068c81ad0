"""Writing audit events. Service functions call :func:`record`; the request commits once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import event, insert

from app.audit.models import AuditEvent
from app.core.db import TenantSession, db, utcnow


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
    held_back = db.session.info.get(_HELD)
    if held_back is not None:
        held_back.append(event_row)
    else:
        db.session.add(event_row)
    return event_row


_HELD = "audit_events_held"


@contextmanager
def held() -> Iterator[None]:
    """Keep the events :func:`record` makes inside the block back, and add them to the
    session together when it ends, in the order they were recorded.

    Each flush writes the events added since the last one, so a service that flushes
    per object (an import of thousands of people) would write its events one INSERT at a
    time; held back, one flush writes them in one multi-row INSERT. If the block raises,
    its events are dropped: the caller rolls back the work they describe.
    """
    if _HELD in db.session.info:  # already held by an outer block: that one adds them
        yield
        return
    events: list[AuditEvent] = []
    db.session.info[_HELD] = events
    try:
        yield
    finally:
        del db.session.info[_HELD]
    db.session.add_all(events)


def record_each(
    action: str,
    *,
    object_type: str,
    object_ids: list[Any],
    municipality_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """:func:`record` one event per object, in one multi-row INSERT: a download that reads
    thousands of families records each read without thousands of round trips."""
    if not object_ids:
        return
    actor_id = current_user.id if has_request_context() and current_user.is_authenticated else None
    now = utcnow()
    db.session.execute(
        insert(AuditEvent),
        [
            {
                "occurred_at": now,
                "action": action,
                "actor_id": actor_id,
                "municipality_id": municipality_id,
                "object_type": object_type,
                "object_id": str(object_id),
                "details": details or {},
            }
            for object_id in object_ids
        ],
    )


@event.listens_for(TenantSession, "before_flush")
def _refuse_changes_to_audit(session: Any, flush_context: Any, instances: Any) -> None:
    """The application has no path that changes or removes an audit event."""
    changed = [obj for obj in session.dirty if session.is_modified(obj)]
    for obj in changed + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditIsAppendOnly(f"audit event {obj.id} cannot be changed or deleted")
