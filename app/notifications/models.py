"""The record that a day's digest went out: one row per day, so it goes once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import UTCDateTime, db, utcnow


class DigestRun(db.Model):
    """The daily digest of one day (Copenhagen's). The day is the primary key: of two
    processes that start the same day's digest at once, the database lets one insert it,
    and only that one sends."""

    __tablename__ = "digest_run"

    day: Mapped[date] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: How many mails were sent (addresses are never kept).
    mails: Mapped[int] = mapped_column(default=0)
