"""Login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from app.audit.services import record
from app.auth.forms import EmptyForm, LoginForm
from app.auth.services import authenticate
from app.core.db import db

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: an absolute or scheme-relative URL is an open redirect."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
        if current_user.is_authenticated:
            return redirect(form.next.data or url_for("core.index"))
    if form.validate_on_submit():
        user = authenticate(
            form.email.data or "", form.password.data or "", remote_addr=request.remote_addr
        )
        db.session.commit()
        if user is not None:
            _fresh_session()
            login_user(user)
            return redirect(safe_next(form.next.data) or url_for("core.index"))
        flash(_("The e-mail or the password is wrong."), "error")
        form.password.data = ""
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    form = EmptyForm()
    if form.validate_on_submit():
        record("auth.logout")
        db.session.commit()
        logout_user()
        _fresh_session()
        flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


def _fresh_session() -> None:
    """Nothing from before a login or logout carries over, except the chosen language."""
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
