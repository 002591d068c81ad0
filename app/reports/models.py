"""Report renderings waiting for, or done by, the background renderer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import UTCDateTime, db, utcnow
from app.tenancy.scoping import platform_or_tenant, scoping_rule

JOB_STATUSES = ("queued", "running", "done", "failed")


class ReportJob(db.Model):
    """One PDF report being rendered: of a municipality (its own) or of a study.

    A municipality's report job belongs to it; a study's (no municipality) to the platform,
    since it spans municipalities. The tenant scope shows a municipality only its own jobs
    and the platform only the studies' (``app.tenancy.scoping``, and row-level security on
    PostgreSQL); the views add that a job is fetched only by the user who asked.
    """

    __tablename__ = "report_job"
    __table_args__ = (
        CheckConstraint(
            "(municipality_id IS NULL) <> (study_id IS NULL)", name="municipality_or_study"
        ),
        CheckConstraint("language IN ('da', 'en')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id"), default=None, index=True
    )
    study_id: Mapped[int | None] = mapped_column(ForeignKey("study.id"), default=None)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    language: Mapped[str] = mapped_column(String(2))
    #: queued, running, done or failed.
    status: Mapped[str] = mapped_column(String(10), default="queued")
    #: What is happening now ("figures", "pdf") or, once failed, why (RenderError.code).
    progress: Mapped[str] = mapped_column(String(200), default="")
    file_name: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


# A study's report jobs belong to the platform; a municipality's to the municipality.
scoping_rule(ReportJob)(platform_or_tenant)
