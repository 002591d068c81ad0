"""Saving a submission's answers through API v1, and the window rule's part of it.

A form submitted for the first time outside its wave's window needs ``window_reason`` (one
of the window reasons) and ``window_confirmed: true``, as the form page asks for a reason
and a confirmation; without them the save answers 422 with one error entry per missing
field, and nothing is written. A draft, or a submission inside the window, needs neither.
"""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.api.checks import answer_errors, confirmed_from
from app.api.problems import ApiProblem
from app.collection.models import FormVersion, Submission
from app.collection.self_reported import SelfReported
from app.collection.services import Conflict, Invalid, save_submission
from app.collection.windows import (
    CONFIRM_FIELD,
    REASON_FIELD,
    WINDOW_REASONS,
    OutsideWindow,
    WindowAnswer,
)
from app.core import dates
from app.core.db import db
from app.families.models import Member, Wave

#: The request fields of the window rule.
WINDOW_FIELDS = {REASON_FIELD, CONFIRM_FIELD}

WINDOW_PROPERTIES: dict[str, Any] = {
    REASON_FIELD: {
        "type": "string",
        "enum": list(WINDOW_REASONS),
        "description": "Why the form is submitted outside its wave's window (window_start – "
        "window_end of the wave). Required, with window_confirmed, when status is submitted "
        "for the first time outside the window; ignored inside it.",
    },
    CONFIRM_FIELD: {
        "type": "boolean",
        "description": "true confirms that the form is submitted outside the wave's window "
        "for the reason given.",
    },
}

_MESSAGES = {
    REASON_FIELD: "The wave's window is {start} – {end}: give one of "
    + ", ".join(WINDOW_REASONS)
    + " to submit outside it.",
    CONFIRM_FIELD: "The wave's window is {start} – {end}: send true to confirm submitting "
    "outside it.",
}


def _invalid(field: str, message: str) -> ApiProblem:
    return ApiProblem(
        422, "The request has invalid fields.", errors=[{"field": field, "message": message}]
    )


def save_answers(
    wave: Wave,
    version: FormVersion,
    member: Member | None,
    data: dict[str, Any],
    seen: int | None,
    *,
    new: bool = False,
) -> Submission:
    """Save *data* (answers, status, confirmations, the window's reason), written (flushed)
    but not committed: the caller answers from what was written, then commits.

    *new*: the caller creates the submission (a POST); a second one of the form here is
    refused by the database's unique index, answered 409 as a form already started.
    """
    answers, status = data.get("answers"), data.get("status")
    if not isinstance(answers, dict):
        raise _invalid("answers", "Give the answers as an object of field names.")
    if status not in ("draft", "submitted"):
        raise _invalid("status", "Give draft or submitted.")
    confirmed = confirmed_from(data)
    reason = data.get(REASON_FIELD)
    if reason is not None and reason not in WINDOW_REASONS:
        raise _invalid(REASON_FIELD, "Give one of " + ", ".join(WINDOW_REASONS) + ".")
    window_confirmed = data.get(CONFIRM_FIELD, False)
    if not isinstance(window_confirmed, bool):
        raise _invalid(CONFIRM_FIELD, "Give true or false.")
    try:
        saved = save_submission(
            g.municipality,
            wave,
            version,
            member,
            answers,
            submit=status == "submitted",
            seen_lock_version=seen,
            actor_id=g.membership.user_id,
            today=dates.today(),
            confirmed=confirmed,
            window=WindowAnswer(reason, window_confirmed),
            new=new,
        )
    except Invalid as exc:
        errors = answer_errors(exc.result)
        raise ApiProblem(422, "The answers do not fit the form.", errors=errors) from exc
    except SelfReported as exc:
        errors = [
            {"field": name, "message": "The person answered this themselves; it cannot be changed."}
            for name in exc.names
        ]
        raise ApiProblem(
            422, "The answers the person gave themselves cannot be changed.", errors=errors
        ) from exc
    except OutsideWindow as exc:
        db.session.rollback()
        position = exc.position
        when = {"start": position.window_start.isoformat(), "end": position.window_end.isoformat()}
        errors = [
            {"field": name, "message": _MESSAGES[name].format(**when)} for name in exc.missing
        ]
        raise ApiProblem(
            422, "The form is submitted outside its wave's window.", errors=errors
        ) from exc
    except (Conflict, StaleDataError) as exc:
        raise ApiProblem(412, "The submission changed since you read it; read it again.") from exc
    except IntegrityError as exc:
        # The unique index's answer to a second submission of the form here (only a POST
        # creates one): the same answer whether it was there before or another request
        # wrote it meanwhile.
        raise ApiProblem(409, "This form is already started here; update it with PUT.") from exc
    return saved
