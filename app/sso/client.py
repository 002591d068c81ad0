"""The OpenID Connect authorization code flow against one municipality's provider.

Authlib does the protocol: its requests client builds the authorization URL (with PKCE)
and exchanges the code for tokens; joserfc, Authlib's JOSE library, checks the ID token's
signature against the provider's published keys. What the ID token must say is checked
here, each against what Helhed itself knows, never against what the provider's metadata
claims: ``iss`` equals the issuer in the municipality's file (so a token of another
provider, or of a provider posing under another address, is refused), ``aud`` names this
municipality's client, ``exp`` has not passed and ``nonce`` is the one this browser's
attempt sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.tenancy.sso_settings import SsoSettings

#: Seconds to wait for the provider: a sign-in page should fail soon, not hang.
TIMEOUT = 10
#: How long a provider's metadata is reused before it is read again.
METADATA_SECONDS = 600
#: Clock difference allowed between Helhed and the provider, in seconds.
LEEWAY = 60
#: Signature algorithms accepted; never "none", never a symmetric one keyed by the secret.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")


class ProviderUnavailable(Exception):
    """The provider could not be reached, or answered with something that is not OpenID."""


class TokenRefused(Exception):
    """What came back is not a valid sign-in; the message is the reason, for the audit."""


@dataclass(frozen=True)
class Attempt:
    """What the browser's session keeps between leaving for the provider and coming back."""

    state: str
    nonce: str
    code_verifier: str


_metadata: dict[str, tuple[float, dict[str, Any]]] = {}


def metadata(issuer: str) -> dict[str, Any]:
    """The provider's discovery document (OpenID Connect Discovery 1.0), cached a while."""
    cached = _metadata.get(issuer)
    if cached and time.monotonic() - cached[0] < METADATA_SECONDS:
        return cached[1]
    document = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(key), str):
            raise ProviderUnavailable(f"the discovery document has no {key}")
    _metadata[issuer] = (time.monotonic(), document)
    return document


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"{url}: {type(exc).__name__}") from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{url}: not a JSON object")
    return document


def _session(settings: SsoSettings, secret: str, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=settings.client_id,
        client_secret=secret,
        scope=" ".join(settings.scopes),
        redirect_uri=redirect_uri,
        token_endpoint_auth_method="client_secret_basic",
        code_challenge_method="S256",
    )


def authorization_url(
    settings: SsoSettings, secret: str, redirect_uri: str, attempt: Attempt
) -> str:
    endpoint = metadata(settings.issuer)["authorization_endpoint"]
    with _session(settings, secret, redirect_uri) as session:
        url, _state = session.create_authorization_url(
            endpoint,
            state=attempt.state,
            nonce=attempt.nonce,
            code_verifier=attempt.code_verifier,
        )
    return str(url)


def exchange(
    settings: SsoSettings, secret: str, redirect_uri: str, attempt: Attempt, code: str
) -> tuple[dict[str, Any], str]:
    """Trade the code for tokens; return the ID token's checked claims and the token itself."""
    document = metadata(settings.issuer)
    with _session(settings, secret, redirect_uri) as session:
        try:
            token = session.fetch_token(
                document["token_endpoint"],
                code=code,
                code_verifier=attempt.code_verifier,
                timeout=TIMEOUT,
            )
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"token endpoint: {type(exc).__name__}") from exc
        except AuthlibBaseError as exc:
            # The provider refused the code: used already, expired, or not this client's.
            raise TokenRefused(f"token endpoint refused the code: {exc.error}") from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise TokenRefused("no ID token in the token response")
    return check_id_token(settings, id_token, attempt.nonce), id_token


def check_id_token(settings: SsoSettings, id_token: str, nonce: str) -> dict[str, Any]:
    keys = _get_json(metadata(settings.issuer)["jwks_uri"])
    try:
        key_set = KeySet.import_key_set(keys)  # type: ignore[arg-type]
        decoded = jwt.decode(id_token, key_set, algorithms=list(ALGORITHMS))
    except (JoseError, ValueError, TypeError) as exc:
        raise TokenRefused(f"ID token signature: {type(exc).__name__}") from exc
    claims = dict(decoded.claims)
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY,
        iss={"essential": True, "value": settings.issuer},
        aud={"essential": True, "value": settings.client_id},
        exp={"essential": True},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise TokenRefused(f"ID token claims: {exc}") from exc
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise TokenRefused("ID token claims: sub is not a string")
    return claims


def asserted_mfa(settings: SsoSettings, claims: dict[str, Any]) -> bool:
    """Whether the provider says it did multi-factor sign-in, in the municipality's terms."""
    amr = claims.get("amr")
    values = set(amr) if isinstance(amr, list) else set()
    if values & set(settings.mfa_amr):
        return True
    return isinstance(claims.get("acr"), str) and claims["acr"] in settings.mfa_acr


def end_session_url(issuer: str, id_token: str, post_logout_redirect_uri: str) -> str | None:
    """Where the browser ends its session at the provider too (RP-initiated logout 1.0)."""
    endpoint = metadata(issuer).get("end_session_endpoint")
    if not isinstance(endpoint, str):
        return None
    request = requests.Request(
        "GET",
        endpoint,
        params={"id_token_hint": id_token, "post_logout_redirect_uri": post_logout_redirect_uri},
    ).prepare()
    return str(request.url)
