"""Who may open which family: the one place pages (and later the API) ask.

Order, as everywhere: load the object through the tenant-scoped session (another
municipality's id is simply not found: 404), then check that this member may see this
family (403), then what they may do with it (403).

- ``families.view_all`` (admins and leads) sees every family of the municipality.
- Everyone else sees the families they work with (coordinator, team member, entry
  caseworker, contact person); with ``families.view_joint_team`` (staff), in a
  municipality whose setting says so, also every single-entry family when they belong to
  the joint team.
- ``families.records`` opens a visible family's records and forms; ``plans.view`` only its
  joint plan and contact details, which is all external contact persons have: never
  forms, never child-welfare data.

Which roles hold each permission is app/auth/permissions.py.
"""

from __future__ import annotations

from typing import Any

from flask import abort, g
from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.permissions import can
from app.core.db import MAX_ID, db
from app.families.models import Assignment, Family, Member, Wave
from app.tenancy.request import get_or_404

#: What a member wants with a family: its records and forms, or only its plan.
RECORDS = "records"
PLAN = "plan"


def sees_all_families() -> bool:
    return can("families.view_all")


def visible_families() -> ColumnElement[bool]:
    """SQL condition on :class:`Family`: the families the current member may see."""
    membership = g.membership
    if sees_all_families():
        return true()
    own = Family.id.in_(
        select(Assignment.family_id).where(
            Assignment.user_id == membership.user_id, Assignment.active
        )
    )
    access = g.municipality.settings.get("access", {})
    joint = can("families.view_joint_team") and membership.joint_team
    if joint and access.get("joint_team_sees_all"):
        return or_(own, Family.team_model == "single_entry")
    return own


def may_see(family: Family) -> bool:
    if sees_all_families():
        return True
    return bool(
        db.session.scalar(select(Family.id).where(Family.id == family.id, visible_families()))
    )


def check_family(family: Family, purpose: str = RECORDS) -> Family:
    """403 unless the current member may use *family* for *purpose*."""
    allowed = can("plans.view") if purpose == PLAN else can("families.records")
    if not allowed or not may_see(family):
        abort(403)
    return family


def family_or_404(family_id: int, purpose: str = RECORDS) -> Family:
    return check_family(get_or_404(Family, family_id), purpose)


def family_and_wave_or_404(family_id: int, wave_id: int) -> tuple[Family, Wave | None]:
    """The family with its members, checked as :func:`family_or_404` checks it, and the
    wave *wave_id* of the municipality (None when there is none), in one statement.

    Whether the wave is the family's is the caller's to answer, after the family's 404
    and 403, as when the two are loaded one after the other.
    """
    if not 0 < family_id <= MAX_ID:
        abort(404)
    # Beyond any id the database holds: no wave, as get_or_404 would say.
    wave_on = Wave.id == wave_id if 0 < wave_id <= MAX_ID else false()
    row = (
        db.session.execute(
            select(Family, Wave, visible_families().label("visible"))
            .outerjoin(Wave, wave_on)
            .where(Family.id == family_id)
            .options(joinedload(Family.members))
            .execution_options(populate_existing=True)
        )
        .unique()
        .one_or_none()
    )
    if row is None:
        abort(404)
    family, wave, visible = row
    if not can("families.records") or not visible:
        abort(403)
    if wave is not None and wave.family_id == family.id:
        # Read with it: the wave's family needs no statement of its own.
        set_committed_value(wave, "family", family)
    return family, wave


def wave_or_404(wave_id: int) -> Wave:
    wave = get_or_404(Wave, wave_id)
    check_family(wave.family)
    return wave


def member_or_404(family: Family, member_id: int) -> Member:
    member = get_or_404(Member, member_id)
    if member.family_id != family.id:
        abort(404)
    check_family(family)
    return member


def owned_by_family_or_404(model: type[Any], object_id: int, purpose: str = RECORDS) -> Any:
    """Load any row with a ``family_id`` and check the family, e.g. a submission or a goal."""
    obj = get_or_404(model, object_id)
    check_family(get_or_404(Family, obj.family_id), purpose)
    return obj
