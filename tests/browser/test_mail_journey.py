"""A forgotten password by mail, in Danish, in Chromium: the link read from a real SMTP
server, a new password, signed in; and the daily e-mail turned off on the account page."""

from __future__ import annotations

import re
import uuid

import pytest

from app.auth.services import create_user, grant_membership
from app.core.db import db
from app.tenancy.models import Municipality
from tests.support.browser import DEMO_PASSWORD, assert_accessible, live_app
from tests.support.smtp import text_of

pytestmark = pytest.mark.browser

NEW_PASSWORD = "grøn kajak ved fjorden"


def _new_staff_member() -> str:
    """An account of this journey's own, so the demo logins keep their password."""
    email = f"glemsom-{uuid.uuid4().hex[:8]}@vejle.example"
    app = live_app["app"]
    with app.app_context():
        vejle = db.session.query(Municipality).filter_by(slug="vejle").one()
        user = create_user(email, "Glemsom Medarbejder", DEMO_PASSWORD)
        grant_membership(user, vejle, "staff")
        db.session.commit()
    return email


def test_forgotten_password_by_mail_then_signed_in(page, live_smtp) -> None:
    from playwright.sync_api import expect

    email = _new_staff_member()
    page.goto("/login")
    page.get_by_role("link", name="Glemt adgangskode?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Glemt adgangskode?")
    assert_accessible(page, "forgot password")
    page.get_by_label("E-mail").fill(email)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Se din e-mail")
    assert_accessible(page, "check your e-mail")

    (message,) = live_smtp.wait_for(1)
    assert str(message["To"]) == email
    link = re.search(r"http\S+/password/new/\S+", text_of(message)).group(0)
    path = "/password/" + link.split("/password/", 1)[1]
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Vælg din adgangskode")
    assert_accessible(page, "choose a new password")
    page.get_by_label("Ny adgangskode").fill("kort")
    page.get_by_label("Gentag den nye adgangskode").fill("kort")
    page.get_by_role("button", name="Gem adgangskode").click()
    expect(page.locator(".field-error").first).to_contain_text("mindst 12 tegn")
    assert_accessible(page, "a refused new password")
    page.get_by_label("Ny adgangskode").fill(NEW_PASSWORD)
    page.get_by_label("Gentag den nye adgangskode").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Gem adgangskode").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("Din adgangskode er gemt.")).to_be_visible()

    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page).to_have_url(re.compile(r"/vejle/$"))

    # The link worked once.
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Linket kan ikke bruges")
    expect(page.get_by_text("allerede brugt")).to_be_visible()
    assert_accessible(page, "a used link")

    # The daily e-mail, off by keyboard on the account page.
    page.goto("/account")
    box = page.get_by_label("Send mig en daglig e-mail med antallet af skemaer")
    expect(box).to_be_checked()
    assert_accessible(page, "account with reminders")
    box.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Gem valg af påmindelser").click()
    expect(page.get_by_text("Du får ikke længere den daglige e-mail")).to_be_visible()
    expect(
        page.get_by_label("Send mig en daglig e-mail med antallet af skemaer")
    ).not_to_be_checked()
