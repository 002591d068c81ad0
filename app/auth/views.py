"""Sign-in in one or two steps, sign-out, and the user's own account page.

A right password alone signs in only users for whom two-factor sign-in is neither set up
nor required. Otherwise the session holds a *pending* sign-in (the user's id, for five
minutes) until the code step, or the set-up of an authenticator app, is done; nothing
else in the application treats a pending session as signed in. The wrong codes of the
second step are counted with the user, not in the session, and ending the user's sessions
ends a pending one too.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from app.audit.services import record
from app.auth import twofactor
from app.auth.forms import (
    CodeForm,
    EmptyForm,
    LoginForm,
    PasswordChangeForm,
    RemindersForm,
    TwoFactorOffForm,
)
from app.auth.lifetime import start_session
from app.auth.models import User
from app.auth.passwords import MIN_PASSWORD_LENGTH
from app.auth.services import (
    AccountError,
    PasswordRefused,
    authenticate,
    change_password,
    end_sessions,
    own_memberships,
    password_matches,
    password_sign_in_allowed,
    record_login,
    set_digest_opt_out,
    throttle_id,
)
from app.core import crypto
from app.core.db import db
from app.core.language import current_language
from app.tenancy.sso_settings import with_sso

bp = Blueprint("auth", __name__)

_PENDING = "_pending_user"
_PENDING_SINCE = "_pending_since"
_PENDING_NEXT = "_pending_next"
#: The user's session generation at the password step: ending their sessions ends this too.
_PENDING_GENERATION = "_pending_generation"
_NEW_SECRET = "_new_totp_secret"
#: How a pending sign-in came (see :func:`begin_sign_in`), and, once signed in, what the
#: sign-out needs to end the provider's session as well.
_PENDING_VIA = "_pending_via"
_SIGNED_IN_VIA = "_provider_session"
#: Handed from the sign-out to the provider's sign-out (app/sso/views.py), sealed.
PROVIDER_LOGOUT = "_provider_logout"
#: How long the second step may take, and how many wrong codes end the attempt.
PENDING_SECONDS = 300
MAX_CODE_TRIES = 5


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: an absolute or scheme-relative URL is an open redirect."""
    if not target:
        return None
    target = target.strip()
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. "http://[" : not a URL we would ever send anyone to
        return None
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if not _body_is_a_form():
        abort(400)
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
        if current_user.is_authenticated:
            return redirect(form.next.data or url_for("auth.start"))
    if form.validate_on_submit():
        user = authenticate(
            form.email.data or "", form.password.data or "", remote_addr=request.remote_addr
        )
        if user is not None and not password_sign_in_allowed(user):
            db.session.commit()
            flash(
                _(
                    "Your municipality signs you in through its own directory: use the "
                    "button below with your municipality's name."
                ),
                "error",
            )
            form.password.data = ""
            return _login_page(form, 403)
        if user is not None:
            return begin_sign_in(user, safe_next(form.next.data), second_factor_done=False)
        db.session.commit()
        flash(_("The e-mail or the password is wrong."), "error")
        form.password.data = ""
        return _login_page(form, 401)
    return _login_page(form, 200)


def _login_page(form: LoginForm, status: int) -> tuple[str, int]:
    """The sign-in form, with a button for each municipality that signs in its own staff."""
    language = current_language()
    buttons = [
        (m.slug, _("Sign in with %(municipality)s", municipality=m.name(language)))
        for m in with_sso()
    ]
    return render_template(
        "auth/login.html", form=form, sso_buttons=buttons, next=form.next.data or ""
    ), status


def begin_sign_in(
    user: User,
    target: str | None,
    *,
    second_factor_done: bool,
    via: dict[str, Any] | None = None,
) -> Response:
    """After a first factor (a password, or a municipality's provider): the second factor
    where the account has one or its role needs one, unless it is done already (a
    provider that asserted multi-factor sign-in), then the session.

    *via* says how the person came (kept with the session, JSON only): ``method``,
    ``municipality_id`` and, for a provider's sign-in, ``logout``, what the sign-out
    needs to end the provider's session too (sealed: it holds the ID token).
    """
    if second_factor_done:
        return _complete(user, target, second_factor=True, via=via)
    if user.totp_secret is not None:
        twofactor.start_attempt(user)
        db.session.commit()
        return _pending(user, target, "auth.code", via)
    if twofactor.is_required(user):
        db.session.commit()
        return _pending(user, target, "auth.enrol", via)
    return _complete(user, target, second_factor=False, via=via)


def _pending(user: User, target: str | None, step: str, via: dict[str, Any] | None) -> Response:
    _fresh_session()
    session[_PENDING] = user.id
    session[_PENDING_SINCE] = int(time.time())
    session[_PENDING_GENERATION] = user.session_generation
    if target:
        session[_PENDING_NEXT] = target
    if via:
        session[_PENDING_VIA] = via
    return redirect(url_for(step))


