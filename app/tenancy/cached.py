"""The process's copies of the municipalities: their ids by slug, and their rows by
``updated_at``.

The API answers thousands of requests a minute for a handful of municipalities whose
rows change a few times a year. Each request still reads the row's ``updated_at`` (in the
query that checks its token, so at no extra statement) and uses the copy only while that
stamp is the one the copy was made at: a change made by another process is seen by the
next request. A slug never changes (the municipality files are synchronised by it), so
the id behind a slug is kept, and checked in that same query (:func:`updated_at`): a
municipality deleted and made again has another id, and the request reads it afresh.
The copies are the application's (``app.extensions``): each database has its own rows.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import ScalarSelect, select
from sqlalchemy.orm import make_transient_to_detached

from app.core.db import db
from app.tenancy.models import Municipality

_LOCK = threading.Lock()


def _held() -> Any:
    """(slug -> id, id -> (its updated_at, a detached copy of its row)) of this app."""
    return current_app.extensions.setdefault("helhed.cached_municipalities", ({}, {}))


def municipality_id(slug: str, *, afresh: bool = False) -> int | None:
    """The id of the municipality at *slug*; read once per process (again if *afresh*)."""
    ids = _held()[0]
    found = None if afresh else ids.get(slug)
    if found is None:
        found = db.session.scalar(select(Municipality.id).filter_by(slug=slug))
        with _LOCK:
            if found is None:
                ids.pop(slug, None)
            else:
                ids[slug] = found
    return found


def updated_at(municipality_id: int, slug: str) -> ScalarSelect[Any]:
    """The row's ``updated_at`` as a scalar subquery, NULL unless *slug* is still its."""
    return (
        select(Municipality.updated_at)
        .where(Municipality.id == municipality_id, Municipality.slug == slug)
        .scalar_subquery()
    )


def municipality(municipality_id: int, updated_at: datetime) -> Municipality:
    """The municipality as of *updated_at*, in the session without a statement once the
    process holds that version of its row.

    Merged without loading: the session gets its own instance, so nothing a request does
    to it reaches the copy, except a change made in place inside its settings, which the
    application never makes (it assigns a new mapping; see app.admin).
    """
    rows = _held()[1]
    held = rows.get(municipality_id)
    if held is None or held[0] != updated_at:
        row = db.session.get_one(Municipality, municipality_id)
        copy = Municipality(
            **{column.key: getattr(row, column.key) for column in Municipality.__table__.columns}
        )
        make_transient_to_detached(copy)
        with _LOCK:
            rows[municipality_id] = (row.updated_at, copy)
        return row
    return db.session.merge(held[1], load=False)
