"""What every template can use from the core: dates and numbers in the user's language,
job and error texts, form errors. Each feature registers its own labels and helpers in its
``init_app`` (for example ``app.auth.labels``), so the core knows no feature."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.core import dates
from app.core.background import job_status
from app.core.formatting import format_day, format_moment, format_number, format_share
from app.core.version import __version__

JOB_STATUS_LABELS = {
    "queued": _l("waiting to start"),
    "running": _l("being built"),
    "done": _l("ready"),
    "failed": _l("failed"),
    "cancelled": _l("cancelled"),
    "abandoned": _l("stopped before it was finished: please start it again"),
}


def form_errors(form: Any) -> dict[str, list[str]]:
    return {name: list(errors) for name, errors in form.errors.items() if name != "csrf_token"}


def form_labels(form: Any) -> dict[str, str]:
    return {field.name: field.label.text for field in form}


ERROR_TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("That action is not possible here"),
    413: _l("What you sent is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
}

ERROR_TEXTS = {
    400: _l("Check what you entered and try again."),
    403: _l("Your role does not give access to this page. Ask your administrator if you need it."),
    404: _l("The page does not exist, or you do not have access to it."),
    405: _l("Go back and use the buttons on the page."),
    413: _l("Shorten the longest texts and try again."),
    429: _l("Wait a little and try again."),
    500: _l("The error has been logged. Try again in a moment."),
}


def init_app(app: Flask) -> None:
    @app.context_processor
    def shared_context() -> dict[str, Any]:
        return {
            "helhed_version": __version__,
            "format_percent": format_share,
            "today": dates.today,
            "job_status_label": lambda code: JOB_STATUS_LABELS.get(code, code),
            "job_status": job_status,
            "form_errors": form_errors,
            "form_labels": form_labels,
            "error_title": lambda code: ERROR_TITLES.get(code, ERROR_TITLES[500]),
            "error_text": lambda code: ERROR_TEXTS.get(code, ERROR_TEXTS[500]),
        }

    # Dates, times and numbers shown to people, in the interface language: one
    # implementation (app.core.formatting) for templates, flash messages and the report.
    app.add_template_filter(format_moment, "datetime")
    app.add_template_filter(format_day, "format_date")
    app.add_template_filter(format_number, "format_decimal")
    app.add_template_filter(format_share, "format_percent")
