"""Inviting an existing account into a municipality, and the invited person's answer.

An admin who types the address of an account that exists already learns nothing about it
(not its name, its other municipalities or its platform role): the account is offered the
role, and joins only when its owner accepts after signing in. There is no e-mail sending;
the invitation waits on the person's own pages.

Platform accounts (the operator, researchers) are never offered one: the admin is told the
same as for anyone, so nothing is revealed, but the invitation is not shown to the account
and cannot be accepted, and simply expires. Their data access is the platform's and must
not mix silently with a municipality's; a platform account is given a municipal role only
on the command line (``flask users grant``), by the installation's operator.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, select

from app.admin.models import Invitation
from app.audit.services import record
from app.auth.models import Membership, User
from app.auth.services import grant_membership
from app.core.db import MAX_ID, db, utcnow
from app.tenancy.models import Municipality
from app.tenancy.scoping import OWN_MEMBERSHIPS, tenant_scope

#: How long an invitation can be accepted.
INVITATION_DAYS = 14


class InvitationError(ValueError):
    pass


def _open(now: datetime) -> list[ColumnElement[bool]]:
    return [
        Invitation.accepted_at.is_(None),
        Invitation.declined_at.is_(None),
        Invitation.expires_at > now,
    ]


def invite(
    municipality: Municipality, user: User, email: str, role: str, *, invited_by: int | None
) -> Invitation:
    """Offer *role* here to the existing account *user*, or renew the offer waiting for it.

    *email* is the address as the admin typed it: the only thing about the account that the
    invitation, its audit event and the admin's pages ever show.
    """
    now = utcnow()
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.user_id == user.id, *_open(now))
    )
    action = "invitation.renewed"
    if invitation is None:
        invitation = Invitation(municipality_id=municipality.id, user_id=user.id)
        db.session.add(invitation)
        action = "invitation.created"
    invitation.email = email
    invitation.role = role
    invitation.invited_by_id = invited_by
    invitation.expires_at = now + timedelta(days=INVITATION_DAYS)
    db.session.flush()
    record(
        action,
        municipality_id=municipality.id,
        object_type="invitation",
        object_id=invitation.id,
        details={"email": email, "role": role, "expires_at": invitation.expires_at.isoformat()},
    )
    return invitation


def waiting_here() -> list[Invitation]:
    """The current municipality's open invitations, for its people page."""
    return list(
        db.session.scalars(
            select(Invitation).where(*_open(utcnow())).order_by(Invitation.created_at)
        )
    )


def _own(user: User) -> Select[tuple[Invitation]]:
    return (
        select(Invitation)
        .where(Invitation.user_id == user.id, *_open(utcnow()))
        .execution_options(**{OWN_MEMBERSHIPS: True})
    )


def own_open_invitations(user: User) -> list[Invitation]:
    """What *user* may answer now, from any municipality (none for a platform account)."""
    if user.platform_role:
        return []
    return list(db.session.scalars(_own(user).order_by(Invitation.created_at)))


def own_open_invitation(user: User, invitation_id: int) -> Invitation | None:
    if user.platform_role or not 0 < invitation_id <= MAX_ID:
        return None
    return db.session.scalar(_own(user).where(Invitation.id == invitation_id))


def answer(invitation: Invitation, user: User, *, accept: bool) -> Membership | None:
    """The invited person's answer; accepting gives them the role the invitation offers."""
    if invitation.user_id != user.id or user.platform_role:
        raise InvitationError(_l("The invitation is not for you."))
    municipality = invitation.municipality
    # The answer is written in the inviting municipality, which the person is entering
    # (or turning down) on the invitation's authority.
    with tenant_scope(municipality, user.id):
        membership = None
        if accept:
            if db.session.scalar(select(Membership.id).where(Membership.user_id == user.id)):
                raise InvitationError(_l("You already have a role in that municipality."))
            invitation.accepted_at = utcnow()
            membership = grant_membership(user, municipality, invitation.role)
        else:
            invitation.declined_at = utcnow()
        db.session.flush()
        record(
            "invitation.accepted" if accept else "invitation.declined",
            actor_id=user.id,
            municipality_id=municipality.id,
            object_type="user",
            object_id=user.id,
            details={"invitation_id": invitation.id, "role": invitation.role},
        )
        db.session.flush()  # inside the municipality's scope, which checks every write
    return membership


def withdraw(invitation: Invitation) -> None:
    """The admin takes back an invitation not yet answered (a wrong address, a wrong role)."""
    if not invitation.pending(utcnow()):
        raise InvitationError(_l("The invitation has already been answered or has expired."))
    record(
        "invitation.withdrawn",
        municipality_id=invitation.municipality_id,
        object_type="invitation",
        object_id=invitation.id,
        details={"email": invitation.email, "role": invitation.role},
    )
    db.session.delete(invitation)
    db.session.flush()
