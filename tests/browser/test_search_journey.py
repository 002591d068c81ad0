"""Finding a family, in Chromium and in Danish: a lead searches by part of a member's name
and by CPR number (which never ends up in the page's address), narrows the list to whose
families and sorts it; the same search works without JavaScript."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.journeys import enrol, unique
from tests.support.browser import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.browser

SLUG = "assens"


def _fresh_cpr() -> str:
    """A CPR number no other journey on the same database uses."""
    serial = uuid.uuid4().int % 10_000
    return f"150387-{serial:04d}"


def _listed(page) -> list[str]:
    return page.locator("table tbody td:first-child a").all_inner_texts()


def _add_member_with_cpr(page, family_url: str, name: str, cpr: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{family_url}/members/new?role=adult")
    page.get_by_role("textbox", name="Navn", exact=True).fill(name)
    page.get_by_label("CPR-nummer (frivilligt)").fill(cpr)
    page.get_by_role("button", name="Tilføj").click()
    expect(page.get_by_role("status")).to_contain_text("er tilføjet familien")


def test_a_lead_finds_families_by_name_and_cpr_filters_and_sorts(page) -> None:
    from playwright.sync_api import expect

    mark = uuid.uuid4().hex[:6]
    first, second = f"Familien Aabel {mark}", f"Familien Birk {mark}"
    person, cpr = f"Søgeline Østergård {mark}", _fresh_cpr()
    log_in(page, f"lead@{SLUG}.example")
    enrol(page, SLUG, first)
    second_url = enrol(page, SLUG, second)
    _add_member_with_cpr(page, second_url, person, cpr)

    # Part of a member's name, in another case: the family is found, and the address
    # keeps the search (it can be bookmarked).
    page.goto(f"/{SLUG}/families/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Familier")
    assert_accessible(page, "families list")
    page.get_by_label("Familie, navn eller CPR-nummer").fill(f"søgeline østergård {mark}")
    page.get_by_role("button", name="Søg").click()
    expect(page.locator("table tbody")).to_contain_text(second)
    assert _listed(page) == [second]
    assert "q=" in page.url and mark in page.url
    assert_accessible(page, "families list, searched by name")
    screenshot(page, "family-search")

    # A CPR number with its dash: the family is found, the number stays in the field and
    # is in neither the page's address nor any of its links.
    page.get_by_label("Familie, navn eller CPR-nummer").fill(cpr)
    page.get_by_role("button", name="Søg").click()
    expect(page.get_by_text("Der blev søgt på det præcise CPR-nummer.")).to_be_visible()
    assert _listed(page) == [second]
    expect(page.get_by_label("Familie, navn eller CPR-nummer")).to_have_value(cpr)
    digits = cpr.replace("-", "")
    for address in [page.url, *page.locator("a[href]").evaluate_all("l => l.map(a => a.href)")]:
        assert cpr not in address and digits not in address
    assert_accessible(page, "families list, searched by CPR number")
    # Reloading the address shows the list, not the search: the number was never in it.
    page.goto(page.url)
    expect(page.get_by_label("Familie, navn eller CPR-nummer")).to_have_value("")

    # Whose families: the lead enrolled both and works with neither, so they are among
    # the unassigned and not among the lead's own; then sorted A–Å.
    page.get_by_label("Familie, navn eller CPR-nummer").fill(mark)
    page.get_by_label("Hvis familier").select_option(label="Mine familier")
    page.get_by_role("button", name="Søg").click()
    expect(page.locator("table tbody")).to_contain_text("Ingen familie passer til din søgning")
    assert "scope=mine" in page.url
    page.get_by_label("Hvis familier").select_option(label="Familier uden tilknyttet medarbejder")
    page.get_by_label("Sortér efter").select_option(label="Familie (A–Å)")
    page.get_by_role("button", name="Søg").click()
    expect(page.locator("table caption")).to_contain_text("Familier uden tilknyttet medarbejder")
    assert _listed(page) == [first, second]
    assert "scope=unassigned" in page.url and "sort=label" in page.url
    page.get_by_label("Sortér efter").select_option(label="Indskrivningsdato (nyeste først)")
    page.get_by_role("button", name="Søg").click()
    expect(page.locator("table caption")).to_contain_text("Indskrivningsdato")
    assert sorted(_listed(page)) == [first, second]
    page.get_by_label("Hvis familier").select_option(label="Alle familier, jeg kan se")
    page.get_by_role("button", name="Søg").click()
    assert sorted(_listed(page)) == [first, second]
    assert_accessible(page, "families list, filtered and sorted")


def test_the_cpr_search_works_without_javascript(page_without_js) -> None:
    from playwright.sync_api import expect

    page = page_without_js
    name, cpr = unique("Familien Uden Script Søg"), _fresh_cpr()
    log_in(page, f"lead@{SLUG}.example")
    # Without the shared enrolment step, whose accessibility check needs JavaScript.
    page.goto(f"/{SLUG}/families/new")
    page.get_by_label("Familiens navn").fill(name)
    page.get_by_label("Indskrivningsdato").fill("2026-03-01")
    page.get_by_role("button", name="Indskriv").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    family_url = page.url.split("#")[0]
    _add_member_with_cpr(page, family_url, unique("Scriptløs Person"), cpr)
    page.goto(f"/{SLUG}/families/")
    page.get_by_label("Familie, navn eller CPR-nummer").fill(cpr.replace("-", ""))
    page.get_by_role("button", name="Søg").click()
    expect(page.get_by_text("Der blev søgt på det præcise CPR-nummer.")).to_be_visible()
    assert _listed(page) == [name]
    assert cpr.replace("-", "") not in page.url
