"""Response headers and session lifetime: the browser-facing half of the security policy.

Every page is served with a Content-Security-Policy that allows scripts and styles only
from our own static files (no inline code, so an injected ``<script>`` or ``style=`` does
nothing), forbids framing, and sends no referrer to other sites. Sessions end after
``SESSION_IDLE_MINUTES`` without a request and ``SESSION_MAX_HOURS`` after sign-in,
whatever the browser does with its cookie.
"""

from __future__ import annotations

import time

from flask import Flask, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # Inline SVG charts are markup, not images; data: is not needed anywhere.
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Older browsers that ignore frame-ancestors.
    "X-Frame-Options": "DENY",
    # Family pages have ids in their URLs; no other site learns them from a link.
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: One year, the value browsers' preload lists ask for.
HSTS = "max-age=31536000; includeSubDomains"

#: Session keys written at sign-in (epoch seconds).
SIGNED_IN_AT = "_signed_in_at"
LAST_SEEN_AT = "_last_seen_at"
#: The last-seen time is rewritten at most this often, so not every response sets a cookie.
_SEEN_RESOLUTION = 60


def init_app(app: Flask) -> None:
    if app.config["PROXY_COUNT"]:
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count
        )
    production = app.config["HELHED_ENV"] == "production"

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if production:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint != "static" and current_user and current_user.is_authenticated:
            # Pages with personal data must not be kept by the browser or a shared proxy.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.before_request
    def _session_lifetime() -> Response | None:
        if request.endpoint in ("static", "core.healthz") or not current_user.is_authenticated:
            return None
        now = int(time.time())
        signed_in = session.get(SIGNED_IN_AT, 0)
        seen = session.get(LAST_SEEN_AT, 0)
        idle = app.config["SESSION_IDLE_MINUTES"] * 60
        lifetime = app.config["SESSION_MAX_HOURS"] * 3600
        if now - seen > idle or now - signed_in > lifetime:
            from app.audit.services import record
            from app.core.db import db

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
