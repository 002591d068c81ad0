"""How long a session lasts, whatever the browser does with its cookie.

Sessions end after ``SESSION_IDLE_MINUTES`` without a request and ``SESSION_MAX_HOURS``
after sign-in; the end is audited, and the user is sent to log in again.
"""

from __future__ import annotations

import time

from flask import Flask, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from app.audit.services import record
from app.core.db import db

#: Session keys written at sign-in (epoch seconds).
SIGNED_IN_AT = "_signed_in_at"
LAST_SEEN_AT = "_last_seen_at"
#: The last-seen time is rewritten at most this often, so not every response sets a cookie.
_SEEN_RESOLUTION = 60


def init_app(app: Flask) -> None:
    @app.before_request
    def _session_lifetime() -> Response | None:
        if (
            request.endpoint in ("static", "core.healthz", "core.readyz")
            or not current_user.is_authenticated
        ):
            return None
        now = int(time.time())
        signed_in = session.get(SIGNED_IN_AT, 0)
        seen = session.get(LAST_SEEN_AT, 0)
        idle = app.config["SESSION_IDLE_MINUTES"] * 60
        lifetime = app.config["SESSION_MAX_HOURS"] * 3600
        if now - seen > idle or now - signed_in > lifetime:
            record(
                "auth.session_expired",
                details={"reason": "idle" if now - seen > idle else "lifetime"},
            )
            db.session.commit()
            logout_user()
            language = session.get("language")
            session.clear()
            if language:
                session["language"] = language
            if request.path.startswith("/api/"):
                return None
            flash(_("Your session has ended. Please log in again."), "info")
            target = request.full_path if request.method == "GET" else None
            return redirect(url_for("auth.login", next=target))
        if now - seen >= _SEEN_RESOLUTION:
            session[LAST_SEEN_AT] = now
        return None


def start_session() -> None:
    """Called at sign-in, after the session was cleared."""
    now = int(time.time())
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now
