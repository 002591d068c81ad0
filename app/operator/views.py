from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_login import login_required
from sqlalchemy import select

from app.admin.audit_views import download_csv, listing
from app.auth.permissions import require
from app.core import csvfile, dates
from app.core.db import db
from app.tenancy.models import Municipality

bp = Blueprint("operator", __name__)


@bp.before_request
@login_required
def _operators_only() -> None:
    require("platform.operate")


@bp.route("/")
def municipalities() -> str:
    # Municipality rows are the tenants themselves, not tenant data: no crossing needed.
    rows = db.session.scalars(select(Municipality).order_by(Municipality.code)).all()
    return render_template("operator/municipalities.html", municipalities=rows)


# The platform's own audit events (sign-ins, crossings of the tenant boundary): those with
# no municipality, which is what a request outside any municipality sees.
@bp.route("/audit/")
def audit_log() -> str:
    return listing("operator.audit_log", "operator.audit_download")


@bp.route("/audit/audit.csv")
@csvfile.serves_csv
def audit_download() -> Response:
    return download_csv(f"audit-platform-{dates.today().isoformat()}.csv", None)
