"""The process's copy of the newest published form versions, parsed once.

A published version changes only when ``forms publish`` stores a new one, or replaces
one nobody has answered, or updates its checks; each of those sets its ``published_at``.
So the number of versions and the latest ``published_at`` say whether the copy is
current: a request that has read them (the API reads them in the query that checks its
token, see app.api.tokens) gets its versions from the copy, merged into its session
without a statement, with the parsed :class:`FormDef` kept, never parsed again. A
request that has not read them reads the versions as before.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from flask import current_app, g, has_app_context
from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.orm import make_transient_to_detached

from app.collection.models import FormVersion
from app.core.db import db

#: (how many versions, the latest published_at): what the copy was made at.
Stamp = tuple[int, datetime | None]

_LOCK = threading.Lock()
_G_KEY = "_form_versions_stamp"


def stamp_columns() -> tuple[ScalarSelect[Any], ScalarSelect[Any]]:
    """The stamp as two scalar subqueries, to be read in a request's first statement."""
    return (
        select(func.count(FormVersion.id)).scalar_subquery(),
        select(func.max(FormVersion.published_at)).scalar_subquery(),
    )


def use_stamp(count: int, latest: datetime | None) -> None:
    """Let this request's :func:`app.collection.services.latest_versions` use the copy
    made at this stamp (made now if the process holds another)."""
    g.setdefault(_G_KEY, (count, latest))


def _copy(version: FormVersion) -> FormVersion:
    copy = FormVersion(
        **{column.key: getattr(version, column.key) for column in FormVersion.__table__.columns}
    )
    make_transient_to_detached(copy)
    copy.form  # noqa: B018 (parsed now, once for the process)
    return copy


def cached_latest(read: Any, form_ids: list[str] | None) -> dict[str, FormVersion] | None:
    """The newest versions from the copy, or None when this request has no stamp.

    *read()* is what the caller would otherwise run: it reads every form's newest version.
    """
    stamp = g.get(_G_KEY) if has_app_context() else None
    if stamp is None:
        return None
    # The application's own (each database has its own versions): the stamp it was made
    # at, and form id -> a detached copy of the newest version.
    kept: list[Any] = current_app.extensions.setdefault("helhed.published_forms", [None, {}])
    held_stamp, held = kept
    if held_stamp != stamp:
        held = {form_id: _copy(v) for form_id, v in read().items()}
        with _LOCK:
            kept[:] = [stamp, held]
    wanted = held if form_ids is None else {f: held[f] for f in form_ids if f in held}
    return {form_id: _attached(copy) for form_id, copy in wanted.items()}


def _attached(copy: FormVersion) -> FormVersion:
    version = db.session.merge(copy, load=False)
    # The parsed form goes with it: the merged row has the same definition object.
    memo = copy.__dict__.get("_form_memo")
    if memo is not None and "_form_memo" not in version.__dict__:
        version.__dict__["_form_memo"] = memo
    return version
