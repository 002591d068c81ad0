"""What templates show for a submission's status and for a form: its title, not its id."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_app_context
from flask_babel import lazy_gettext as _l

from app.collection.services import latest_versions
from app.core.language import current_language

SUBMISSION_STATUS_LABELS = {"draft": _l("Draft"), "submitted": _l("Submitted")}


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
        }
