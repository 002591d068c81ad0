"""A municipality's single sign-on, as its file's ``[sso]`` table says.

The table names the municipality's own OpenID provider (its directory: Entra ID, AD FS,
or a broker in front of a SAML-only one), the client Helhed is registered as there, the
claims to read, and what the provider's assertion of multi-factor sign-in looks like. The
client secret is not in the file (files are reviewed in the open): it comes from the
environment, ``HELHED_SSO_SECRET_<SLUG>`` (app/config.py). The flow itself is app/sso/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from app.core.db import db
from app.tenancy.models import MEMBERSHIP_ROLES, Municipality

#: Every key of ``[sso]``, with its default where it may be left out.
DEFAULTS: dict[str, Any] = {
    "issuer": None,
    "client_id": None,
    "scopes": ["openid", "email", "profile"],
    "email_claim": "email",
    "name_claim": "name",
    "default_role": None,
    "password_login": True,
    "mfa_amr": ["mfa"],
    "mfa_acr": [],
}
REQUIRED = ("issuer", "client_id")


@dataclass(frozen=True)
class SsoSettings:
    """The checked ``[sso]`` table of one municipality."""

    issuer: str
    client_id: str
    scopes: tuple[str, ...]
    email_claim: str
    name_claim: str
    #: The membership role a person the provider vouches for gets when they have none;
    #: None refuses them (an admin gives access first).
    default_role: str | None
    #: False: members of this municipality only (no platform role) sign in with the button.
    password_login: bool
    #: ``amr`` values, any of which means the provider did multi-factor sign-in.
    mfa_amr: tuple[str, ...]
    #: ``acr`` values that mean the same.
    mfa_acr: tuple[str, ...]


def secret_variable(slug: str) -> str:
    """The environment variable that holds the client secret of *slug*'s provider."""
    return "HELHED_SSO_SECRET_" + slug.upper().replace("-", "_")


def parse_sso(raw: Any, problem: Callable[[str, str], None]) -> dict[str, Any] | None:
    """The ``[sso]`` table as stored in the municipality's settings, or None without one."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problem("sso", "must be a table")
        return None
    for key in sorted(set(raw) - set(DEFAULTS)):
        problem(f"sso.{key}", "unknown key")
    values = {key: raw.get(key, default) for key, default in DEFAULTS.items()}
    for key in REQUIRED:
        if raw.get(key) is None:
            problem(f"sso.{key}", "missing")
    issuer = values["issuer"]
    if issuer is not None:
        parts = urlsplit(issuer) if isinstance(issuer, str) else None
        if parts is None or parts.scheme not in ("https", "http") or not parts.netloc:
            problem("sso.issuer", f"{issuer!r} is not an https:// URL of an OpenID provider")
        elif parts.query or parts.fragment:
            problem("sso.issuer", "an issuer has no query or fragment")
    for key in ("client_id", "email_claim", "name_claim"):
        value = values[key]
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problem(f"sso.{key}", "must be a non-empty string")
    for key in ("scopes", "mfa_amr", "mfa_acr"):
        value = values[key]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            problem(f"sso.{key}", "must be a list of non-empty strings")
    if isinstance(values["scopes"], list) and "openid" not in values["scopes"]:
        problem("sso.scopes", "must include 'openid'")
    role = values["default_role"]
    if role is not None and role not in MEMBERSHIP_ROLES:
        problem(
            "sso.default_role",
            f"{role!r} is not a role; use one of: {', '.join(MEMBERSHIP_ROLES)}, or leave it "
            "out to refuse people who have no access yet",
        )
    if type(values["password_login"]) is not bool:
        problem("sso.password_login", "must be true or false")
    # Stored without the defaults' None, so that an export writes back what a file holds.
    return {key: value for key, value in values.items() if value is not None}


def sso_of(settings: dict[str, Any]) -> SsoSettings | None:
    """The municipality's single sign-on from its stored settings, or None."""
    raw = settings.get("sso")
    if not raw:
        return None
    values = {**DEFAULTS, **raw}
    return SsoSettings(
        issuer=values["issuer"],
        client_id=values["client_id"],
        scopes=tuple(values["scopes"]),
        email_claim=values["email_claim"],
        name_claim=values["name_claim"],
        default_role=values["default_role"],
        password_login=values["password_login"],
        mfa_amr=tuple(values["mfa_amr"]),
        mfa_acr=tuple(values["mfa_acr"]),
    )


def with_sso() -> list[Municipality]:
    """The municipalities whose staff sign in through their own provider, by name."""
    municipalities = db.session.scalars(select(Municipality).order_by(Municipality.name_da))
    return [m for m in municipalities if sso_of(m.settings) is not None]