def _pending_user() -> User | None:
    user_id = session.get(_PENDING)
    since = session.get(_PENDING_SINCE, 0)
    if user_id is None:
        return None
    if time.time() - since > PENDING_SECONDS:
        _fresh_session()
        flash(_("The sign-in took too long. Please start again."), "info")
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    if user.session_generation != session.get(_PENDING_GENERATION):
        return None
    return user


def _complete(
    user: User, target: str | None, *, second_factor: bool, via: dict[str, Any] | None
) -> Response:
    via = via or {}
    record_login(
        user,
        remote_addr=request.remote_addr,
        second_factor=second_factor,
        method=via.get("method", "password"),
        municipality_id=via.get("municipality_id"),
    )
    db.session.commit()
    _fresh_session()
    login_user(user)
    start_session()
    if via.get("logout"):
        session[_SIGNED_IN_VIA] = via["logout"]
    return redirect(target or url_for("auth.start"))


@bp.route("/login/code", methods=["GET", "POST"])
def code() -> str | Response:
    user = _pending_user()
    if user is None or user.totp_secret is None:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        allowed = twofactor.claim_try(user, MAX_CODE_TRIES)
        if allowed and twofactor.verify(user, form.code.data or ""):
            return _complete(
                user, session.get(_PENDING_NEXT), second_factor=True, via=session.get(_PENDING_VIA)
            )
        db.session.commit()
        if user.totp_failures >= MAX_CODE_TRIES:
            _fresh_session()
            flash(_("Too many wrong codes. Please log in again."), "error")
            return redirect(url_for("auth.login"))
        form.code.errors = [_("The code is wrong or has already been used.")]
        form.code.data = ""
        return render_template("auth/code.html", form=form), 401
    return render_template("auth/code.html", form=form)


@bp.route("/login/setup", methods=["GET", "POST"])
def enrol() -> str | Response:
    """Set up an authenticator app: at sign-in where it is required, or from the account page."""
    if current_user.is_authenticated:
        user: User | None = current_user  # type: ignore[assignment]
    else:
        user = _pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    if user.totp_secret is not None:
        return redirect(url_for("auth.account"))
    secret = _pending_secret()
    # Sealed with the field key: the session cookie is signed, not encrypted, and the
    # secret in it would let whoever reads the cookie make codes for this account.
    session[_NEW_SECRET] = crypto.encrypt(secret)
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        if twofactor.enable(user, secret, form.code.data or ""):
            session.pop(_NEW_SECRET, None)
            if current_user.is_authenticated:
                db.session.commit()
                flash(_("Two-factor sign-in is on."), "success")
                return redirect(url_for("auth.account"))
            return _complete(
                user, session.get(_PENDING_NEXT), second_factor=True, via=session.get(_PENDING_VIA)
            )
        form.code.errors = [_("The code does not match. Check the time on your phone.")]
        form.code.data = ""
        status = 400
    uri = twofactor.provisioning_uri(secret, user.email)
    return render_template(
        "auth/enrol.html",
        form=form,
        required=not current_user.is_authenticated,
        secret=twofactor.grouped(secret),
        qr=twofactor.qr_svg(uri, _("QR code for your authenticator app")),
    ), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> str | Response:
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current.data or "", form.new.data or "")
        except PasswordRefused as exc:
            db.session.commit()  # only the audit event of the failed check
            _password_refused()
            form.current.errors = [_account_message(str(exc))]
            status = 400
        except AccountError as exc:
            db.session.rollback()
            form.new.errors = [_account_message(str(exc))]
            status = 400
        else:
            db.session.commit()
            # The change ended every session of the user; this one goes on, under the
            # new generation, so only copies of it and other devices are signed out.
            login_user(current_user._get_current_object())  # type: ignore[attr-defined]
            flash(_("Your password is changed."), "success")
            return redirect(url_for("auth.account"))
    elif request.method == "POST":
        status = 400
    return _account_page(form, TwoFactorOffForm(formdata=None), status)


def _account_page(
    password_form: PasswordChangeForm, off_form: TwoFactorOffForm, status: int
) -> tuple[str, int]:
    reminders = RemindersForm(formdata=None)
    reminders.daily_digest.data = not current_user.digest_opt_out
    return render_template(
        "auth/account.html",
        form=password_form,
        off_form=off_form,
        reminders_form=reminders,
        two_factor_on=current_user.totp_secret is not None,
        two_factor_required=twofactor.is_required(current_user),
    ), status


#: Set on ``g`` when a signed-in user's password or code, asked for again, was wrong;
#: only such requests count against the account's sign-in allowance (see throttle.py).
PASSWORD_REFUSED = "_password_refused"


def _password_refused() -> None:
    setattr(g, PASSWORD_REFUSED, True)


