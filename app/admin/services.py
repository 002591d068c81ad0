"""Changes a tenant admin makes; each is audited with what changed."""

from __future__ import annotations

import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.admin.invitations import invite
from app.admin.models import Invitation
from app.api.tokens import revoke_membership_tokens
from app.audit.services import record
from app.auth.links import issue
from app.auth.models import MEMBERSHIP_ROLES, ORGANISATION_TYPES, Membership
from app.auth.permissions import allows, roles_with
from app.auth.services import (
    create_user,
    end_sessions_if_no_membership,
    find_user,
    grant_membership,
    normalise_email,
)
from app.collection.services import refresh_open_waves
from app.core.db import db, utcnow
from app.families.models import Assignment
from app.tenancy.config_files import DEPARTMENT_CODE_RE
from app.tenancy.models import TEAM_MODELS, Department, Municipality
from app.tenancy.settings_spec import SETTINGS_SPEC, TABLES


class AdminError(ValueError):
    pass


def update_settings(
    municipality: Municipality,
    team_model: str,
    settings: dict[str, dict[str, Any]],
    local_forms: list[str],
) -> dict[str, list[Any]]:
    """Apply new settings; families keep the team model they were enrolled under."""
    if team_model not in TEAM_MODELS:
        raise AdminError(_l("Choose a team model."))
    new = {**municipality.settings}
    tables = {table: dict(new.get(table, {})) for table in TABLES}
    for spec in SETTINGS_SPEC:
        stored = tables[spec.table]
        value = settings.get(spec.table, {}).get(spec.key, stored.get(spec.key, spec.default))
        if not spec.accepts(value):
            raise AdminError(_l("A setting is outside what is allowed."))
        stored[spec.key] = value
    new.update(tables)
    new["local_forms"] = sorted(local_forms)
    changes: dict[str, list[Any]] = {}
    if municipality.team_model != team_model:
        changes["team_model"] = [municipality.team_model, team_model]
        municipality.team_model = team_model
    for key in sorted(set(new) | set(municipality.settings)):
        if new.get(key) != municipality.settings.get(key):
            changes[key] = [municipality.settings.get(key), new.get(key)]
    if changes:
        municipality.settings = new
        db.session.flush()
        if "local_forms" in changes:
            refresh_open_waves(municipality)
        record(
            "municipality.settings_changed",
            municipality_id=municipality.id,
            object_type="municipality",
            object_id=municipality.id,
            details={"changes": changes},
        )
    return changes


def add_department(municipality: Municipality, code: str, name_da: str, name_en: str) -> Department:
    code = code.strip()
    if not DEPARTMENT_CODE_RE.match(code):
        raise AdminError(_l("The code may use a-z, 0-9 and _ and must start with a letter."))
    if db.session.scalar(select(func.count(Department.id)).where(Department.code == code)):
        raise AdminError(_l("A department with that code exists."))
    department = Department(
        municipality_id=municipality.id, code=code, name_da=name_da.strip(), name_en=name_en.strip()
    )
    db.session.add(department)
    db.session.flush()
    record(
        "department.added",
        municipality_id=municipality.id,
        object_type="department",
        object_id=department.id,
        details={"code": code},
    )
    return department


def update_department(department: Department, name_da: str, name_en: str, active: bool) -> None:
    changes = {}
    for attr, value in (
        ("name_da", name_da.strip()),
        ("name_en", name_en.strip()),
        ("active", active),
    ):
        if getattr(department, attr) != value:
            changes[attr] = [getattr(department, attr), value]
            setattr(department, attr, value)
    if changes:
        db.session.flush()
        record(
            "department.changed",
            municipality_id=department.municipality_id,
            object_type="department",
            object_id=department.id,
            details=changes,
        )


def add_person(
    municipality: Municipality, email: str, name: str, role: str, *, invited_by: int | None
) -> tuple[Membership, str] | Invitation:
    """Give someone a role here.

    An unknown address gets a new account and the secret of a one-time link (mailed by
    the caller) with which its owner chooses a password; nobody else ever sees one. An
    account that exists already gets an invitation its owner accepts or declines: an admin
    must not be able to take in another municipality's staff, or the operator, by typing
    an address, nor see that account's name.
    """
    if role not in MEMBERSHIP_ROLES:
        raise AdminError(_l("Choose a role."))
    email = normalise_email(email)
    user = find_user(email)
    if user is None:
        # A random password nobody knows: the account is used only once its owner has
        # chosen their own through the link.
        user = create_user(email, name, secrets.token_urlsafe(32))
        return grant_membership(user, municipality, role), issue(user, "invitation")
    if db.session.scalar(select(Membership).where(Membership.user_id == user.id)):
        raise AdminError(_l("The person already has a role here."))
    return invite(municipality, user, email, role, invited_by=invited_by)


def update_membership(
    membership: Membership,
    role: str,
    department: Department | None,
    joint_team: bool,
    organisation_name: str | None,
    organisation_type: str | None,
) -> None:
    if role not in MEMBERSHIP_ROLES:
        raise AdminError(_l("Choose a role."))
    if organisation_type and organisation_type not in ORGANISATION_TYPES:
        raise AdminError(_l("Choose a kind of organisation."))
    if allows(membership.role, "people.manage") and not allows(role, "people.manage"):
        _keep_one_admin(membership)
    old_role = membership.role
    changes: dict[str, list[Any]] = {}
    values = {
        "role": role,
        "department_id": department.id if department else None,
        "joint_team": joint_team,
        "organisation_name": (organisation_name or "").strip() or None,
        "organisation_type": organisation_type or None,
    }
    for attr, value in values.items():
        if getattr(membership, attr) != value:
            changes[attr] = [getattr(membership, attr), value]
            setattr(membership, attr, value)
    if changes:
        db.session.flush()
        action = "membership.role_set" if "role" in changes else "membership.changed"
        record(
            action,
            municipality_id=membership.municipality_id,
            object_type="user",
            object_id=membership.user_id,
            details={"old_role": old_role, "new_role": role, "changes": changes},
        )


def remove_membership(membership: Membership) -> None:
    """Take the person's access away; their assignments around families end with it."""
    if allows(membership.role, "people.manage"):
        _keep_one_admin(membership)
    now = utcnow()
    for assignment in db.session.scalars(
        select(Assignment).where(Assignment.user_id == membership.user_id, Assignment.active)
    ):
        assignment.active = False
        assignment.contact_person = False
        assignment.ended_at = now
    record(
        "membership.removed",
        municipality_id=membership.municipality_id,
        object_type="user",
        object_id=membership.user_id,
        details={"old_role": membership.role},
    )
    revoke_membership_tokens(membership)
    user = membership.user
    db.session.delete(membership)
    db.session.flush()
    end_sessions_if_no_membership(user)


def _keep_one_admin(membership: Membership) -> None:
    # Someone must be left who can give people access: without them no one could mend a
    # wrong role, not even by giving the role back.
    admins = db.session.scalar(
        select(func.count(Membership.id)).where(Membership.role.in_(roles_with("people.manage")))
    )
    if (admins or 0) <= 1:
        raise AdminError(_l("The municipality must keep at least one administrator."))
