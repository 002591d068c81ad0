"""A programme lead approves a wave's data for research after its summary, and exits a
family after a confirmation page and reopens it, in Chromium."""

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

    row.get_by_role("link", name="Godkend til forskning – Indskrivning").click()
    # What is released, before anything is: families, complete waves, drafts, missing forms.
    expect(page.get_by_role("heading", level=1)).to_have_text("Godkend Indskrivning til forskning?")
    summary = page.locator("#release-summary")
    for term in ("Familier", "Fuldførte runder", "Kladder (kommer ikke med)"):
        expect(summary).to_contain_text(term)
    expect(summary).to_contain_text("Skemaer, der stadig mangler")
    assert_accessible(page, "research approval summary")
    screenshot(page, "research-approval-summary")
    page.get_by_role("button", name="Godkend til forskning").click()
    expect(page.get_by_role("status")).to_have_text("Godkendelsen er gemt.")
    expect(row.get_by_role("cell").nth(1)).to_have_text("godkendt")
    expect(row.get_by_role("button", name="Genåbn – Indskrivning")).to_be_visible()
    # A lead signs off; granting studies access is the administrator's.
    expect(page.get_by_role("button", name="Giv adgang")).to_have_count(0)
    assert_accessible(page, "research sign-off, approved")
    screenshot(page, "research-signoff")


def test_a_lead_exits_a_family_after_confirming_and_reopens_it(page) -> None:
    from playwright.sync_api import expect

    log_in(page, f"lead@{SLUG}.example")
    family_url = enrol(page, SLUG, unique("Familien Afslut"))
    page.get_by_role("link", name="Start afslutningen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start afslutningen?")
    page.get_by_label("Forventet afslutningsdato").fill("2026-04-01")
    page.get_by_role("button", name="Vis, hvad der sker").click()
    consequences = page.get_by_role("region", name="Det sker der")
    # The follow-ups due after the exit date and unanswered are listed by title.
    expect(consequences).to_contain_text("forventes ikke længere")
    expect(consequences).to_contain_text("12 måneder")
    assert_accessible(page, "exit confirmation")
    screenshot(page, "exit-confirmation")
    page.get_by_role("button", name="Start afslutningen den").click()
    expect(page.get_by_role("status")).to_contain_text("Afslutningen er åbnet")
    assert page.url.split("#")[0] == family_url

    page.get_by_role("link", name="Genåbn familien").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Genåbn familien?")
    assert_accessible(page, "reopen confirmation")
    page.get_by_role("button", name="Genåbn familien").click()
    # Without a reason the page says so and nothing happens.
    expect(page.locator(".field-error")).to_contain_text("Vælg, hvorfor familien genåbnes.")
    page.get_by_label("Afslutningen blev startet ved en fejl").check()
    page.get_by_role("button", name="Genåbn familien").click()
    expect(page.get_by_role("status")).to_contain_text("Familien er i forløbet igen")
    expect(page.get_by_role("link", name="Start afslutningen")).to_be_visible()
