"""A programme lead reads the evaluation report and fetches its PDF, in Chromium."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import assert_accessible, log_in

pytestmark = pytest.mark.browser


def test_a_lead_opens_the_report_and_downloads_the_pdf(page) -> None:
    from playwright.sync_api import expect

    log_in(page, "lead@brondby.example")
    page.get_by_role("link", name="Evalueringsrapport").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evalueringsrapport: Brøndby Kommune")
    expect(page.get_by_role("heading", name="Diskretionering")).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("Indskrevne familier")
    # Charts carry their own accessible name.
    expect(
        page.get_by_role("img", name="Voksne på offentlig forsørgelse ved start")
    ).to_be_visible()

    assert_accessible(page, "the municipality's report")
    page.get_by_role("button", name="PDF in English").click()
    expect(page).to_have_url(re.compile(r"/brondby/reports/jobs/\d+$"))
    # The job page refreshes itself until the PDF is ready (rendered in the background).
    download_link = page.get_by_role("link", name="Hent PDF-filen")
    expect(download_link).to_be_visible(timeout=60_000)
    assert_accessible(page, "the report job, finished")
    with page.expect_download() as info:
        download_link.click()
    path = info.value.path()
    with open(path, "rb") as handle:
        assert handle.read(5) == b"%PDF-"
