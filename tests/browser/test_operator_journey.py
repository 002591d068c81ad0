"""The operator, in Chromium and in Danish: creates a research study, adds a researcher to
it and removes them again, and resets a person's two-factor sign-in through its
confirmation page."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.auth.services import create_user
from app.core.db import db
from app.tenancy.scoping import unscoped
from tests.browser.journeys import unique
from tests.support.browser import DEMO_PASSWORD, assert_accessible, live_app, log_in, screenshot

pytestmark = pytest.mark.browser

OPERATOR = "operator@example.org"


def _person_with_an_authenticator_app() -> tuple[str, str]:
    """A person of their own (no other journey signs in as them) with an app set up."""
    name = unique("Tove Tofaktor")
    email = f"{name.split()[-1]}.tofaktor@example.test"
    with live_app["app"].app_context():
        user = create_user(email, name, DEMO_PASSWORD)
        user.totp_secret = pyotp.random_base32()
        db.session.commit()
    return name, email


def _totp_secret(email: str) -> str | None:
    with live_app["app"].app_context():
        secret = db.session.scalar(select(User.totp_secret).where(User.email == email))
        db.session.commit()
    return secret


def test_the_operator_creates_a_study_adds_and_removes_a_researcher(page) -> None:
    from playwright.sync_api import expect

    title = unique("Undersøgelse af tidlig indsats")
    log_in(page, OPERATOR)
    page.goto("/operator/")
    assert_accessible(page, "operator home")
    page.get_by_role("link", name="Forskningsundersøgelser og deres forskere").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forskningsundersøgelser")
    assert_accessible(page, "studies")

    # Without the legal basis the form says so in Danish and keeps what was written.
    page.get_by_label("Titel").fill(title)
    page.get_by_role("button", name="Opret undersøgelsen").click()
    expect(page.locator(".error-summary")).to_contain_text("Hjemmel")
    expect(page.get_by_label("Titel")).to_have_value(title)
    assert_accessible(page, "studies, with an error")
    page.get_by_label("Hjemmel").fill("Art. 6, stk. 1, litra e, og art. 9, stk. 2, litra j")
    page.get_by_role("button", name="Opret undersøgelsen").click()
    expect(page.get_by_role("status")).to_have_text(
        "Undersøgelsen er oprettet. Tilføj dens forskere."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert_accessible(page, "a study")

    choice = page.get_by_role("combobox", name="Forsker")
    choice.select_option(label="Forsker (researcher@example.org)")
    page.get_by_role("button", name="Tilføj til undersøgelsen").click()
    expect(page.get_by_role("status")).to_have_text("Forsker er forsker i undersøgelsen.")
    researchers = page.get_by_role("table", name="Forskere")
    expect(researchers).to_contain_text("researcher@example.org")
    assert_accessible(page, "a study with a researcher")

    page.get_by_role("button", name="Fjern Forsker fra undersøgelsen").click()
    expect(page.get_by_role("status")).to_have_text(
        "Forsker er ikke længere forsker i undersøgelsen."
    )
    expect(page.get_by_role("table", name="Forskere")).to_have_count(0)

    page.get_by_role("link", name="Tilbage til undersøgelserne").click()
    expect(page.get_by_role("row", name=title)).to_be_visible()
    screenshot(page, "operator-studies")


def test_the_operator_resets_a_persons_two_factor_sign_in_after_confirming(page) -> None:
    from playwright.sync_api import expect

    name, email = _person_with_an_authenticator_app()
    log_in(page, OPERATOR)
    page.goto("/operator/")
    page.get_by_role("link", name="Nulstil en persons totrinslogin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nulstil totrinslogin")
    assert_accessible(page, "two-factor reset")
    page.get_by_label("E-mailadresse").fill(email)
    page.get_by_role("button", name="Fortsæt").click()

    # The confirmation page: nothing has changed yet, and it cannot go on unconfirmed.
    expect(page.get_by_role("heading", name=f"Nulstil for {name}?")).to_be_visible()
    assert_accessible(page, "two-factor reset, confirmation")
    assert _totp_secret(email) is not None
    page.get_by_label("Jeg har sikret mig, at det virkelig er denne person").check()
    page.get_by_role("button", name="Nulstil totrinslogin").click()
    expect(page.get_by_role("status")).to_contain_text(f"Totrinslogin er nulstillet for {name}.")
    assert _totp_secret(email) is None
    with live_app["app"].app_context():
        person = db.session.scalar(select(User.id).where(User.email == email))
        with unscoped("test"):
            resets = db.session.scalars(
                select(AuditEvent.object_id).where(AuditEvent.action == "auth.two_factor_reset")
            ).all()
        db.session.commit()
    assert str(person) in resets
