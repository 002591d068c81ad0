"""What templates show for a submission's status."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

SUBMISSION_STATUS_LABELS = {"draft": _l("Draft"), "submitted": _l("Submitted")}


def init_app(app: Flask) -> None:
    @app.context_processor
    def collection_context() -> dict[str, Any]:
        return {
            "submission_status_label": lambda code: SUBMISSION_STATUS_LABELS.get(code, code),
        }
