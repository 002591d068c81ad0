"""Published form versions and the submissions that answer them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.collection.windows import WINDOW_REASONS
from app.core.db import JSONType, UTCDateTime, db, utcnow
from app.definitions.model import FormDef, content_hash
from app.families.models import Family, Member, Wave
from app.tenancy.models import TenantOwned

SUBMISSION_STATUSES = ("draft", "submitted")


class FormVersion(db.Model):
    """An immutable snapshot of one version of a form definition, with its code lists.

    Shared by every municipality (the core instruments are identical everywhere); a local
    form's id carries its municipality's namespace.
    """

    __tablename__ = "form_version"
    __table_args__ = (UniqueConstraint("form_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: e.g. "adult_intake" or "jammerbugt.bip".
    form_id: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int]
    level: Mapped[str] = mapped_column(String(10))
    #: SHA-256 of the canonical definition; a changed definition needs a new version.
    content_hash: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @staticmethod
    def local_to(slug: str) -> ColumnElement[bool]:
        """The versions of *slug*'s local forms. Versions are shared rows, not a tenant's:
        the namespace in a local form's id is its municipality, and this is where a query
        says so."""
        return FormVersion.form_id.startswith(f"{slug}.", autoescape=True)

    def is_local_to(self, slug: str) -> bool:
        return self.form_id.startswith(f"{slug}.")

    @property
    def form(self) -> FormDef:
        # Snapshots change only in their checks, so the parsed form is cached by both hashes;
        # the loaded row remembers its own, as long as its definition is the same object
        # (a page over many waves asks each version thousands of times).
        memo = self.__dict__.get("_form_memo")
        if memo is not None and memo[0] is self.definition:
            return memo[1]  # type: ignore[no-any-return]
        key = (self.content_hash, content_hash({"checks": self.definition.get("checks", [])}))
        parsed = _PARSED.get(key)
        if parsed is None:
            parsed = _PARSED[key] = FormDef.from_dict(self.definition)
        self.__dict__["_form_memo"] = (self.definition, parsed)
        return parsed


_PARSED: dict[tuple[str, str], FormDef] = {}


class Submission(TenantOwned, db.Model):
    """The answers to one form, for one family (or one of its members), in one wave."""

    __tablename__ = "submission"
    __table_args__ = (
        ForeignKeyConstraint(
            ["family_id", "municipality_id"], ["family.id", "family.municipality_id"]
        ),
        ForeignKeyConstraint(["wave_id", "municipality_id"], ["wave.id", "wave.municipality_id"]),
        ForeignKeyConstraint(
            ["member_id", "municipality_id"],
            ["family_member.id", "family_member.municipality_id"],
        ),
        # What a typed answer's composite foreign key points at (app.collection.typed), so
        # it cannot name another municipality's submission.
        UniqueConstraint("id", "municipality_id"),
        CheckConstraint("status IN ('draft', 'submitted')", name="status"),
        CheckConstraint(
            "window_reason IS NULL OR window_reason IN ("
            + ", ".join(f"'{code}'" for code in WINDOW_REASONS)
            + ")",
            name="window_reason",
        ),
        # One submission per (wave, form) for the family, and per (wave, form, member); the
        # municipality is in every unique key of a tenant table (Citus shards by it).
        Index(
            "uq_submission_family_form",
            "wave_id",
            "form_id",
            "municipality_id",
            unique=True,
            sqlite_where=text("member_id IS NULL"),
            postgresql_where=text("member_id IS NULL"),
        ),
        Index(
            "uq_submission_member_form",
            "wave_id",
            "form_id",
            "member_id",
            "municipality_id",
            unique=True,
            sqlite_where=text("member_id IS NOT NULL"),
            postgresql_where=text("member_id IS NOT NULL"),
        ),
        # The dashboard's unfinished drafts, newest first, without reading the submitted.
        Index(
            "ix_submission_drafts",
            "municipality_id",
            "updated_at",
            sqlite_where=text("status = 'draft'"),
            postgresql_where=text("status = 'draft'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(index=True)
    wave_id: Mapped[int] = mapped_column(index=True)
    #: None for family-level forms.
    member_id: Mapped[int | None] = mapped_column(default=None, index=True)
    #: Denormalised from the version so uniqueness holds across versions.
    form_id: Mapped[str] = mapped_column(String(80))
    #: The immutable snapshot these answers were given to.
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_version.id"))
    #: field name -> stored value (codes for choices, ISO dates, numbers, booleans).
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    #: Ids of the form's warning checks the user confirmed and that applied when saved.
    confirmed_checks: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: The fields the person the form is about answered themselves (a self-report link,
    #: app/selfreport); staff see these answers but cannot change them.
    self_reported: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Optimistic lock: every save increments it; a save based on an older one is a conflict.
    lock_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: Who submitted it first (the family page says who and when); None for a draft.
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    #: Why it was submitted outside its wave's window (one of WINDOW_REASONS), confirmed
    #: by whom and when; None for a submission inside the window.
    window_reason: Mapped[str | None] = mapped_column(String(30), default=None)
    window_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    window_confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), default=None
    )

    __mapper_args__ = {"version_id_col": lock_version}

    form_version: Mapped[FormVersion] = relationship()
    family: Mapped[Family] = relationship(overlaps="wave,member")
    wave: Mapped[Wave] = relationship(overlaps="family,member")
    member: Mapped[Member | None] = relationship(overlaps="family,wave")
    updated_by = relationship("User", foreign_keys=[updated_by_id])
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    window_confirmed_by = relationship("User", foreign_keys=[window_confirmed_by_id])
