"""Named permissions: which roles may do what, said once.

Views, templates and the API ask for a permission by its name — ``can("people.manage")``,
``require("reports.view")``, ``@permission_required("audit.read")`` — and this table alone
says which roles hold it (one mapping from permission to roles, as in Sentry's
``scope_map``). The route × role test (``tests/test_access_matrix.py``) states the policy
on its own and checks that the table gives every role the answers it expects; the table is
documented in ``docs/permissions.md``.

A permission belongs either to the municipal roles (asked of the member's role in the
municipality of the request) or to the platform roles (asked of the user's platform role);
never to both, so that a platform account never gains a municipality's data through it.
What a permission allows is further narrowed where the data is: ``families.records`` opens
only the families ``app.families.access`` lets the member see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, g
from flask_login import current_user

from app.auth.models import MEMBERSHIP_ROLES, PLATFORM_ROLES

F = TypeVar("F", bound=Callable[..., Any])

_EVERY_MEMBER = frozenset(MEMBERSHIP_ROLES)

#: Permission name → the roles that hold it.
PERMISSIONS: dict[str, frozenset[str]] = {
    # -- inside a municipality: the member's role there ------------------------------------
    # The family list, the API's list of families (each member sees only their own families).
    "families.list": _EVERY_MEMBER,
    # Enrol a family (page and API).
    "families.enrol": frozenset({"admin", "lead", "staff"}),
    # Open a family's records and forms: the family page, members, waves, answers, team.
    "families.records": frozenset({"admin", "lead", "staff"}),
    # Reopen a family whose exit was started or recorded by mistake.
    "families.reopen": frozenset({"admin", "lead"}),
    # See every family of the municipality, not only those one works with.
    "families.view_all": frozenset({"admin", "lead"}),
    # Joint-team members see every single-entry family where the municipality's setting
    # says so (``access.joint_team_sees_all``).
    "families.view_joint_team": frozenset({"staff"}),
    # The status grid of the families one sees (families × waves) and its CSV download.
    "families.grid": frozenset({"admin", "lead", "staff"}),
    # Record why a wave of a family one opens cannot be collected (declined, moved, ...),
    # or take that back.
    "waves.record_missed": frozenset({"admin", "lead", "staff"}),
    # Read a family's joint plan and its contact details.
    "plans.view": _EVERY_MEMBER,
    # Add, edit and delete goals of a joint plan and set their status.
    "plans.edit": frozenset({"admin", "lead", "staff"}),
    # Have a caseload: the demonstration data gives its families to these roles' members.
    "families.caseload": frozenset({"lead", "staff"}),
    # Read the goals hidden from external contact persons (children's areas by default).
    "plans.view_hidden_goals": frozenset({"admin", "lead", "staff"}),
    # Be put on a family's team in any part the team model has.
    "teams.join": frozenset({"admin", "lead", "staff"}),
    # Be put on a family's team only as its chosen contact person, where the municipality
    # allows external contact persons.
    "teams.join_as_contact": frozenset({"external"}),
    # The people page and a person's page.
    "people.view": frozenset({"admin", "lead"}),
    # Give people access, change their role and department, take access away, invitations.
    "people.manage": frozenset({"admin"}),
    # The municipality's settings and departments.
    "settings.edit": frozenset({"admin"}),
    # Bring families in from a file (the import pages): many families at once.
    "families.import": frozenset({"admin"}),
    # Publish a local form from an XLSForm or a REDCap dictionary (the local-forms pages).
    "forms.import": frozenset({"admin"}),
    # The municipality's audit trail.
    "audit.read": frozenset({"admin"}),
    # A person's rights: what is held about them (subject access), and erasure.
    "privacy.manage": frozenset({"admin"}),
    # See and revoke every API token of the municipality, not only one's own.
    "tokens.manage_all": frozenset({"admin"}),
    # The municipality's evaluation report: page, CSV, PDF, the API's indicators.
    "reports.view": frozenset({"admin", "lead"}),
    # The municipality's research page: studies, grants, sign-offs, what left it.
    "research.view": frozenset({"admin", "lead"}),
    # Sign a wave off for research, or reopen it.
    "research.approve": frozenset({"lead"}),
    # Grant a study access to the municipality's data, or revoke it.
    "research.grant": frozenset({"admin"}),
    # -- on the installation: the user's platform role -------------------------------------
    # The operator's pages: the municipalities, the platform's audit trail.
    "platform.operate": frozenset({"operator"}),
    # The research pages: studies, their packages and comparison reports.
    "studies.view": frozenset({"researcher", "operator"}),
    # Every study, not only those one is a researcher of.
    "studies.view_all": frozenset({"operator"}),
    # Build a study's research package.
    "studies.export": frozenset({"researcher", "operator"}),
    # Be added to a study as one of its researchers.
    "studies.join": frozenset({"researcher"}),
}

#: Roles whose holders must sign in with a second factor: those who can see or change more
#: than their own caseload across a municipality's people, or data of several.
TWO_FACTOR_ROLES = frozenset({"admin", "operator", "researcher"})

_PLATFORM = frozenset(PLATFORM_ROLES)
for _name, _roles in PERMISSIONS.items():
    if not _roles or not (_roles <= _EVERY_MEMBER or _roles <= _PLATFORM):
        raise ValueError(f"{_name}: give it municipal roles or platform roles, not both")


def _holders(permission: str) -> frozenset[str]:
    # A misspelt name must fail loudly: answering "no" would hide the mistake as a 403.
    try:
        return PERMISSIONS[permission]
    except KeyError:
        raise KeyError(f"no permission {permission!r} in app/auth/permissions.py") from None


def allows(role: str | None, permission: str) -> bool:
    """Whether *role* holds *permission*; an unknown permission is a KeyError, not a no."""
    return role in _holders(permission)


def roles_with(permission: str) -> tuple[str, ...]:
    """The roles holding *permission*, in the models' order (for SQL: ``role.in_(...)``)."""
    holders = _holders(permission)
    return tuple(r for r in (*MEMBERSHIP_ROLES, *PLATFORM_ROLES) if r in holders)


def _current_role(permission: str) -> str | None:
    if _holders(permission) <= _PLATFORM:
        return current_user.platform_role if current_user.is_authenticated else None
    # A municipal permission is asked of the membership the tenant resolution (or the
    # API's token) found for this request's municipality; outside one there is none.
    membership = g.get("membership")
    return membership.role if membership is not None else None


def can(permission: str) -> bool:
    """Whether the current user holds *permission* here (also a template global)."""
    return allows(_current_role(permission), permission)


def require(permission: str) -> None:
    """403 unless the current user holds *permission*.

    Views that take an object id call this *after* loading the object, so that another
    municipality's id answers 404 whatever the role (load, check owner, check access); a
    non-member never gets this far (the tenant resolution answers 404).
    """
    if not can(permission):
        abort(403)


def permission_required(permission: str) -> Callable[[F], F]:
    """Decorator form of :func:`require`, for views without object ids."""
    _holders(permission)  # a misspelt name fails when the view's module loads

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            require(permission)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def two_factor_required(roles: Iterable[str | None]) -> bool:
    """Whether a user holding *roles* (platform role and municipal roles) must use two
    factors to sign in."""
    return any(role in TWO_FACTOR_ROLES for role in roles)


def init_app(app: Flask) -> None:
    app.add_template_global(can)
