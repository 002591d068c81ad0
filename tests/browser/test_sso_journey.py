"""Single sign-on in Chromium: the municipality's button, the OpenID provider's own login
page, back into Helhed, and out again through the provider's sign-out."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from app.core.db import db
from app.tenancy.models import Municipality
from app.tenancy.sso_settings import secret_variable
from tests.support.browser import assert_accessible, live_app
from tests.support.oidc import client_for, start_provider

pytestmark = pytest.mark.browser

SLUG = "rodovre"


@pytest.fixture
def rodovre_signs_in_through_its_provider(live_server: str) -> Iterator[None]:
    """Rødovre with single sign-on for this journey only; the other journeys see none."""
    provider = start_provider([client_for(SLUG, base=live_server)])
    app = live_app["app"]
    public_base_url = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = live_server
    app.config["SSO_CLIENT_SECRETS"][secret_variable(SLUG)] = provider.clients[f"helhed-{SLUG}"]
    with app.app_context():
        municipality = db.session.scalar(db.select(Municipality).filter_by(slug=SLUG))
        before = dict(municipality.settings)
        municipality.settings = {
            **before,
            "sso": {
                "issuer": provider.issuer,
                "client_id": f"helhed-{SLUG}",
                "default_role": "staff",
            },
        }
        db.session.commit()
    try:
        yield
    finally:
        with app.app_context():
            municipality = db.session.scalar(db.select(Municipality).filter_by(slug=SLUG))
            municipality.settings = before
            db.session.commit()
        app.config["SSO_CLIENT_SECRETS"].pop(secret_variable(SLUG), None)
        app.config["PUBLIC_BASE_URL"] = public_base_url
        provider.stop()


def test_a_caseworker_signs_in_at_the_municipality_s_provider_and_out_again(
    page, rodovre_signs_in_through_its_provider
) -> None:
    from playwright.sync_api import expect

    page.goto("/login")
    button = page.get_by_role("link", name="Log ind med Rødovre Kommune")
    expect(button).to_be_visible()
    assert_accessible(page, "the sign-in page with a municipality's button")
    button.click()

    # The provider's own development login page: any password, the login is the account.
    page.locator("input[name=login]").fill("anne")
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()

    # Anne's directory asserted a second factor: no code step, straight to her municipality.
    expect(page).to_have_url(re.compile(rf"/{SLUG}/$"))
    expect(page.get_by_role("navigation")).to_contain_text("Rødovre Kommune")
    assert_accessible(page, "the home page after single sign-on")

    page.get_by_role("button", name="Log ud").click()
    # The provider asks whether to end its session too; yes, and back to Helhed.
    page.locator("button[autofocus], button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/login$"))
    assert_accessible(page, "the sign-in page after signing out")
    page.goto(f"/{SLUG}/")
    expect(page).to_have_url(re.compile(r"/login"))
