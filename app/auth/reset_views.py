"""Setting a password through a link sent by mail: a forgotten one, or a new person's first.

The forgotten-password page answers the same whatever the address: whether an account
has it is never shown, and the same work is done either way (a link's secret is made and
hashed; the mail leaves from a thread of its own, so the answer does not wait for it).
Requests are throttled per address asked for and per client (app/auth/throttle.py).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.audit.services import record
from app.auth.forms import ForgotPasswordForm, NewPasswordForm
from app.auth.links import LINK_LIFETIME, LinkUnusable, find, issue, use
from app.auth.models import User
from app.auth.services import AccountError, find_user, normalise_email, throttle_id
from app.auth.views import _account_message
from app.core import mail
from app.core.db import db
from app.tenancy.models import Municipality

bp = Blueprint("password", __name__, url_prefix="/password")


def link_url(secret: str) -> str:
    """The absolute link in a mail. Built from PUBLIC_BASE_URL, never from the request's
    Host header, which a client chooses: a reset link must point at this site."""
    return current_app.config["PUBLIC_BASE_URL"] + url_for("password.new", secret=secret)


def reset_mail(user: User, secret: str) -> tuple[str, str]:
    with force_locale(user.language or "da"):
        subject = _("Choose a new password for Helhed")
        body = _(
            "Someone asked to reset the password of your Helhed account.\n\n"
            "Open this link within an hour to choose a new password:\n%(link)s\n\n"
            "The link works once. If you did not ask for it, ignore this mail: your "
            "password is unchanged.",
            link=link_url(secret),
        )
    return subject, body


def invitation_mail(user: User, secret: str, municipality: Municipality) -> tuple[str, str]:
    days = LINK_LIFETIME["invitation"].days
    language = user.language or "da"
    with force_locale(language):
        subject = _("You have an account in Helhed")
        body = _(
            "%(municipality)s has given you an account in Helhed.\n\n"
            "Open this link within %(days)d days to choose your password:\n%(link)s\n\n"
            "The link works once. Then sign in with your e-mail address and the password "
            "you chose.",
            municipality=municipality.name(language),
            days=days,
            link=link_url(secret),
        )
    return subject, body


def role_offered_mail(user: User, municipality: Municipality) -> tuple[str, str]:
    """To an existing account offered a role: where to answer, nothing more."""
    language = user.language or "da"
    with force_locale(language):
        subject = _("An invitation in Helhed")
        body = _(
            "%(municipality)s has invited you to a role in Helhed.\n\n"
            "Log in to accept or decline the invitation:\n%(link)s",
            municipality=municipality.name(language),
            link=current_app.config["PUBLIC_BASE_URL"] + "/account/invitations/",
        )
    return subject, body


@bp.route("/forgot", methods=["GET", "POST"])
def forgot() -> str | Response:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = normalise_email(form.email.data or "")
        user = find_user(email)
        if user is not None and not user.active:
            user = None
        secret = issue(user, "reset")
        record(
            "auth.reset_requested",
            object_type="user",
            object_id=user.id if user else None,
            details={"email": email, "remote_addr": request.remote_addr, "known": bool(user)},
        )
        db.session.commit()
        if user is not None:
            subject, body = reset_mail(user, secret)
            mail.send_soon(user.email, subject, body)
        return render_template("auth/forgot_sent.html", email=email)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form), status


@bp.route("/new/<secret>", methods=["GET", "POST"])
def new(secret: str) -> str | Response | tuple[str, int]:
    try:
        link = find(secret)
    except LinkUnusable as exc:
        return render_template("auth/link_unusable.html", reason=exc.reason), 410
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            use(secret, form.new.data or "")
        except LinkUnusable as exc:
            db.session.rollback()
            return render_template("auth/link_unusable.html", reason=exc.reason), 410
        except AccountError as exc:
            db.session.rollback()
            form.new.errors = [_account_message(str(exc))]
        else:
            db.session.commit()
            flash(
                _("Your password is set. Log in with your e-mail and the new password."), "success"
            )
            return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/new_password.html", form=form, purpose=link.purpose), status


def reset_account_key() -> str:
    """Throttling key of a reset request: the address asked for, whether it has an account
    or not (counting only known ones would tell which are)."""
    email = ForgotPasswordForm(meta={"csrf": False}).email.data or ""
    return "reset:" + throttle_id(email)
