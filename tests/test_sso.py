"""Single sign-on against a real OpenID provider (oidc-provider, started by the tests).

Each test signs a person in at the provider's own login page over HTTP and hands the
address the provider sends the browser back to to Helhed, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import Membership, User
from app.core.db import db
from app.sso import client as sso_client
from app.sso.models import SsoIdentity
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope, unscoped
from app.tenancy.sso_settings import secret_variable, sso_of
from tests.support.auth import PASSWORD
from tests.support.oidc import (
    ACCOUNTS,
    HELHED,
    OpenIdProvider,
    client_for,
    sign_in_at_provider,
    start_provider,
)

SLUGS = ("assens", "brondby")


@pytest.fixture(scope="module")
def provider() -> Iterator[OpenIdProvider]:
    running = start_provider([client_for(slug) for slug in SLUGS])
    yield running
    running.stop()


@pytest.fixture(scope="module")
def impostor() -> Iterator[OpenIdProvider]:
    """Reached at 127.0.0.1, but signs its tokens as http://localhost:<port>."""
    running = start_provider([client_for(slug) for slug in SLUGS], issuer_host="localhost")
    yield running
    running.stop()


@pytest.fixture
def configure(app: Flask, municipalities: dict[str, Municipality], provider: OpenIdProvider):
    """Give a municipality single sign-on through *provider* (or another issuer)."""
    secrets = app.config["SSO_CLIENT_SECRETS"]
    before = dict(secrets)

    def configure(slug: str = "assens", **sso: Any) -> Municipality:
        municipality = municipalities[slug]
        settings = {
            "issuer": provider.issuer,
            "client_id": f"helhed-{slug}",
            **sso,
        }
        municipality.settings = {**municipality.settings, "sso": settings}
        db.session.commit()
        secrets[secret_variable(slug)] = provider.clients[f"helhed-{slug}"]
        return municipality

    yield configure
    secrets.clear()
    secrets.update(before)


def sso_sign_in(client: FlaskClient, login: str, slug: str = "assens") -> Any:
    started = client.get(f"/login/sso/{slug}")
    assert started.status_code == 302, started.text
    callback = sign_in_at_provider(started.location, login)
    return client.get(callback.removeprefix(HELHED))


def events(action: str) -> list[AuditEvent]:
    db.session.rollback()
    with unscoped("test: read the audit trail"):
        return list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def role_in(user: User, municipality: Municipality) -> str | None:
    with tenant_scope(municipality):
        return db.session.scalar(select(Membership.role).where(Membership.user_id == user.id))


def test_the_sign_in_page_has_a_button_for_each_municipality_with_single_sign_on(client, configure):
    configure("assens")
    page = client.get("/login").text
    assert "Log ind med Assens Kommune" in page
    assert "Brøndby" not in page
    client.post("/language", data={"language": "en"})
    english = client.get("/login").text
    assert "Sign in with Assens Municipality" in english


def test_a_new_person_is_provisioned_into_the_default_role(client, configure):
    assens = configure(default_role="staff")
    response = sso_sign_in(client, "anne")
    assert response.status_code == 302, response.text
    user = db.session.scalar(select(User).filter_by(email=ACCOUNTS["anne"]["email"]))
    assert user is not None and user.name == "Anne Andersen"
    assert role_in(user, assens) == "staff"
    assert client.get("/assens/").status_code == 200
    with tenant_scope(assens):
        identity = db.session.scalar(select(SsoIdentity))
    assert (identity.issuer, identity.subject, identity.user_id) == (
        assens.settings["sso"]["issuer"],
        "anne",
        user.id,
    )
    login = events("auth.login")[-1]
    assert login.details["method"] == "sso" and login.municipality_id == assens.id
    assert events("auth.sso_provisioned")[0].details == {"role": "staff"}


def test_an_existing_account_is_linked_by_e_mail_and_keeps_its_role(
    client, configure, make_user, municipalities
):
    assens = configure(default_role="staff")
    user = make_user(assens, "lead", email=ACCOUNTS["bo"]["email"])
    assert sso_sign_in(client, "bo").status_code == 302
    assert role_in(user, assens) == "lead", "the provider never grants a role"
    assert len(events("auth.sso_linked")) == 1
    # Next time the subject finds the person, whatever their address has become.
    user.email = "bo.new@kommune.example"
    db.session.commit()
    client.post("/logout")
    assert sso_sign_in(client, "bo").status_code == 302
    assert len(events("auth.sso_linked")) == 1
    assert events("auth.login")[-1].actor_id == user.id


def test_a_person_without_access_is_refused_when_there_is_no_default_role(client, configure):
    assens = configure()
    response = sso_sign_in(client, "anne")
    assert response.status_code == 403
    assert "Du har endnu ikke adgang til Helhed i Assens Kommune" in response.text
    assert db.session.scalar(select(User).filter_by(email=ACCOUNTS["anne"]["email"])) is None
    refused = events("auth.sso_refused")
    assert [(e.details["reason"], e.municipality_id) for e in refused] == [("no_access", assens.id)]
    assert client.get("/assens/").status_code == 302


def test_a_provider_that_asserts_mfa_spares_the_code_step(client, configure, make_user):
    assens = configure()
    make_user(assens, "admin", email=ACCOUNTS["anne"]["email"], two_factor=True)
    response = sso_sign_in(client, "anne")
    assert response.status_code == 302 and "/login/" not in response.location
    assert events("auth.login")[-1].details["two_factor"] is True


