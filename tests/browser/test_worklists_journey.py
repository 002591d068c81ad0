"""A caseworker's day in Danish, in Chromium: from the home page to the overdue list,
filtered and sorted, to recording why a wave cannot be collected (and taking it back)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.browser.journeys import enrol, unique
from tests.support.browser import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.browser

SLUG = "vejle"


def test_staff_record_why_an_overdue_wave_cannot_be_collected(page) -> None:
    from playwright.sync_api import expect

    log_in(page, f"staff@{SLUG}.example")
    name = unique("Familien Forsinket")
    # Enrolled 200 days ago: the intake window has closed with every form missing.
    enrol(page, SLUG, name, (date.today() - timedelta(days=200)).isoformat())

    page.goto(f"/{SLUG}/")
    work = page.get_by_role("region", name="Arbejdslister")
    expect(work).to_be_visible()
    work.get_by_role("link", name=re.compile(r"^Over fristen \(")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Over fristen")
    assert_accessible(page, "the overdue list")
    screenshot(page, "work-list-overdue")

    page.get_by_label("Runde").select_option(label="Indskrivning")
    page.get_by_role("button", name="Filtrér", exact=True).click()
    expect(page).to_have_url(re.compile(r"wave=intake"))
    expect(page.get_by_label("Runde")).to_have_value("intake")
    page.get_by_role("link", name="Familie", exact=True).click()
    expect(page.get_by_role("columnheader", name="Familie")).to_have_attribute(
        "aria-sort", "ascending"
    )
    page.get_by_role("link", name=re.compile(r"^Familie")).first.click()
    expect(page.get_by_role("columnheader", name=re.compile("^Familie"))).to_have_attribute(
        "aria-sort", "descending"
    )
    expect(page).to_have_url(re.compile(r"wave=intake"))  # the filter stays while sorting
    row = page.locator("tbody tr").filter(has=page.get_by_role("link", name=name, exact=True))
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(2)).to_have_text("over fristen")
    expect(row).to_contain_text("Indskrivning")
    row.get_by_role("link", name=f"Registrér hvorfor – {name}, Indskrivning").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Indskrivning for {name}")
    assert_accessible(page, "record why a wave cannot be collected")
    reason = page.get_by_role("group", name=re.compile("^Hvorfor kan runden ikke indsamles"))
    for option in reason.get_by_role("radio").all():
        expect(option).not_to_be_checked()  # nothing chosen for the caseworker
    page.get_by_role("button", name="Registrér årsagen").click()
    expect(page.get_by_role("alert")).to_contain_text("Vælg, hvorfor skemaerne ikke kan indsamles.")
    assert_accessible(page, "record why, with an error")
    page.get_by_role("radio", name="familien er fraflyttet").check()
    page.get_by_role("button", name="Registrér årsagen").click()
    expect(page.get_by_role("status")).to_contain_text("Årsagen er registreret")
    expect(page.get_by_text("familien er fraflyttet")).to_be_visible()
    assert_accessible(page, "a wave recorded as not collected")

    page.goto(f"/{SLUG}/work/overdue?wave=intake")
    expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)

    # Taken back, the wave is overdue again.
    page.go_back()
    page.get_by_role("button", name="Træk årsagen tilbage").click()
    expect(page.get_by_role("status")).to_contain_text("Årsagen er trukket tilbage")
    page.goto(f"/{SLUG}/work/overdue?wave=intake")
    expect(page.get_by_role("link", name=name, exact=True)).to_have_count(1)

    page.goto(f"/{SLUG}/work/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Arbejdslister")
    assert_accessible(page, "the work lists")
    screenshot(page, "worklists")
    for name_of_list in ("Mine familiers runder", "Aktuelle nu", "Kommende (30 dage)", "Kladder"):
        page.goto(f"/{SLUG}/work/")
        page.get_by_role("link", name=name_of_list, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(name_of_list)
        assert_accessible(page, name_of_list)
