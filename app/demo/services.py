"""Demo accounts for every role in every seed municipality."""

from __future__ import annotations

from sqlalchemy import select

from app.auth import twofactor
from app.auth.models import User
from app.auth.services import create_user, find_user, grant_membership, hash_password
from app.collection.services import publish_catalogue
from app.core.db import db
from app.definitions.loader import Catalogue
from app.tenancy.config_files import MunicipalityConfig
from app.tenancy.models import Department, Municipality
from app.tenancy.scoping import tenant_scope
from app.tenancy.services import sync_municipalities

DEFAULT_PASSWORD = "helhed-demo-2026"
#: The demo's shared authenticator key for the logins that must use two-factor sign-in
#: (admins, the researcher, the operator). Public on purpose: demo data only.
DEMO_TOTP_SECRET = "HELHEDDEMOHELHEDDEMOHELHEDDEMO23"

_ROLE_NAMES = {"admin": "Administrator", "lead": "Leder", "staff": "Medarbejder"}


def seed_demo(
    configs: list[MunicipalityConfig], password: str, catalogue: Catalogue | None = None
) -> list[tuple[str, str]]:
    """Sync the municipalities, publish the forms and create (or reset) the demo logins.

    Idempotent: run it again and the same logins work with the given password.
    """
    sync_municipalities(configs)
    if catalogue is not None:
        publish_catalogue(catalogue)
    logins: list[tuple[str, str]] = []
    for config in configs:
        municipality = db.session.scalar(select(Municipality).filter_by(slug=config.slug))
        assert municipality is not None
        with tenant_scope(municipality):
            logins += _municipality_logins(config, municipality, password)
    for email, role, name in (
        ("researcher@example.org", "researcher", "Forsker"),
        ("operator@example.org", "operator", "Driftsoperatør"),
    ):
        _user(email, name, password, platform_role=role)
        logins.append((email, role))
    db.session.flush()
    for email, _description in logins:
        user = find_user(email)
        if user is not None and user.totp_secret is None and twofactor.is_required(user):
            user.totp_secret = DEMO_TOTP_SECRET
    return logins


def _user(email: str, name: str, password: str, platform_role: str | None = None) -> User:
    user = find_user(email)
    if user is None:
        return create_user(email, name, password, platform_role=platform_role)
    # Re-seeding resets the demo password, so the printed one always works.
    user.password_hash = hash_password(password)
    user.platform_role = platform_role
    return user


def _municipality_logins(
    config: MunicipalityConfig, municipality: Municipality, password: str
) -> list[tuple[str, str]]:
    logins = []
    home = db.session.scalars(select(Department).order_by(Department.id)).first()
    for role in ("admin", "lead", "staff"):
        email = f"{role}@{config.slug}.example"
        user = _user(email, f"{_ROLE_NAMES[role]} {config.name_da}", password)
        membership = grant_membership(user, municipality, role)
        # Demo staff belong to the first department and to the joint team.
        membership.department_id = home.id if home else None
        membership.joint_team = True
        logins.append((email, f"{role} in {config.name_en}"))
    if config.settings["access"]["external_contacts"]:
        email = f"external@{config.slug}.example"
        user = _user(email, f"Ekstern kontaktperson {config.name_da}", password)
        membership = grant_membership(user, municipality, "external")
        membership.organisation_name = "Idrætsforeningen Nord"
        membership.organisation_type = "association"
        logins.append((email, f"external contact in {config.name_en}"))
    db.session.flush()
    return logins