@pytest.mark.parametrize(("has_app", "step"), [(True, "/login/code"), (False, "/login/setup")])
def test_without_mfa_from_the_provider_the_role_s_second_factor_is_asked(
    client, configure, make_user, has_app, step
):
    assens = configure()
    make_user(assens, "admin", email=ACCOUNTS["bo"]["email"], two_factor=has_app)
    response = sso_sign_in(client, "bo")
    assert response.status_code == 302 and response.location.endswith(step)
    assert not events("auth.login")
    assert client.get("/assens/").status_code == 302


def test_acr_values_can_count_as_mfa_too(configure):
    assens = configure(mfa_amr=[], mfa_acr=["urn:kommune:loa:substantial"])
    parsed = sso_of(assens.settings)
    assert sso_client.asserted_mfa(parsed, {"acr": "urn:kommune:loa:substantial"})
    assert not sso_client.asserted_mfa(parsed, {"amr": ["mfa"], "acr": "low"})


def test_logout_ends_the_session_and_the_provider_s(client, configure, make_user, provider):
    assens = configure()
    make_user(assens, "staff", email=ACCOUNTS["bo"]["email"])
    assert sso_sign_in(client, "bo").status_code == 302
    out = client.post("/logout")
    assert out.status_code == 302 and out.location.endswith("/logout/provider")
    onward = client.get("/logout/provider")
    assert onward.status_code == 200
    url = unescape(re.search(r'content="0; url=([^"]+)"', onward.text).group(1))
    target = urlsplit(url)
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider.issuer}/session/end"
    query = parse_qs(target.query)
    assert query["post_logout_redirect_uri"] == [f"{HELHED}/login"]
    assert query["id_token_hint"][0].count(".") == 2
    assert client.get("/assens/").status_code == 302
    # The provider accepts the hint: it asks to confirm its own sign-out.
    assert requests.get(url, timeout=10).status_code == 200
    # Signed out once, the next visit goes to Helhed's own page, not the provider's.
    assert client.get("/logout/provider").location.endswith("/login")


def test_a_token_from_another_issuer_is_refused(client, configure, make_user, impostor):
    # Configured with the address the impostor is reached at; it signs as another issuer.
    assens = configure(issuer=impostor.address)
    make_user(assens, "staff", email=ACCOUNTS["bo"]["email"])
    response = sso_sign_in(client, "bo")
    assert response.status_code == 403
    assert "ikke logget ind" in response.text
    refused = events("auth.sso_refused")[-1]
    assert refused.details["reason"] == "token" and "iss" in refused.details["check"]
    assert not events("auth.login")
    assert client.get("/assens/").status_code == 302


def test_a_replayed_state_is_refused(client, configure, make_user, app):
    assens = configure()
    make_user(assens, "staff", email=ACCOUNTS["bo"]["email"])
    started = client.get("/login/sso/assens")
    callback = sign_in_at_provider(started.location, "bo").removeprefix(HELHED)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert client.get(callback).status_code == 302
    # The same answer again in the same browser: its state was used up.
    again = client.get(callback)
    assert again.status_code == 400
    assert "Prøv igen fra log ind-siden" in again.text
    # With a copy of the cookie from before: the provider's code is used up too.
    other = app.test_client()
    other.set_cookie(cookie.key, cookie.value, domain=cookie.domain or "localhost")
    assert other.get(callback).status_code == 403
    assert [e.details["reason"] for e in events("auth.sso_refused")] == ["state", "token"]
    # And a made-up state is no better.
    assert client.get("/login/sso/assens/callback?state=x&code=y").status_code == 400


def test_one_municipality_s_provider_never_opens_another_s_data(
    client, configure, make_user, municipalities
):
    configure("assens", default_role="staff")
    make_user(municipalities["brondby"], "staff", email=ACCOUNTS["bo"]["email"])
    response = sso_sign_in(client, "bo")
    assert response.status_code == 403
    assert events("auth.sso_refused")[-1].details["reason"] == "other_municipalities"
    assert client.get("/brondby/").status_code == 302
    # Nor does it sign in a platform account, which reaches every municipality's studies.
    make_user(platform_role="operator", email=ACCOUNTS["anne"]["email"])
    assert sso_sign_in(client, "anne").status_code == 403
    assert events("auth.sso_refused")[-1].details["reason"] == "platform_account"


def test_a_municipality_without_single_sign_on_has_no_such_pages(client, configure):
    configure("assens")
    assert client.get("/login/sso/brondby").status_code == 404
    assert client.get("/login/sso/brondby/callback?state=x&code=y").status_code == 404
    assert client.get("/login/sso/nowhere").status_code == 404


def test_password_sign_in_can_be_switched_off(client, configure, make_user, auth):
    assens = configure(password_login=False)
    staff = make_user(assens, "staff")
    response = client.post("/login", data={"email": staff.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "brug knappen" in response.text and "Log ind med Assens Kommune" in response.text
    assert client.get("/assens/").status_code == 302
    # A wrong password still says only that it is wrong.
    wrong = client.post("/login", data={"email": staff.email, "password": "wrong-one"})
    assert wrong.status_code == 401
    operator = make_user(platform_role="operator")
    assert auth.login(operator.email).status_code == 302


def test_an_unreachable_provider_is_a_clear_page(client, configure):
    configure(issuer="http://127.0.0.1:9")
    response = client.get("/login/sso/assens")
    assert response.status_code == 503
    assert "kan ikke få forbindelse" in response.text
