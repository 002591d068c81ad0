"""What templates show for a submission's status and for a form outside its window."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

SUBMISSION_STATUS_LABELS = {"draft": _l("Draft"), "submitted": _l("Submitted")}

#: One label for each of app.collection.windows.WINDOW_REASONS, in its order.
WINDOW_REASON_LABELS = {
    "family_unavailable": _l("The family could not be reached in the window"),
    "contact_delayed": _l("The meeting with the family was delayed"),
    "rescheduled_by_family": _l("The family moved the meeting"),
    "caseworker_absent": _l("The caseworker was absent"),
    "data_entered_late": _l("The answers were collected in time but entered late"),
    "other": _l("Another reason"),
}


def window_reason_label(code: str | None) -> str:
    return str(WINDOW_REASON_LABELS.get(code, code)) if code else ""


def init_app(app: Flask) -> None:
    @app.context_processor
    def collection_context() -> dict[str, Any]:
        return {
            "submission_status_label": lambda code: SUBMISSION_STATUS_LABELS.get(code, code),
            "window_reason_label": window_reason_label,
        }
