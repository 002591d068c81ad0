"""The waves table's window variables: how many days from a wave's due date its forms were
submitted, and the reason given for submitting outside the window.

Appended after the table's existing columns, so no existing variable moves. Declared in
the Table Schema (with the reason's codes) and in the codebook (with their labels).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import force_locale
from sqlalchemy import ColumnElement, func, select

from app.collection.labels import WINDOW_REASON_LABELS
from app.collection.models import Submission
from app.collection.windows import WINDOW_REASONS
from app.core import dates
from app.families.models import Wave
from app.research.variables import Variable

TABLE = "waves"

FIELDS: list[dict[str, Any]] = [
    {
        "name": "days_from_due",
        "type": "integer",
        "description": "Days from the wave's due date to the day (Copenhagen time) its last "
        "form was submitted; negative if before the due date, empty if none was submitted",
    },
    {
        "name": "window_reason",
        "type": "string",
        "description": "Reason given for submitting outside the wave's window (the latest "
        "such submission's); empty if every form was submitted inside it",
        "constraints": {"enum": list(WINDOW_REASONS)},
    },
]


def last_submitted() -> ColumnElement[datetime]:
    """The moment the wave's last form was submitted (a correlated subquery)."""
    return (
        select(func.max(Submission.submitted_at))
        .where(Submission.wave_id == Wave.id, Submission.status == "submitted")
        .scalar_subquery()
    )


def latest_reason() -> ColumnElement[str]:
    """The window reason of the wave's latest submission that gave one."""
    return (
        select(Submission.window_reason)
        .where(
            Submission.wave_id == Wave.id,
            Submission.status == "submitted",
            Submission.window_reason.is_not(None),
        )
        .order_by(Submission.submitted_at.desc(), Submission.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def cells(due: date, submitted: datetime | None, reason: str | None) -> list[Any]:
    days = (dates.local_day(submitted) - due).days if submitted is not None else None
    return [days, reason]


def _both(label: Any) -> dict[str, str]:
    texts = {}
    for language in ("da", "en"):
        with force_locale(language):
            texts[language] = str(label)
    return texts


def variables() -> list[Variable]:
    """The two variables for the codebook, with the reason's value labels."""
    return [
        Variable(
            name="days_from_due",
            table=TABLE,
            type="integer",
            label={
                "da": "Dage fra rundens frist til indsendelse (negativ: før fristen)",
                "en": "Days from the wave's due date to submission (negative: early)",
            },
        ),
        Variable(
            name="window_reason",
            table=TABLE,
            type="string",
            label={
                "da": "Årsag til indsendelse uden for vinduet",
                "en": "Reason for submitting outside the window",
            },
            codes={code: _both(WINDOW_REASON_LABELS[code]) for code in WINDOW_REASONS},
        ),
    ]
