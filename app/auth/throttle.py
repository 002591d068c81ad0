"""Sign-in throttling with Flask-Limiter: per address and per account.

Each application gets its own limiter (and storage), so two apps in one process (tests,
or a CLI beside a server) never share counters. Memory storage is right for one app
server; several app servers must share ``RATELIMIT_STORAGE_URI=redis://…`` or each would
allow the full rate.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from app.auth.views import account_key, pending_key


def _refused(response: Response) -> bool:
    # Only failed attempts count against an account, so its owner is not locked out by
    # signing in often; every attempt counts against the address.
    return response.status_code in (400, 401)


def init_app(app: Flask) -> None:
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
        headers_enabled=True,
        strategy="moving-window",
        enabled=bool(app.config["RATELIMIT_ENABLED"]),
    )
    per_address = app.config["LOGIN_LIMIT_PER_ADDRESS"]
    per_account = app.config["LOGIN_LIMIT_PER_ACCOUNT"]
    for endpoint, key in (("auth.login", account_key), ("auth.code", pending_key)):
        view = app.view_functions[endpoint]
        view = limiter.limit(per_address, methods=["POST"], scope=f"{endpoint}:address")(view)
        view = limiter.limit(
            per_account,
            key_func=key,
            methods=["POST"],
            deduct_when=_refused,
            scope=f"{endpoint}:account",
        )(view)
        app.view_functions[endpoint] = view
    app.extensions["helhed_limiter"] = limiter
