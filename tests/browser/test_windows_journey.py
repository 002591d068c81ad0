"""A caseworker opens a follow-up months before its window, is told so, submits it anyway,
is asked why, gives the reason and confirms it: the form is submitted. In Danish, with
axe on the page with the notice and on the page with the error."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.browser.journeys import answer_everything, enrol, form_link, unique
from tests.support.browser import assert_accessible, log_in

pytestmark = pytest.mark.browser


def test_a_follow_up_opened_early_says_so_and_asks_why_when_submitted(page) -> None:
    from playwright.sync_api import expect

    log_in(page, "staff@brondby.example")
    # Enrolled today: the 6-month follow-up's window opens in about five months.
    family_url = enrol(page, "brondby", unique("Familien Tidlig"), date.today().isoformat())
    page.goto(family_url)
    link = form_link(page, "Opfølgning efter 6 måneder", "Opfølgning – familien", "Familien")
    page.goto(link.get_attribute("href"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Opfølgning – familien")

    notice = page.locator("section.window-notice")
    expect(notice.get_by_role("heading", name="Før vinduet")).to_be_visible()
    expect(notice).to_contain_text("Vinduet for denne runde er")
    expect(notice).to_contain_text(re.compile(r"Det åbner om \d+ dage\."))
    assert_accessible(page, "a follow-up before its window")

    answer_everything(page, window=False)
    page.get_by_role("button", name="Indsend").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(
        "Årsag til indsendelse uden for vinduet: Vælg, hvorfor skemaet indsendes uden for vinduet."
    )
    expect(summary).to_contain_text("Bekræftelse: Bekræft, at skemaet indsendes uden for vinduet.")
    assert_accessible(page, "a follow-up before its window, submitted without a reason")
    # The summary leads to the question, which starts empty.
    summary.get_by_role("link", name=re.compile("^Årsag til indsendelse")).click()
    reason = page.get_by_label("Årsag til indsendelse uden for vinduet")
    expect(reason).to_be_focused()
    expect(reason).to_have_value("")

    reason.select_option(label="Familien flyttede mødet")
    page.get_by_label(re.compile("^Jeg bekræfter, at skemaet indsendes uden for")).check()
    page.get_by_role("button", name="Indsend").click()
    expect(page).to_have_url(re.compile(re.escape(family_url) + r"#wave-\d+$"))
    expect(page.get_by_role("status")).to_have_text("Skemaet er indsendt.")
