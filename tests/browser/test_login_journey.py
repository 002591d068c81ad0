"""Logging in with a real browser, by keyboard, and landing on the municipality's home page."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_staff_logs_in_and_sees_the_home_page(page) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("html")).to_have_attribute("lang", "da")
    page.get_by_label("E-mail").fill("staff@brondby.example")
    page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/brondby/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Familier i forandring")
    expect(page.get_by_role("navigation")).to_contain_text("Brøndby Kommune")
    expect(page.get_by_role("button", name="Log ud")).to_be_visible()


def test_skip_link_is_the_first_tab_stop(page) -> None:
    from playwright.sync_api import expect

    page.goto("/login")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Spring til indhold")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))


def test_wrong_password_shows_an_error_and_keeps_the_email(page) -> None:
    from playwright.sync_api import expect

    page.goto("/login")
    page.get_by_label("E-mail").fill("staff@vejle.example")
    page.get_by_label("Adgangskode").fill("not the password")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("alert")).to_have_text("E-mailen eller adgangskoden er forkert.")
    expect(page.get_by_label("E-mail")).to_have_value("staff@vejle.example")


def test_language_switch_to_english_and_back(page) -> None:
    from playwright.sync_api import expect

    page.goto("/login")
    page.get_by_label("E-mail").fill("lead@vejle.example")
    page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page).to_have_url(re.compile(r"/vejle/$"))
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("Team model")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/vejle/$"))
    page.get_by_role("button", name="Dansk").click()
    expect(page.locator("html")).to_have_attribute("lang", "da")
