"""The status grid in Danish: a lead moves through it with the arrow keys and opens a
wave's cell; without JavaScript its cells are links that Tab reaches and that open."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.browser.journeys import add_member, enrol, unique
from tests.support.browser import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.browser

SLUG = "assens"
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def _two_families(page) -> list[str]:
    # Names that sort first and next to each other, so both are on the first page.
    stem = unique("Aaa Gitter")
    names = [f"{stem} 1", f"{stem} 2"]
    for name in names:
        # Enrolled today: the intake is due, the follow-ups upcoming.
        url = enrol(page, SLUG, name, datetime.now(COPENHAGEN).date().isoformat())
        add_member(page, url, "adult", f"Voksen {name}")
    return names


def _focused(page) -> dict:
    return page.evaluate(
        """() => {
          const a = document.activeElement;
          const cell = a.closest('td, th');
          return {tag: a.tagName, href: a.getAttribute('href') || '',
                  row: cell ? cell.parentElement.rowIndex : -1,
                  column: cell ? cell.cellIndex : -1};
        }"""
    )


def test_a_lead_moves_through_the_grid_with_the_arrow_keys(page) -> None:
    from playwright.sync_api import expect

    log_in(page, f"lead@{SLUG}.example")
    first, second = _two_families(page)
    page.goto(f"/{SLUG}/")
    page.get_by_role("link", name="Statusoversigt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Statusoversigt")
    assert_accessible(page, "the status grid")
    screenshot(page, "status-grid")
    table = page.get_by_role("table")
    expect(table.locator("caption")).to_contain_text("familie")
    for title in ("Indskrivning", "Opfølgning efter 6 måneder", "Afslutning"):
        expect(table.get_by_role("columnheader", name=title)).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=first))
    intake = row.get_by_role("link", name=re.compile("^aktuel"))
    expect(intake).to_contain_text("skemaer mangler")
    intake.focus()
    start = _focused(page)
    page.keyboard.press("ArrowRight")
    right = _focused(page)
    assert (right["row"], right["column"]) == (start["row"], start["column"] + 1)
    assert re.search(r"#wave-\d+$", right["href"])
    page.keyboard.press("ArrowDown")
    down = _focused(page)
    assert (down["row"], down["column"]) == (start["row"] + 1, start["column"] + 1)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowUp")
    assert _focused(page) == start
    page.keyboard.press("ArrowDown")
    # The cell below the first family's intake is the second family's.
    below = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=second))
    expect(below.get_by_role("link", name=re.compile("aktuel"))).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/families/\d+#wave-\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(second)

    # The filter: only families with an overdue wave, in Danish, and the way back.
    page.goto(f"/{SLUG}/work/grid")
    page.get_by_label("Vis familier med en runde, der er").select_option(label="over fristen")
    page.get_by_role("button", name="Vis").click()
    expect(page.get_by_role("rowheader", name=first)).to_have_count(0)
    assert_accessible(page, "the status grid, filtered")


def test_the_grid_works_without_javascript(page, page_without_js) -> None:
    from playwright.sync_api import expect

    # Families of its own on the lead's team, enrolled in a browser with JavaScript: the
    # test does not lean on what another journey left behind (their order is not fixed).
    log_in(page, f"lead@{SLUG}.example")
    _two_families(page)
    page = page_without_js
    log_in(page, f"lead@{SLUG}.example")
    page.goto(f"/{SLUG}/work/grid?sort=-enrolment")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statusoversigt")
    cell = page.locator("td.grid-cell a").first
    expect(cell).to_be_visible()
    # Tab reaches the cells: they are links, whether or not the script runs.
    page.get_by_role("rowheader").first.get_by_role("link").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/families/\d+#wave-\d+$"))
    wave = page.url.rsplit("#", 1)[1]
    expect(page.locator(f"section#{wave}")).to_be_visible()
