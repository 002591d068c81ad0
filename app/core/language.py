"""The interface language of the current request, which every feature formats and labels in."""

from __future__ import annotations

from flask import current_app
from flask_babel import get_locale


def current_language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
