"""A caseworker reads a family's overview, fills the intake form after form with "save and
go to the next form", and prints the overview, in Danish in Chromium."""

from __future__ import annotations

import re

import pytest

from tests.browser.journeys import add_member, answer_everything, enrol, unique
from tests.support.browser import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.browser


def test_the_family_overview_reads_fills_and_prints(page) -> None:
    from playwright.sync_api import expect

    log_in(page, "staff@brondby.example")
    name = unique("Familien Overblik")
    # Enrolled in March: two years of waves, the 6-month follow-up's window closed.
    family_url = enrol(page, "brondby", name)
    add_member(page, family_url, "adult", "Anna Overblik")
    add_member(page, family_url, "child", "Bo Overblik")
    page.goto(family_url)
    for heading in ("Familien", "Team", "Fælles plan", "Voksne og børn", "Hvad der er sket"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("indskrev familien.")
    expect(page.locator("#timeline")).to_contain_text("føjede Bo Overblik (barn) til familien.")
    assert_accessible(page, "the family overview")
    screenshot(page, "family-overview")
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"family overview height: {height}px")  # reported, not asserted

    page.get_by_role(
        "link", name=re.compile(r"^Udfyld – Indskrivning – familien, Familien$")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Indskrivning – familien")
    answer_everything(page)
    page.get_by_role("button", name="Gem og gå til næste skema").click()
    # The family's form first, then the adults', then the children's.
    expect(page.get_by_role("heading", level=1)).to_have_text("Indskrivning – voksen")
    expect(page.locator(".lead")).to_contain_text("Anna Overblik")

    page.goto(family_url)
    intake = page.locator("section.wave").first
    expect(intake).to_contain_text("1 af 3 skemaer indsendt")
    expect(intake.get_by_role("row", name=re.compile("Indskrivning – familien"))).to_contain_text(
        "Indsendt"
    )

    page.emulate_media(media="print")
    expect(page.locator("nav.site-nav")).to_be_hidden()
    expect(page.get_by_role("button", name="Start afslutningen")).to_be_hidden()
    expect(page.get_by_role("heading", name="Hvad der er sket")).to_be_visible()
    # A folded wave prints open: its forms are on paper too.
    last = page.locator("section.wave").last
    expect(last.locator("details.wave-forms")).not_to_have_attribute("open", "")
    expect(last.get_by_role("cell", name="Opfølgning – familien")).to_be_visible()
    assert_accessible(page, "the family overview, printed")
    page.emulate_media(media="screen")