def _account_message(message: str) -> str:
    translated = {
        "the current password is wrong": _("The current password is wrong."),
        "the password is too common or too easy to guess; choose another": _(
            "The password is too common or too easy to guess; choose another."
        ),
        "the password must not contain the e-mail address": _(
            "The password must not contain your e-mail address."
        ),
    }
    if message in translated:
        return translated[message]
    return _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)


@bp.route("/account/reminders", methods=["POST"])
@login_required
def reminders() -> Response:
    """The daily digest of due and overdue forms: on, or off for this person."""
    form = RemindersForm()
    if not form.validate_on_submit():
        abort(400)
    wanted = bool(form.daily_digest.data)
    set_digest_opt_out(current_user, not wanted)
    db.session.commit()
    if wanted:
        flash(_("You will receive the daily e-mail about forms due."), "success")
    else:
        flash(_("You will no longer receive the daily e-mail about forms due."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/two-factor/off", methods=["POST"])
@login_required
def two_factor_off() -> str | Response:
    """Both factors again: whoever has only the session (a borrowed browser, a copied
    cookie) cannot weaken the sign-in."""
    if twofactor.is_required(current_user):
        if not EmptyForm().validate_on_submit():
            abort(400)
        flash(_("Your role requires two-factor sign-in; it cannot be turned off."), "error")
        return redirect(url_for("auth.account"))
    if current_user.totp_secret is None:
        return redirect(url_for("auth.account"))
    form = TwoFactorOffForm()
    if form.validate_on_submit():
        if not password_matches(current_user, form.password.data or "", where="two_factor_off"):
            form.password.errors = [_("The password is wrong.")]
        elif not twofactor.verify(current_user, form.code.data or ""):
            form.code.errors = [_("The code is wrong or has already been used.")]
        else:
            twofactor.disable(current_user)
            db.session.commit()
            flash(_("Two-factor sign-in is off."), "info")
            return redirect(url_for("auth.account"))
        db.session.commit()  # the audit event of the failed check
        _password_refused()
        form.password.data = form.code.data = ""
    return _account_page(PasswordChangeForm(formdata=None), form, 400)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    form = EmptyForm()
    if form.validate_on_submit():
        provider_session = session.get(_SIGNED_IN_VIA)
        if current_user.is_authenticated:
            record("auth.logout")
            # Every session of the user ends, so a copy of this cookie is worth nothing.
            end_sessions(current_user, reason="logout")
            db.session.commit()
            logout_user()
        _fresh_session()
        flash(_("You are logged out."), "info")
        if provider_session:
            # Signed in through a municipality's provider: its session ends too, or the
            # next press of its button would sign the person straight in again.
            session[PROVIDER_LOGOUT] = provider_session
            return redirect(url_for("sso.end_session"))
    return redirect(url_for("auth.login"))


def _fresh_session() -> None:
    """Nothing from before a login or logout carries over, except the chosen language."""
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language


def _pending_secret() -> str:
    """The secret being set up, kept across the page's reloads; a new one if unreadable."""
    sealed = session.get(_NEW_SECRET)
    if sealed:
        try:
            return crypto.decrypt(sealed)
        except Exception:  # sealed with another key, or a cookie from before sealing
            pass
    return twofactor.new_secret()


def account_key() -> str:
    """Throttling key for the password step: the account asked for, not the address.

    The e-mail is read by the sign-in form itself, so the key is the account the attempt
    is checked against, whatever the body's encoding (form fields or JSON).
    """
    if not _body_is_a_form():
        return "account:"  # refused with 400 by the view; no account's count
    email = LoginForm(meta={"csrf": False}).email.data or ""
    return "account:" + throttle_id(email)


def _body_is_a_form() -> bool:
    """A JSON sign-in body must look like the form's: an object of text values."""
    if not request.is_json:
        return True
    body = request.get_json(silent=True)
    return isinstance(body, dict) and all(isinstance(value, str) for value in body.values())


def own_account_key() -> str:
    """Throttling key for a signed-in user's password asked again: the same allowance."""
    if not current_user.is_authenticated:
        return f"anonymous:{request.remote_addr}"
    return "account:" + throttle_id(current_user.email)


def pending_key() -> str:
    """Throttling key for the code step: the pending sign-in's account."""
    return f"pending:{session.get(_PENDING, request.remote_addr)}"


@bp.route("/")
def start() -> str | Response:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return _start_page()


@login_required
def _start_page() -> str | Response:
    memberships = own_memberships(current_user)
    slugs = {m.municipality.slug for m in memberships}
    last = session.get("last_municipality")
    if last in slugs:
        return redirect(url_for("tenancy.home", slug=last))
    if len(memberships) == 1 and not current_user.platform_role:
        return redirect(url_for("tenancy.home", slug=memberships[0].municipality.slug))
    return render_template("auth/start.html", memberships=memberships)
