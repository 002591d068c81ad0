"""The button's way in: to the municipality's provider and back, and out again.

The browser's attempt (state, nonce, PKCE verifier) is kept in its session, which is
signed; it is taken out when the browser comes back, so a state is good once. The
provider's one-use code makes a replay of an older copy of the cookie fail as well.
Every refusal is a page in the person's language with a 4xx status, and in the
municipality's audit trail.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets

from flask import Blueprint, abort, current_app, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.auth.models import User
from app.auth.views import PROVIDER_LOGOUT, begin_sign_in, safe_next
from app.core import crypto
from app.core.db import db
from app.core.language import current_language
from app.sso import client
from app.sso.services import SignInRefused, record_refusal, sign_in_user
from app.tenancy.models import Municipality
from app.tenancy.sso_settings import SsoSettings, secret_variable, sso_of

bp = Blueprint("sso", __name__)
log = logging.getLogger(__name__)

_ATTEMPT = "_sso_attempt"


def _configured(slug: str) -> tuple[Municipality, SsoSettings, str]:
    """The municipality, its ``[sso]`` and its client secret; 404 without single sign-on."""
    municipality = db.session.scalar(db.select(Municipality).filter_by(slug=slug))
    settings = sso_of(municipality.settings) if municipality else None
    if municipality is None or settings is None:
        abort(404)
    secret = current_app.config["SSO_CLIENT_SECRETS"].get(secret_variable(slug))
    if not secret:
        # The operator's mistake, not the person's: said in the log, by name.
        log.error("single sign-on of %s has no client secret: set %s", slug, secret_variable(slug))
        abort(503)
    return municipality, settings, secret


def _redirect_uri(slug: str) -> str:
    """Built from PUBLIC_BASE_URL, never from the request's Host header, like mailed links;
    the provider accepts only the address registered with it anyway."""
    return current_app.config["PUBLIC_BASE_URL"] + url_for("sso.callback", slug=slug)


@bp.route("/login/sso/<slug>")
def start(slug: str) -> str | Response | tuple[str, int]:
    municipality, settings, secret = _configured(slug)
    attempt = client.Attempt(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(48),
    )
    try:
        url = client.authorization_url(settings, secret, _redirect_uri(slug), attempt)
    except client.ProviderUnavailable as exc:
        return _unavailable(municipality, exc)
    session[_ATTEMPT] = {
        "slug": slug,
        "state": attempt.state,
        "nonce": attempt.nonce,
        "verifier": attempt.code_verifier,
        "next": safe_next(request.args.get("next")),
    }
    return Response(status=302, headers={"Location": url})


@bp.route("/login/sso/<slug>/callback")
def callback(slug: str) -> str | Response | tuple[str, int]:
    municipality, settings, secret = _configured(slug)
    kept = session.pop(_ATTEMPT, None)
    state = request.args.get("state", "")
    if not (
        isinstance(kept, dict)
        and kept.get("slug") == slug
        and hmac.compare_digest(str(kept.get("state", "")), state)
    ):
        return _refused(municipality, "state", 400)
    if request.args.get("error"):
        # The person cancelled, or the provider would not sign them in.
        return _refused(municipality, "provider_error", 403, check=request.args["error"][:100])
    code = request.args.get("code")
    if not code:
        return _refused(municipality, "state", 400)
    attempt = client.Attempt(
        state=kept["state"], nonce=kept["nonce"], code_verifier=kept["verifier"]
    )
    try:
        claims, id_token = client.exchange(settings, secret, _redirect_uri(slug), attempt, code)
    except client.ProviderUnavailable as exc:
        return _unavailable(municipality, exc)
    except client.TokenRefused as exc:
        return _refused(municipality, "token", 403, check=str(exc))
    try:
        user = sign_in_user(municipality, settings, claims)
    except SignInRefused as exc:
        db.session.rollback()
        return _refused(municipality, exc.reason, 403, user=exc.user)
    logout = crypto.encrypt(json.dumps({"issuer": settings.issuer, "id_token": id_token}))
    return begin_sign_in(
        user,
        kept.get("next"),
        second_factor_done=client.asserted_mfa(settings, claims),
        via={"method": "sso", "municipality_id": municipality.id, "logout": logout},
    )


@bp.route("/logout/provider")
def end_session() -> str | Response:
    """After Helhed's sign-out: on to the provider's, which sends the browser back here."""
    sealed = session.pop(PROVIDER_LOGOUT, None)
    back = current_app.config["PUBLIC_BASE_URL"] + url_for("auth.login")
    if not sealed:
        return Response(status=302, headers={"Location": url_for("auth.login")})
    try:
        kept = json.loads(crypto.decrypt(sealed))
        url = client.end_session_url(kept["issuer"], kept["id_token"], back)
    except client.ProviderUnavailable:
        url = None
    except (ValueError, KeyError, TypeError):
        url = None  # sealed with an older key: Helhed's own sign-out is done regardless
    if url is None:
        return Response(status=302, headers={"Location": url_for("auth.login")})
    # A page that moves on by itself rather than a redirect: the sign-out was a form's
    # submission, and the browser holds every redirect of one to the page's
    # ``form-action 'self'``, which the provider's address is not.
    return render_template("sso/signing_out.html", url=url)


def _message(reason: str, municipality: Municipality) -> str:
    """What the person reads, by the refusal's reason; the audit keeps the reason's code."""
    name = municipality.name(current_language())
    messages = {
        "state": _(
            "This sign-in cannot be used: it was started in another window, has been used "
            "already, or took too long. Please start again from the sign-in page."
        ),
        "provider_error": _(
            "%(municipality)s did not sign you in. Please try again, or contact your IT support.",
            municipality=name,
        ),
        "token": _(
            "The answer from %(municipality)s's sign-in could not be verified, so you are "
            "not signed in. Please try again, or contact your IT support.",
            municipality=name,
        ),
        "no_email": _(
            "%(municipality)s's sign-in did not tell Helhed your e-mail address, so your "
            "account cannot be found. Contact your IT support.",
            municipality=name,
        ),
        "no_access": _(
            "You have no access to Helhed in %(municipality)s yet. Ask an administrator of "
            "the programme to give you access, then sign in again.",
            municipality=name,
        ),
        "inactive": _("Your account is deactivated. Contact an administrator of the programme."),
        "platform_account": _(
            "Your account works across municipalities and cannot sign in through a "
            "municipality's directory. Sign in with your e-mail and password."
        ),
        "other_municipalities": _(
            "Your account also has access to other municipalities, so it cannot sign in "
            "through %(municipality)s's directory. Sign in with your e-mail and password.",
            municipality=name,
        ),
    }
    return messages[reason]


def _refused(
    municipality: Municipality,
    reason: str,
    status: int,
    *,
    user: User | None = None,
    check: str | None = None,
) -> tuple[str, int]:
    record_refusal(municipality, reason, user, check=check)
    db.session.commit()
    return render_template(
        "sso/refused.html", message=_message(reason, municipality), municipality=municipality
    ), status


def _unavailable(municipality: Municipality, exc: Exception) -> tuple[str, int]:
    log.warning("the OpenID provider of %s cannot be reached: %s", municipality.slug, exc)
    message = _(
        "Helhed cannot reach %(municipality)s's sign-in service right now. Please try again "
        "in a few minutes, or sign in with your e-mail and password if your municipality "
        "allows it.",
        municipality=municipality.name(current_language()),
    )
    return render_template("sso/refused.html", message=message, municipality=municipality), 503
