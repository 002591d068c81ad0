"""Sign-in throttling with Flask-Limiter: per address and per account.

Each application gets its own limiter (and storage), so two apps in one process (tests,
or a CLI beside a server) never share counters. Memory storage is right for one app
server; several app servers must share ``RATELIMIT_STORAGE_URI=redis://…`` or each would
allow the full rate.

An account has one allowance of wrong passwords, shared by every place that checks one:
the sign-in, and the password a signed-in user is asked for again (changing it, turning
the second factor off). Guesses cannot move from one place to another to get more.
"""

from __future__ import annotations

from flask import Flask, g
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from app.auth.reset_views import reset_account_key
from app.auth.views import PASSWORD_REFUSED, account_key, own_account_key, pending_key

#: The bucket of an account's wrong passwords, whichever view counted them.
ACCOUNT_SCOPE = "account"


def _refused(response: Response) -> bool:
    # Only failed attempts count against an account, so its owner is not locked out by
    # signing in often; every attempt counts against the address.
    return response.status_code in (400, 401)


def _password_refused(response: Response) -> bool:
    # On the account page a 400 is also a new password that breaks the rule: only a wrong
    # password (or code) is a guess.
    return bool(g.get(PASSWORD_REFUSED))


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
    for endpoint in ("auth.login", "auth.code"):
        view = app.view_functions[endpoint]
        view = limiter.limit(per_address, methods=["POST"], scope=f"{endpoint}:address")(view)
        if endpoint == "auth.login":
            view = limiter.shared_limit(
                per_account,
                ACCOUNT_SCOPE,
                key_func=account_key,
                methods=["POST"],
                deduct_when=_refused,
            )(view)
        else:
            view = limiter.limit(
                per_account,
                key_func=pending_key,
                methods=["POST"],
                deduct_when=_refused,
                scope=f"{endpoint}:account",
            )(view)
        app.view_functions[endpoint] = view
    for endpoint in ("auth.account", "auth.two_factor_off"):
        app.view_functions[endpoint] = limiter.shared_limit(
            per_account,
            ACCOUNT_SCOPE,
            key_func=own_account_key,
            methods=["POST"],
            deduct_when=_password_refused,
        )(app.view_functions[endpoint])
    # A reset request counts against the address asked for and the client, answered or
    # not: the same for a known address as for an unknown one.
    view = app.view_functions["password.forgot"]
    view = limiter.limit(
        app.config["RESET_LIMIT_PER_ADDRESS"], methods=["POST"], scope="password.forgot:client"
    )(view)
    view = limiter.limit(
        app.config["RESET_LIMIT_PER_ACCOUNT"],
        key_func=reset_account_key,
        methods=["POST"],
        scope="password.forgot:account",
    )(view)
    app.view_functions["password.forgot"] = view
    app.extensions["helhed_limiter"] = limiter
