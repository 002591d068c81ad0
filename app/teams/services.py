"""Setting up the people around a family, by the family's own team model."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit.services import record
from app.auth.models import Membership
from app.auth.permissions import allows
from app.core.db import db, utcnow
from app.families.models import Assignment, Family
from app.tenancy.models import Department, Municipality
from app.tenancy.settings_spec import setting_value

#: What each team model allows around a family. Configuration, not code paths: a new model
#: is a new entry here.
TEAM_MODEL_RULES: dict[str, dict[str, object]] = {
    # Exactly one family coordinator, a staff member with a home department.
    "coordinator": {"kinds": ("coordinator",), "single": True, "contact_person": False},
    # A team per family; one member is the family's chosen contact person.
    "family_team": {"kinds": ("team_member",), "single": False, "contact_person": True},
    # The programme's joint team; one entry caseworker per family.
    "single_entry": {"kinds": ("entry_caseworker",), "single": True, "contact_person": False},
}


EXTERNAL_ONLY_AS_CONTACT = _l(
    "Only the family's chosen contact person may be external, where the municipality allows it."
)


class TeamError(ValueError):
    """An assignment the family's team model or the municipality's settings do not allow."""


def assignment_kind(family: Family) -> str:
    return TEAM_MODEL_RULES[family.team_model]["kinds"][0]  # type: ignore[index]


def active_team(family: Family) -> list[Assignment]:
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.family_id == family.id, Assignment.active)
            .order_by(Assignment.contact_person.desc(), Assignment.id)
        )
    )


def assign(
    municipality: Municipality,
    family: Family,
    membership: Membership,
    *,
    department: Department | None = None,
    team_role: str | None = None,
    contact_person: bool = False,
) -> Assignment:
    """Put a member of the municipality around *family* as its model prescribes.

    In the coordinator and single-entry models the new person replaces the previous
    coordinator or entry caseworker; in the family-team model they join the team.
    """
    rules = TEAM_MODEL_RULES[family.team_model]
    kind = assignment_kind(family)
    external = allows(membership.role, "teams.join_as_contact")
    if external:
        allowed = setting_value(municipality.settings, "access", "external_contacts")
        if not (allowed and rules["contact_person"] and contact_person):
            raise TeamError(EXTERNAL_ONLY_AS_CONTACT)
    if contact_person and not rules["contact_person"]:
        raise TeamError(_l("This team model has no separate contact person."))
    # A coordinator represents their home department unless another is chosen.
    department = department or (None if external else membership.department)

    existing = active_team(family)
    if any(a.user_id == membership.user_id for a in existing) and not rules["single"]:
        raise TeamError(_l("The person is already in the family's team."))
    now = utcnow()
    for other in existing:
        replaced = rules["single"] and other.kind == kind
        if replaced:
            other.active = False
            other.ended_at = now
        elif contact_person and other.contact_person:
            other.contact_person = False
    db.session.flush()
    assignment = Assignment(
        municipality_id=family.municipality_id,
        family_id=family.id,
        user_id=membership.user_id,
        kind=kind,
        department_id=department.id if department else None,
        team_role=(team_role or "").strip() or None,
        contact_person=contact_person,
    )
    db.session.add(assignment)
    db.session.flush()
    record(
        "team.assigned",
        municipality_id=family.municipality_id,
        object_type="family",
        object_id=family.id,
        details={
            "user_id": membership.user_id,
            "kind": kind,
            "contact_person": contact_person,
            "department": department.code if department else None,
        },
    )
    return assignment


def end_assignment(assignment: Assignment) -> None:
    assignment.active = False
    assignment.contact_person = False
    assignment.ended_at = utcnow()
    db.session.flush()
    record(
        "team.ended",
        municipality_id=assignment.municipality_id,
        object_type="family",
        object_id=assignment.family_id,
        details={"user_id": assignment.user_id, "kind": assignment.kind},
    )
