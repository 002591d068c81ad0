"""The audit trail: one append-only row per thing that happened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import JSONType, UTCDateTime, db, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_municipality_occurred", "municipality_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who did it; None for anonymous actions such as a failed login of an unknown address.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), default=None
    )
    #: The municipality whose data or settings were touched; None for platform events.
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id", ondelete="RESTRICT"), default=None
    )
    #: Dotted verb, e.g. "auth.login", "auth.login_failed", "municipality.updated".
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str | None] = mapped_column(String(60), default=None)
    object_id: Mapped[str | None] = mapped_column(String(60), default=None)
    #: What changed or why; never passwords or CPR numbers.
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
