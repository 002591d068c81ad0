"""Writing audit events. Service functions call :func:`record`; the request commits once."""

from __future__ import annotations

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
    db.session.add(event_row)
    return event_row


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
