"""Studies, the grants municipalities give them, wave sign-off, and what left."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.crypto import EncryptedString
from app.core.db import JSONType, UTCDateTime, db, utcnow
from app.tenancy.models import TenantOwned


class Study(db.Model):
    """A research study; platform-level, created by the operator."""

    __tablename__ = "study"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    purpose: Mapped[str] = mapped_column(Text)
    #: GDPR legal basis, e.g. "Art. 6(1)(e) and 9(2)(j); databeskyttelseslovens § 10".
    legal_basis: Mapped[str] = mapped_column(Text)
    #: Secret key of the study's pseudonyms (HMAC). Encrypted at rest; never exported.
    pseudonym_key: Mapped[str] = mapped_column(EncryptedString)
    #: Smallest count shown in aggregates of this study (disclosure control).
    suppression_k: Mapped[int] = mapped_column(default=5)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The one-time token of the operator's form that created the study (None from the
    #: command line): the same form sent twice creates one study.
    once_token: Mapped[str | None] = mapped_column(String(64), default=None, unique=True)

    researchers: Mapped[list[StudyResearcher]] = relationship(back_populates="study")


class StudyResearcher(db.Model):
    __tablename__ = "study_researcher"
    __table_args__ = (UniqueConstraint("study_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))

    study: Mapped[Study] = relationship(back_populates="researchers")
    user = relationship("User")


class Grant(TenantOwned, db.Model):
    """A municipality's permission for a study: which forms and waves, which period."""

    __tablename__ = "research_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"), index=True)
    #: Form ids the study may receive (core and this municipality's local ones).
    forms: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Wave kinds: intake, follow_up, exit.
    waves: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Families enrolled in this period (inclusive); None means open-ended.
    period_from: Mapped[date | None] = mapped_column(Date, default=None)
    period_to: Mapped[date | None] = mapped_column(Date, default=None)
    #: Whether free-text answers may leave (off by default).
    free_text: Mapped[bool] = mapped_column(default=False)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    study = relationship("Study")


class WaveApproval(TenantOwned, db.Model):
    """A lead's sign-off that one wave's data may be used for research."""

    __tablename__ = "wave_approval"
    __table_args__ = (UniqueConstraint("municipality_id", "wave_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "intake", "follow_up_6", …, "exit".
    wave_key: Mapped[str] = mapped_column(String(20))
    approved: Mapped[bool] = mapped_column(default=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class ExportRecord(TenantOwned, db.Model):
    """What left one municipality in one export: shown to its admin."""

    __tablename__ = "export_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: table -> rows of this municipality in the package.
    row_counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: SHA-256 of the whole package.
    checksum: Mapped[str] = mapped_column(String(64))

    study = relationship("Study")
    user = relationship("User")


class ExportJob(db.Model):
    """A package being built in the background, so the page can show progress."""

    __tablename__ = "export_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: queued, running, done or failed.
    status: Mapped[str] = mapped_column(String(10), default="queued")
    #: What is being written now, e.g. "adults.csv: 20000 rows".
    progress: Mapped[str] = mapped_column(String(200), default="")
    file_name: Mapped[str | None] = mapped_column(String(200), default=None)
    checksum: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    study = relationship("Study")
