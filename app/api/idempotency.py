"""``Idempotency-Key``: an API POST sent again acts once and gets the first answer again.

A client that times out cannot know whether its POST took effect; sending it again must not
enrol the family twice. With an ``Idempotency-Key`` header the first request with a key
claims it: an INSERT on the unique key (municipality, user, key) in the same transaction as
the write, so two requests running at once are decided by the database: the second INSERT
waits for the first transaction and then fails on the key. A repeat with the same method,
path and body gets the stored answer (status, body, ``Location``, ``ETag``) and changes
nothing; the same key with another request answers 422. A repeat that arrives while the
first is still finishing waits a few seconds for its answer, then answers 409.

The answer is stored rather than re-read from the created object: a repeat is told exactly
what the first request was told (a re-read would show later changes, or nothing for an
object deleted since), and the body holds only what the same client sent and received
(a masked CPR, never a full one). Keys and answers are deleted after 24 hours.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Response, current_app, g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.api.models import IdempotencyKey
from app.api.problems import ApiProblem
from app.core.db import db, utcnow

HEADER = "Idempotency-Key"
#: Set on a replayed answer, so a client can tell it from a new one.
REPLAYED = "Idempotent-Replayed"
#: How long a key and its answer are kept.
KEEP_FOR = timedelta(hours=24)
#: How long a repeat waits for a first request that is still running.
WAIT_SECONDS = 5.0
#: 1 to 255 visible ASCII characters (a UUID, a ULID, the client's own request id).
KEY_PATTERN = r"^[!-~]{1,255}$"
_KEY = re.compile(KEY_PATTERN)


def idempotent(view: Callable[..., Response]) -> Callable[..., Response]:
    """Honour ``Idempotency-Key`` on a POST view; the view flushes, this commits."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        key = _sent_key()
        if key is None:
            response = view(*args, **kwargs)
            db.session.commit()
            return response
        fingerprint = _fingerprint()
        user_id = g.membership.user_id
        earlier = _earlier_answer(user_id, key, fingerprint)
        if earlier is not None:
            return earlier
        db.session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - KEEP_FOR)
        )
        claim = IdempotencyKey(
            municipality_id=g.municipality.id,
            user_id=user_id,
            key=key,
            request_hash=fingerprint,
        )
        db.session.add(claim)
        try:
            db.session.flush()
        except IntegrityError:
            # A request with this key ran at the same time and committed first.
            db.session.rollback()
            earlier = _earlier_answer(user_id, key, fingerprint)
            if earlier is None:
                raise _in_progress() from None
            return earlier
        response = view(*args, **kwargs)
        if response.status_code < 300:
            claim.status_code = response.status_code
            claim.body = response.get_data(as_text=True)
            claim.location = response.headers.get("Location")
            claim.etag = response.headers.get("ETag")
        db.session.commit()
        return response

    wrapper.idempotent = True  # type: ignore[attr-defined]
    return wrapper


def _sent_key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _KEY.match(key):
        raise ApiProblem(400, f"{HEADER} must be 1 to 255 visible ASCII characters.")
    return key


def _fingerprint() -> str:
    """The request as compared between a key's uses: method, path and body (parsed when
    it is JSON, so a client that orders its keys differently is not refused)."""
    raw = request.get_data()
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = raw
    message = f"{request.method}\n{request.path}\n".encode() + body
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _earlier_answer(user_id: int, key: str, fingerprint: str) -> Response | None:
    """The stored answer to *key*, waiting a while for one still being made; None when the
    key is unused (or expired)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        row = db.session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id,
                IdempotencyKey.key == key,
                IdempotencyKey.created_at >= utcnow() - KEEP_FOR,
            )
        )
        if row is None:
            return None
        if not hmac.compare_digest(row.request_hash, fingerprint):
            raise ApiProblem(
                422,
                f"This {HEADER} was used with another request; send a new key with a new request.",
            )
        if row.status_code is not None:
            return _replay(row)
        if time.monotonic() >= deadline:
            raise _in_progress()
        # The first request has committed its write but not yet its answer: look again
        # in a new transaction, which sees what was committed since.
        db.session.rollback()
        time.sleep(0.05)


def _replay(row: IdempotencyKey) -> Response:
    response = Response(row.body, status=row.status_code, mimetype="application/json")
    if row.location:
        response.headers["Location"] = row.location
    if row.etag:
        response.headers["ETag"] = row.etag
    response.headers[REPLAYED] = "true"
    return response


def _in_progress() -> ApiProblem:
    return ApiProblem(
        409,
        f"A request with this {HEADER} is still being processed; send it again shortly.",
    )
