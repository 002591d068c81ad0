"""A municipality's own pages: its home page and the people who work in it."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.auth.models import Membership
from app.core.db import db
from app.tenancy.models import Department
from app.tenancy.request import (
    TenantBlueprint,
    current_municipality,
    get_or_404,
    require_role,
    roles_required,
)

bp = TenantBlueprint("tenancy", __name__)


@bp.route("/")
def home() -> str:
    departments = db.session.scalars(
        select(Department).where(Department.active).order_by(Department.id)
    ).all()
    return render_template(
        "tenancy/home.html", municipality=current_municipality(), departments=departments
    )


@bp.route("/people")
@roles_required("admin", "lead")
def people() -> str:
    memberships = db.session.scalars(
        select(Membership)
        .options(joinedload(Membership.user))
        .order_by(Membership.role, Membership.id)
    ).all()
    return render_template("tenancy/people.html", memberships=memberships)


@bp.route("/people/<int:membership_id>")
def person(membership_id: int) -> str:
    membership = get_or_404(Membership, membership_id)
    require_role("admin", "lead")
    return render_template("tenancy/person.html", membership=membership)
