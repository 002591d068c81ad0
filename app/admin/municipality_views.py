"""A municipality's own pages: its home page and the people who work in it.

They sit with the administration, above the casework whose dashboard the home page shows
and the invitations the people page lists; the blueprint keeps its name, ``tenancy``.
"""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.admin.invitations import waiting_here
from app.auth.permissions import can, permission_required, require
from app.casework import dashboard, worklists
from app.casework.worklist_labels import labels as worklist_labels
from app.core import dates
from app.core.db import db
from app.families.access import visible_families
from app.families.models import Family
from app.tenancy.models import Department, Membership
from app.tenancy.request import TenantBlueprint, current_municipality, get_or_404

bp = TenantBlueprint("tenancy", __name__)


@bp.route("/")
def home() -> str:
    """The municipality's start page: the staff dashboard, or an external's own families."""
    departments = db.session.scalars(
        select(Department).where(Department.active).order_by(Department.id)
    ).all()
    records = can("families.records")
    board = dashboard.build(dates.today()) if records else None
    work = worklists.summary(dates.today()) if records else None
    external_families = None
    if not records:
        # An external contact person: the plans of their own families, nothing else.
        external_families = db.session.scalars(
            select(Family).where(visible_families()).order_by(Family.label)
        ).all()
    return render_template(
        "tenancy/home.html",
        municipality=current_municipality(),
        departments=departments,
        board=board,
        work=work,
        external_families=external_families,
        **worklist_labels(),
    )


@bp.route("/people")
@permission_required("people.view")
def people() -> str:
    memberships = db.session.scalars(
        select(Membership)
        .options(joinedload(Membership.user))
        .order_by(Membership.role, Membership.id)
    ).all()
    # Only the admins, who invite, see the addresses they typed for invitations not yet
    # answered.
    invitations = waiting_here() if can("people.manage") else []
    return render_template("tenancy/people.html", memberships=memberships, invitations=invitations)


@bp.route("/people/<int:membership_id>")
def person(membership_id: int) -> str:
    membership = get_or_404(Membership, membership_id)
    require("people.view")
    return render_template("tenancy/person.html", membership=membership)
