"""The process's copies of the municipalities: their ids by slug, and their rows by
``updated_at``.

The API answers thousands of requests a minute for a handful of municipalities whose
rows change a few times a year. Each request still reads the row's ``updated_at`` (in the
query that checks its token, so at no extra statement) and uses the copy only while that
stamp is the one the copy was made at: a change made by another process is seen by the
next request. A slug never changes (the municipality files are synchronised by it), so
the id behind a slug is kept for the life of the process.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import make_transient_to_detached

from app.core.db import db
from app.tenancy.models import Municipality

_LOCK = threading.Lock()
_IDS: dict[str, int] = {}
#: municipality id -> (its updated_at, a detached copy of its row).
_ROWS: dict[int, tuple[datetime, Municipality]] = {}


def municipality_id(slug: str) -> int | None:
    """The id of the municipality at *slug*; read once per process."""
    found = _IDS.get(slug)
    if found is None:
        found = db.session.scalar(select(Municipality.id).filter_by(slug=slug))
        if found is not None:
            with _LOCK:
                _IDS[slug] = found
    return found


def municipality(municipality_id: int, updated_at: datetime) -> Municipality:
    """The municipality as of *updated_at*, in the session without a statement once the
    process holds that version of its row.

    Merged without loading: the session gets its own instance, so nothing a request does
    to it reaches the copy, except a change made in place inside its settings, which the
    application never makes (it assigns a new mapping; see app.admin).
    """
    held = _ROWS.get(municipality_id)
    if held is None or held[0] != updated_at:
        row = db.session.get_one(Municipality, municipality_id)
        copy = Municipality(
            **{column.key: getattr(row, column.key) for column in Municipality.__table__.columns}
        )
        make_transient_to_detached(copy)
        with _LOCK:
            _ROWS[municipality_id] = (row.updated_at, copy)
        return row
    return db.session.merge(held[1], load=False)
