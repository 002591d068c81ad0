"""What templates show for a submission's status, for a form (its title, not its id) and
for a form submitted outside its window (the reason)."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_app_context
from flask_babel import lazy_gettext as _l

from app.collection.services import latest_versions
from app.core.language import current_language

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


def form_titles() -> dict[str, dict[str, str]]:
    """Every published form's title by language, read once per request."""
    cached = g.get("_form_titles") if has_app_context() else None
    if cached is None:
        cached = {form_id: v.form.title for form_id, v in latest_versions().items()}
        if has_app_context():
            g._form_titles = cached
    return cached


def form_title(form_id: str) -> str:
    """A form's title in the page's language; a form never published reads "a form"."""
    title = form_titles().get(form_id)
    if not title:
        return str(_l("a form that no longer exists"))
    return title.get(current_language()) or next(iter(title.values()), "")


def init_app(app: Flask) -> None:
    @app.context_processor
    def collection_context() -> dict[str, Any]:
        return {
            "submission_status_label": lambda code: SUBMISSION_STATUS_LABELS.get(code, code),
            "form_title": form_title,
            "window_reason_label": window_reason_label,
        }
