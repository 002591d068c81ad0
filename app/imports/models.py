"""An uploaded import file, kept between its preview and its confirmation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.crypto import EncryptedString
from app.core.db import JSONType, UTCDateTime, db, utcnow
from app.tenancy.models import TenantOwned

IMPORT_STATUSES = ("checked", "queued", "running", "done", "failed")
IMPORT_FORMATS = ("xlsx", "csv")


class EncryptedText(EncryptedString):
    """An encrypted column without a length limit: a whole file."""

    impl = Text()
    cache_ok = True


class FamilyImport(TenantOwned, db.Model):
    """One uploaded file: checked on upload, written once confirmed, by a job.

    The file holds names and CPR numbers, so it is kept encrypted in the municipality's
    own rows (never in the cookie session) and emptied as soon as it is imported.
    """

    __tablename__ = "family_import"
    __table_args__ = (
        CheckConstraint(
            "status IN ('checked', 'queued', 'running', 'done', 'failed')", name="status"
        ),
        CheckConstraint("file_format IN ('xlsx', 'csv')", name="file_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who uploaded it.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    #: xlsx or csv.
    file_format: Mapped[str] = mapped_column(String(4))
    #: The file, base64 and encrypted; None once it is imported or given up.
    content: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    #: checked (preview shown), queued, running, done or failed.
    status: Mapped[str] = mapped_column(String(10), default="checked")
    #: The language the problems were written in (that of the person who uploaded).
    language: Mapped[str] = mapped_column(String(2), default="da")
    #: Data rows in the file, and how many of them the job has written so far.
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    #: Every problem found: sheet, row, column and message; no cell's value.
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    #: What will be (or was) created: counts, and each new family's reference.
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
