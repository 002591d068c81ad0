"""The page where people create, list and revoke their API tokens."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length, NumberRange

from app.api.models import ApiToken
from app.api.tokens import DEFAULT_DAYS, MAX_DAYS, create_token, revoke
from app.auth.permissions import can, require
from app.core.db import db
from app.core.forms import OneTimeForm, WholeNumberField
from app.tenancy.once import fresh_token, lands_on, repeat_of
from app.tenancy.request import TenantBlueprint, current_municipality, get_or_404

bp = TenantBlueprint("tokens", __name__, url_prefix="/tokens")


class TokenForm(OneTimeForm):
    name = StringField(_l("What is the token for?"), validators=[DataRequired(), Length(max=120)])
    days = WholeNumberField(
        _l("Valid for (days)"),
        default=DEFAULT_DAYS,
        validators=[DataRequired(), NumberRange(min=1, max=MAX_DAYS)],
    )


def _visible_tokens() -> list[ApiToken]:
    statement = select(ApiToken).order_by(ApiToken.created_at.desc())
    if not can("tokens.manage_all"):
        statement = statement.where(ApiToken.user_id == current_user.id)
    return list(db.session.scalars(statement))


@bp.route("/", methods=["GET", "POST"])
def index() -> str | Response:
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        if (repeat := repeat_of(form, url_for("tokens.index"))) is not None:
            return repeat
        _, created = create_token(
            current_user,
            current_municipality(),
            form.name.data or "",
            form.days.data or DEFAULT_DAYS,
        )
        # A repeat lands on the list: the new token is shown to the first send only.
        lands_on(url_for("tokens.index"))
        db.session.commit()
        fresh_token(form)
    return render_template("api/tokens.html", form=form, tokens=_visible_tokens(), created=created)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int) -> Response:
    token = get_or_404(ApiToken, token_id)
    if token.user_id != current_user.id:
        require("tokens.manage_all")
    if FlaskForm().validate_on_submit():
        revoke(token)
        db.session.commit()
        flash(_("The token is revoked."), "success")
    return redirect(url_for("tokens.index"))
