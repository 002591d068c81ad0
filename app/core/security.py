"""Response headers: the browser-facing half of the security policy.

Every page is served with a Content-Security-Policy that allows scripts and styles only
from our own static files (no inline code, so an injected ``<script>`` or ``style=`` does
nothing), forbids framing, and sends a referrer to no other site. How long a session lasts
is the sign-in's concern: ``app.auth.lifetime``.
"""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user
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
    # Family pages have ids in their URLs; no other site learns them from a link. Our own
    # pages do get it: over HTTPS the CSRF check requires a same-origin Referer, and with
    # "no-referrer" a browser sends none, so every form would be refused.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: One year, the value browsers' preload lists ask for.
HSTS = "max-age=31536000; includeSubDomains"


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
