"""Answers as typed values, one row per answer, written with the submission they belong to.

``submission.answers`` is the document a form page and the API read and write whole. Whoever
reads one variable across many submissions (the indicators, the research package) would
otherwise parse every document again; :class:`AnswerValue` keeps each non-empty answer in
the column of its field type (``stored_in``: a number, a text, a day or a flag), filled in
the same transaction as the document by :func:`store_typed`, so the two never disagree.
Rows mirror the document for drafts and submitted forms alike: readers filter on
``submission.status``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    delete,
    insert,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.db import db
from app.definitions.fields import FieldType
from app.definitions.model import FormDef
from app.tenancy.models import TenantOwned

#: The value columns, one of which holds each answer (a field type's ``stored_in``).
VALUE_COLUMNS = ("number", "text", "day", "flag")


class AnswerValue(TenantOwned, db.Model):
    """One non-empty answer of a submission, in the column its field type is stored in."""

    __tablename__ = "answer_value"
    __table_args__ = (
        ForeignKeyConstraint(
            ["submission_id", "municipality_id"],
            ["submission.id", "submission.municipality_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint(
            " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)" for c in VALUE_COLUMNS)
            + " = 1",
            name="one_value",
        ),
        # Readers by variable: every answer to one question, then their submissions.
        Index("ix_answer_value_name_submission_id", "name", "submission_id"),
    )

    # The primary key leads with the municipality, so the mixin's own index on it would
    # only be one more index to write with every answer.
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="RESTRICT"), primary_key=True
    )
    submission_id: Mapped[int] = mapped_column(primary_key=True)
    #: The field's name as it is a key of ``submission.answers`` (a local form's namespace
    #: comes from ``submission.form_id``).
    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    number: Mapped[float | None] = mapped_column(Float, default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)
    day: Mapped[date | None] = mapped_column(Date, default=None)
    flag: Mapped[bool | None] = mapped_column(Boolean, default=None)


def _kinds(form: FormDef) -> dict[str, FieldType]:
    """Field name -> field type of *form*, kept on the (cached, immutable) form: a bulk
    insert asks it once per submission."""
    kinds = form.__dict__.get("_typed_kinds")
    if kinds is None:
        kinds = {f.name: f.kind for f in form.fields}
        form.__dict__["_typed_kinds"] = kinds
    return kinds  # type: ignore[no-any-return]


def typed_rows(
    submission_id: int, municipality_id: int, form: FormDef, answers: dict[str, Any]
) -> list[dict[str, Any]]:
    """The ``answer_value`` rows of *answers* (to *form*): one per non-empty answer, every
    row with every column, so a caller can insert many submissions' rows in one batch."""
    kinds = _kinds(form)
    rows = []
    for name, value in answers.items():
        kind = kinds.get(name)
        if value is None or kind is None:
            continue
        row: dict[str, Any] = {
            "municipality_id": municipality_id,
            "submission_id": submission_id,
            "name": name,
            "number": None,
            "text": None,
            "day": None,
            "flag": None,
        }
        row[kind.stored_in] = kind.typed_value(value)
        rows.append(row)
    return rows


def store_typed(
    connection: Connection | Session,
    submission_id: int,
    municipality_id: int,
    form: FormDef,
    answers: dict[str, Any],
) -> None:
    """Replace the submission's typed rows by those of *answers*, in the caller's
    transaction (a session's or a connection's)."""
    table = AnswerValue.__table__
    # Core statements on the table, not the entity: no ORM work per row, and the
    # municipality is named in the statement (the rows' policies check it on PostgreSQL).
    connection.execute(
        delete(table).where(
            table.c.municipality_id == municipality_id, table.c.submission_id == submission_id
        )
    )
    rows = typed_rows(submission_id, municipality_id, form, answers)
    if rows:
        connection.execute(insert(table), rows)
