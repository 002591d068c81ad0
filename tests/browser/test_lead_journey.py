"""A programme lead approves a wave's data for research, in Chromium."""

from __future__ import annotations

import pytest

from tests.browser.journeys import enrol, unique
from tests.support.browser import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.browser

SLUG = "assens"


def signoff_row(page, wave: str):
    return (
        page.get_by_role("region", name="Godkendelse af runder")
        .locator("tr")
        .filter(has=page.get_by_role("cell", name=wave, exact=True))
    )


def test_a_lead_approves_the_intake_wave_for_research(page) -> None:
    from playwright.sync_api import expect

    log_in(page, f"lead@{SLUG}.example")
    assert_accessible(page, "lead home")
    screenshot(page, "lead-dashboard")
    enrol(page, SLUG, unique("Familien Leder"))  # so the municipality has an intake wave

    page.goto(f"/{SLUG}/")
    page.get_by_role("link", name="Forskning").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forskning")
    row = signoff_row(page, "Indskrivning")
    reopen = row.get_by_role("button", name="Genåbn – Indskrivning")
    if reopen.count():  # approved earlier on this database: start from not approved
        reopen.click()
        expect(page.get_by_role("status")).to_have_text("Godkendelsen er gemt.")
    expect(row.get_by_role("cell").nth(1)).to_have_text("ikke godkendt")
    assert_accessible(page, "research sign-off")

    row.get_by_role("button", name="Godkend til forskning – Indskrivning").click()
    expect(page.get_by_role("status")).to_have_text("Godkendelsen er gemt.")
    expect(row.get_by_role("cell").nth(1)).to_have_text("godkendt")
    expect(row.get_by_role("button", name="Genåbn – Indskrivning")).to_be_visible()
    # A lead signs off; granting studies access is the administrator's.
    expect(page.get_by_role("button", name="Giv adgang")).to_have_count(0)
    assert_accessible(page, "research sign-off, approved")
    screenshot(page, "research-signoff")
