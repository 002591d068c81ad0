"""Who may open which family: the one place views ask.

Order, as everywhere: load the object through the tenant-scoped session (another
municipality's id is simply not found: 404), then check the role (403). The next issue
refines "which staff see which family" by team model here, not in the views.
"""

from __future__ import annotations

from flask import abort

from app.families.models import Family, Member, Wave
from app.tenancy.request import get_or_404, require_role

#: Roles that work with family records and forms. External contacts never see forms.
FAMILY_ROLES = ("admin", "lead", "staff")


def family_or_404(family_id: int) -> Family:
    family = get_or_404(Family, family_id)
    require_role(*FAMILY_ROLES)
    return family


def wave_or_404(wave_id: int) -> Wave:
    wave = get_or_404(Wave, wave_id)
    require_role(*FAMILY_ROLES)
    return wave


def member_or_404(family: Family, member_id: int) -> Member:
    member = get_or_404(Member, member_id)
    if member.family_id != family.id:
        abort(404)
    require_role(*FAMILY_ROLES)
    return member
