"""The form's data-quality checks in API v1: how a request confirms a warning, how a
refused save names the checks, and their part of the OpenAPI document.

A save that a check refuses answers 422 like any other invalid answer, with one entry per
field of the check, carrying the check's id and severity. A warning is confirmed by sending
its id in ``confirmed_checks``; once stored, a confirmation holds until the warning stops
applying, so it need not be sent again.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale

from app.api.problems import ApiProblem
from app.definitions.checks import SEVERITIES
from app.definitions.model import pick
from app.definitions.validation import Result

#: The request field that confirms warnings.
CONFIRMED_FIELD = "confirmed_checks"

CONFIRMED_SCHEMA = {
    "type": "array",
    "items": {"type": "string"},
    "description": "Ids of the form's warning checks the user has confirmed. A warning that "
    "fires on a complete save must be confirmed once; a stored confirmation holds until the "
    "warning no longer applies. Confirmations of warnings that do not fire are not stored.",
}

CHECK_SCHEMA = {
    "type": "object",
    "required": ["id", "when", "severity", "fields", "message"],
    "properties": {
        "id": {"type": "string"},
        "when": {"type": "string", "description": "Condition in the show_if language"},
        "severity": {"type": "string", "enum": list(SEVERITIES)},
        "fields": {"type": "array", "items": {"type": "string"}},
        "message": {
            "type": "object",
            "properties": {"da": {"type": "string"}, "en": {"type": "string"}},
            "required": ["da", "en"],
        },
    },
}

#: The extra properties of a Problem's error entry when a check refused the save.
ERROR_PROPERTIES = {
    "check": {"type": "string", "description": "Id of the data-quality check"},
    "severity": {
        "type": "string",
        "enum": list(SEVERITIES),
        "description": "error: correct the answers; warning: correct them or confirm it",
    },
}


def confirmed_from(data: dict[str, Any]) -> list[str]:
    confirmed = data.get(CONFIRMED_FIELD, [])
    if not isinstance(confirmed, list) or not all(isinstance(c, str) for c in confirmed):
        raise ApiProblem(
            422,
            "The request has invalid fields.",
            errors=[{"field": CONFIRMED_FIELD, "message": "Give a list of check ids."}],
        )
    return confirmed


def answer_errors(result: Result) -> list[dict[str, str]]:
    """The field errors, then every check that refused the save, once per field."""
    errors = [
        {"field": f"answers.{name}", "message": message} for name, message in result.errors.items()
    ]
    # In the request's language, as the field errors are (Accept-Language).
    language = str(get_locale() or "da")[:2]
    for fired in result.fired:
        if fired.blocking:
            message = pick(fired.check.message, language)
            errors += [
                {
                    "field": f"answers.{name}",
                    "message": message,
                    "check": fired.check.id,
                    "severity": fired.check.severity,
                }
                for name in fired.check.fields
            ]
    return errors
