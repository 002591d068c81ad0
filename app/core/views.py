"""The error pages, the health check, and refusing text no database can store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from app.core.health import check
from app.core.limits import unstorable_text

bp = Blueprint("core", __name__)


def _unstorable(text: str) -> bool:
    """NUL, which PostgreSQL cannot store in text (SQLite would, and the two would differ),
    or a lone surrogate from a JSON escape, which no database encoding can store."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _any_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return _unstorable(value)
    if isinstance(value, dict):
        return any(_unstorable(k) or _any_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_any_unstorable(item) for item in value)
    return False


@bp.before_app_request
def _refuse_unstorable_text() -> None:
    """Refuse a request that carries text no database can store, before any view reads it.

    Nobody types these characters; without this, each text field, search and URL segment
    that reaches PostgreSQL would answer 500.
    """
    if _unstorable(request.path) or any(
        _unstorable(key) or _unstorable(value) for key, value in request.args.items(multi=True)
    ):
        raise unstorable_text()
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if any(
            _unstorable(key) or _unstorable(value) for key, value in request.form.items(multi=True)
        ):
            raise unstorable_text()
        if request.is_json and _any_unstorable(request.get_json(silent=True)):
            raise unstorable_text()


#: Where the application keeps the error answers of URL prefixes that are not pages.
ERRORS_UNDER = "helhed.errors_under"


def answer_errors_under(app: Flask, prefix: str, answer: Callable[[HTTPException], Any]) -> None:
    """Errors for URLs under *prefix* are answered by *answer* instead of an error page,
    also where no route matched (the API answers as the API does)."""
    app.extensions.setdefault(ERRORS_UNDER, {})[prefix] = answer


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        # Over plain HTTP the browser keeps the Secure session cookie to itself, so every
        # form "expires": say what is really wrong.
        needs_https = app.config.get("SESSION_COOKIE_SECURE") and not request.is_secure
        return render_template("errors/csrf.html", needs_https=needs_https), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        for prefix, answer in app.extensions.get(ERRORS_UNDER, {}).items():
            if request.path.startswith(prefix):
                return answer(error)
        if error.code in (400, 403, 404, 405, 413, 429, 500):
            return render_template("errors/error.html", error=error), error.code or 500
        return error


@bp.route("/favicon.ico")
def favicon() -> Response:
    # Browsers ask for it whatever the page says; without this it would look like a slug.
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.route("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """Liveness, for a process supervisor: the process answers. It touches nothing else,
    so a slow database does not get healthy processes restarted."""
    return {"status": "ok"}, 200


@bp.route("/readyz")
def readyz() -> tuple[dict[str, object], int]:
    """Readiness, for load balancers: 200 when every part the application needs works,
    503 naming the part that does not. No personal data and no session."""
    report = check()
    return report, 200 if report["status"] == "ok" else 503
