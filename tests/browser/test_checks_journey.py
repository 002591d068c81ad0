"""A caseworker meets the data-quality checks of the child intake in Chromium: an error
that must be corrected, then a warning that is confirmed once."""

from __future__ import annotations

import re

import pytest

from tests.browser.journeys import answer_the_window
from tests.support.browser import assert_accessible, log_in

pytestmark = pytest.mark.browser


def test_an_error_is_corrected_and_a_warning_confirmed(page) -> None:
    from playwright.sync_api import expect

    log_in(page, "staff@brondby.example")
    page.goto("/brondby/families/new")
    page.get_by_label("Familiens navn").fill("Familien Tjek")
    page.get_by_label("Indskrivningsdato").fill("2026-03-01")
    page.get_by_role("button", name="Indskriv").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Familien Tjek")
    page.get_by_role("link", name="Tilføj et barn").click()
    page.get_by_role("textbox", name="Navn", exact=True).fill("Ida Tjek")
    page.get_by_role("button", name="Tilføj").click()
    expect(page.get_by_role("cell", name="Ida Tjek").first).to_be_visible()
    family_url = page.url
    page.get_by_role("link", name=re.compile(r"Udfyld – Indskrivning – barn")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Indskrivning – barn")

    answer_the_window(page)
    page.get_by_label("Fødselsår").fill("2018")
    page.locator("#active_case").get_by_label("Nej").check()
    page.get_by_label("Anbringelse uden for hjemmet (§§ 46–47)").check()
    page.get_by_label("Hvor mange indsatser har barnet lige nu?").fill("1")
    page.locator("#attendance").get_by_label("Stabilt fremmøde", exact=True).check()
    page.locator("#sos_scale").get_by_label(re.compile(r"^5$")).check()
    page.locator("#functional_level").get_by_label("B – lette problemer").check()
    page.get_by_role("button", name="Indsend").click()

    # A placement without an open case cannot be true: an error, beside both fields.
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("forudsætter en åben børnesag")
    expect(page.locator("#active_case-error")).to_contain_text("anbringelse")
    expect(page.locator("#measures-error")).to_contain_text("anbringelse")
    expect(page.get_by_label("Fødselsår")).to_have_value("2018")  # the answers are kept
    assert_accessible(page, "the child intake with a check error")

    # Corrected, with a case opened after the intake: possible, so a warning to confirm.
    page.locator("#active_case").get_by_label("Ja").check()
    page.get_by_label("Hvornår blev sagen åbnet?").fill("2026-04-01")
    page.get_by_role("button", name="Indsend").click()
    expect(page.locator("#error-summary")).to_have_count(0)
    warning = page.locator("#check-case_start_after_intake")
    expect(warning).to_contain_text("ligger efter familiens indskrivning")
    expect(page.locator("#check-summary")).to_be_visible()
    assert_accessible(page, "the child intake with a check warning")

    warning.get_by_label("Jeg har set svarene igennem, og de er rigtige.").check()
    page.get_by_role("button", name="Indsend").click()
    expect(page).to_have_url(re.compile(re.escape(family_url) + r"#wave-\d+$"))
    expect(page.get_by_role("status")).to_have_text("Skemaet er indsendt.")
    row = page.get_by_role("row", name=re.compile("Indskrivning – barn"))
    expect(row).to_contain_text("Indsendt")
