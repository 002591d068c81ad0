"""Staff enrol a family and fill its intake and 6-month follow-up, in Chromium: a validation
error on the way, then an edit conflict with a lead who saved the same draft meanwhile."""

from __future__ import annotations

import re

import pytest

from tests.browser.journeys import (
    add_member,
    answer_everything,
    enrol,
    form_link,
    second_page,
    unique,
)
from tests.support.browser import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.browser

CONTACTS = "Hvor mange sagsbehandlere og kontaktpersoner har familien lige nu"


def test_staff_fill_intake_and_follow_up_through_an_error_and_an_edit_conflict(
    page, browser, live_server
) -> None:
    from playwright.sync_api import expect

    log_in(page, "staff@vejle.example")
    expect(page.get_by_role("heading", level=1)).to_have_text("Familien i Centrum")
    assert_accessible(page, "staff home")
    screenshot(page, "staff-dashboard")

    name = unique("Familien Konflikt")
    family_url = enrol(page, "vejle", name)
    assert_accessible(page, "family page")
    add_member(page, family_url, "adult", "Sanne Konflikt")
    expect(page.get_by_role("cell", name="Sanne Konflikt", exact=True).first).to_be_visible()
    screenshot(page, "family")

    # The intake: submitted empty first, the error summary names what is missing.
    form_link(page, "Indskrivning", "Indskrivning – familien", "Familien").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Indskrivning – familien")
    assert_accessible(page, "intake form")
    page.get_by_role("button", name="Indsend").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Besvar spørgsmålet.")
    expect(page.get_by_role("alert").first).to_be_visible()
    assert_accessible(page, "intake form with errors")
    screenshot(page, "intake-form-error")
    answer_everything(page)
    page.get_by_role("button", name="Indsend").click()
    expect(page.get_by_role("status")).to_have_text("Skemaet er indsendt.")
    intake_row = page.get_by_role("row", name=re.compile("Indskrivning – familien"))
    expect(intake_row).to_contain_text("Indsendt")

    # The 6-month follow-up: staff save a draft and keep the page open.
    form_link(page, "Opfølgning efter 6 måneder", "Opfølgning – familien", "Familien").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Opfølgning – familien")
    page.get_by_label(CONTACTS).fill("2")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.get_by_role("status")).to_have_text("Kladden er gemt.")
    assert_accessible(page, "follow-up form, draft saved")
    form_url = page.url

    with second_page(browser, live_server) as lead:
        # A lead opens the same draft, changes the same answer and saves first.
        log_in(lead, "lead@vejle.example")
        lead.goto(form_url)
        expect(lead.get_by_label(CONTACTS)).to_have_value("2")
        assert_accessible(lead, "follow-up form (lead)")
        lead.get_by_label(CONTACTS).fill("3")
        lead.get_by_role("button", name="Gem kladde").click()
        expect(lead.get_by_role("status")).to_have_text("Kladden er gemt.")

        # Staff save their different answer: the conflict page, nothing overwritten.
        page.get_by_label(CONTACTS).fill("5")
        page.get_by_role("button", name="Gem kladde").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Nogen har gemt skemaet imens")
        expect(page.get_by_role("alert")).to_contain_text(
            "Leder Vejle Kommune har gemt skemaet, efter du åbnede det."
        )
        row = page.get_by_role("row", name=re.compile(CONTACTS))
        expect(row).to_contain_text("afviger")
        expect(row.get_by_role("cell")).to_have_text(["3", "5"])
        assert_accessible(page, "edit conflict")
        screenshot(page, "edit-conflict")

        lead.reload()
        expect(lead.get_by_label(CONTACTS)).to_have_value("3")

        # Staff keep their own answer, on purpose, over the lead's.
        page.get_by_role("button", name="Gem mine svar oven i den gemte version").click()
        expect(page.get_by_role("status")).to_have_text("Kladden er gemt.")
        expect(page.get_by_label(CONTACTS)).to_have_value("5")
        lead.reload()
        expect(lead.get_by_label(CONTACTS)).to_have_value("5")

    answer_everything(page)
    page.get_by_role("button", name="Indsend").click()
    expect(page.get_by_role("status")).to_have_text("Skemaet er indsendt.")
    follow_up_row = (
        page.locator("section.wave")
        .nth(1)
        .get_by_role("row", name=re.compile("Opfølgning – familien"))
    )
    expect(follow_up_row).to_contain_text("Indsendt")
    assert_accessible(page, "family page, follow-up submitted")
    follow_up_row.get_by_role("link", name="Læs").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Opfølgning – familien")
    answer = page.locator("dl.answers dt", has_text=CONTACTS).locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(answer).to_have_text("5")
    assert_accessible(page, "follow-up submission")
