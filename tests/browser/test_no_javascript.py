"""A form without JavaScript: a conditional question is shown with its note, the server
validates and keeps the answers, the form submits, and the answers read in the language."""

from __future__ import annotations

import re

import pytest

from tests.browser.journeys import answer_the_window
from tests.support.browser import log_in

pytestmark = pytest.mark.browser


def test_a_child_intake_is_validated_and_submitted_without_javascript(page_without_js) -> None:
    from playwright.sync_api import expect

    page = page_without_js
    log_in(page, "lead@rodovre.example")
    page.goto("/rodovre/families/new")
    page.get_by_label("Familiens navn").fill("Familien Uden Script")
    page.get_by_label("Indskrivningsdato").fill("2026-03-01")
    page.get_by_role("button", name="Indskriv").click()
    page.get_by_role("link", name="Tilføj et barn").click()
    page.get_by_role("textbox", name="Navn", exact=True).fill("Sofie Uden Script")
    page.get_by_role("button", name="Tilføj").click()
    expect(page.get_by_role("cell", name="Sofie Uden Script").first).to_be_visible()
    # Dates on the page are Danish; the date inputs keep ISO values.
    expect(page.locator("dl.facts")).to_contain_text("1. marts 2026")
    page.get_by_role("link", name=re.compile(r"Udfyld – Indskrivning – barn")).click()
    fill_url = page.url

    question = page.get_by_label("Hvornår blev sagen åbnet?")
    expect(question).to_be_visible()
    expect(
        page.get_by_text("Besvares kun, hvis «Har barnet en åben børnesag?» er besvaret med Ja.")
    ).to_be_visible()

    page.get_by_label("Fødselsår").fill("2015")
    page.locator("#active_case").get_by_label("Ja").check()
    page.get_by_label("Hvor mange indsatser har barnet lige nu?").fill("2")
    page.get_by_label("Stabilt fremmøde", exact=True).check()
    page.locator("#sos_scale").get_by_label(re.compile(r"^5")).check()
    page.get_by_role("group", name=re.compile("funktionsniveau")).get_by_label(
        "C – moderate problemer"
    ).check()
    # The case is open, so its date is required: the server says so, keeping the answers.
    page.get_by_role("button", name="Indsend").click()
    expect(page.locator("#case_start_date-error")).to_contain_text("Besvar spørgsmålet.")
    expect(page.get_by_label("Fødselsår")).to_have_value("2015")

    answer_the_window(page)
    question.fill("2026-02-01")
    page.get_by_role("button", name="Indsend").click()
    expect(page.get_by_role("status")).to_have_text("Skemaet er indsendt.")
    page.get_by_role("row", name=re.compile("Indskrivning – barn")).get_by_role(
        "link", name="Læs"
    ).click()
    expect(page.get_by_text("1. februar 2026", exact=True)).to_be_visible()
    read_url = page.url

    page.get_by_role("button", name="English").click()
    try:
        page.goto(read_url)
        expect(page.get_by_text("1 February 2026", exact=True)).to_be_visible()
        page.goto(fill_url)
        expect(
            page.get_by_text(
                "Answer only if «Does the child have an open child-welfare case?» is answered Yes."
            )
        ).to_be_visible()
        expect(page.get_by_label("When was the case opened?")).to_have_value("2026-02-01")
    finally:
        # The language is remembered for the user; the demo login stays Danish for others.
        page.get_by_role("button", name="Dansk").click()
    expect(page.locator("html")).to_have_attribute("lang", "da")
