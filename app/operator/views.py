from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from app.core.db import db
from app.tenancy.models import Municipality

bp = Blueprint("operator", __name__)


@bp.before_request
@login_required
def _operators_only() -> None:
    if current_user.platform_role != "operator":
        abort(403)


@bp.route("/")
def municipalities() -> str:
    # Municipality rows are the tenants themselves, not tenant data: no crossing needed.
    rows = db.session.scalars(select(Municipality).order_by(Municipality.code)).all()
    return render_template("operator/municipalities.html", municipalities=rows)
