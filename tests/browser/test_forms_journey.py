"""Staff enrol a family and fill its intake in Chromium, with and without JavaScript."""

from __future__ import annotations

import re

import pytest

from tests.browser.journeys import answer_the_window, enrol_with_adult
from tests.support.browser import assert_accessible, log_in

pytestmark = pytest.mark.browser


def test_staff_fill_the_adult_intake_with_a_conditional_question(page) -> None:
    from playwright.sync_api import expect

    log_in(page, "staff@brondby.example")
    family_url = enrol_with_adult(page, "brondby")
    page.get_by_role("link", name=re.compile(r"Udfyld – Indskrivning – voksen")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Indskrivning – voksen")

    date_question = page.get_by_label("Hvornår startede aktiviteten?")
    expect(date_question).to_be_hidden()
    # Submit with nothing filled in: the error summary takes the focus and names the fields.
    page.get_by_role("button", name="Indsend").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Fødselsår: Besvar spørgsmålet.")
    assert_accessible(page, "the adult intake with errors")

    page.get_by_label("Fødselsår").fill("1988")
    page.get_by_label("Kvinde").check()
    page.get_by_label("Hvad er den voksnes forsørgelsesgrundlag nu?").select_option(
        "kontanthjaelp_aktivitetsparat"
    )
    page.get_by_label("Hvor mange år har den voksne været tilknyttet beskæftigelsesenheden?").fill(
        "4,2"
    )
    page.get_by_role("group", name=re.compile("funktionsniveau")).get_by_label(
        "C – moderate problemer"
    ).check()
    for item in range(1, 6):
        page.locator(f"#who5_{item}").get_by_label("3 – Lidt mere end halvdelen af tiden").check()
    page.locator("#employment_activity").get_by_label("Ja").check()
    expect(date_question).to_be_visible()
    answer_the_window(page)
    date_question.fill("2026-04-01")
    page.get_by_role("button", name="Indsend").click()

    expect(page).to_have_url(re.compile(re.escape(family_url) + r"#wave-\d+$"))
    expect(page.get_by_role("status")).to_have_text("Skemaet er indsendt.")
    row = page.get_by_role("row", name=re.compile("Indskrivning – voksen"))
    expect(row).to_contain_text("Indsendt")
    row.get_by_role("link", name="Læs").click()
    expect(page.get_by_text("60", exact=False).first).to_be_visible()  # WHO-5: 5 × 3 × 4


def test_the_form_works_without_javascript(page_without_js) -> None:
    from playwright.sync_api import expect

    page = page_without_js
    log_in(page, "staff@vejle.example")
    enrol_with_adult(page, "vejle")
    page.get_by_role("link", name=re.compile(r"Udfyld – Indskrivning – voksen")).click()
    # Without JavaScript the conditional question is shown, with a note of when it applies.
    expect(page.get_by_label("Hvornår startede aktiviteten?")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"Besvares kun, hvis «Er en beskæftigelsesrettet"))
    ).to_be_visible()
    page.get_by_label("Fødselsår").fill("19x8")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.locator("#birth_year-error")).to_have_text("Skriv et helt tal.")
    expect(page.get_by_label("Fødselsår")).to_have_value("19x8")
    page.get_by_label("Fødselsår").fill("1988")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.get_by_role("status")).to_have_text("Kladden er gemt.")
    expect(page.get_by_label("Fødselsår")).to_have_value("1988")
