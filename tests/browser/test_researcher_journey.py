"""A researcher, signed in with two-factor, downloads a study's data package and its
comparison report in Chromium, switching to English part-way and back.

Studies are created by an operator on the command line; the fixture does the same through
the service layer. The municipality's administrator grants the study access in the browser.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Iterator

import pytest

from tests.support.browser import assert_accessible, live_app, log_in, screenshot

pytestmark = pytest.mark.browser

SLUG = "rodovre"
RESEARCHER = "researcher@example.org"


def _set_language(email: str, language: str | None) -> None:
    from app.auth.models import User
    from app.auth.services import find_user
    from app.core.db import db

    with live_app["app"].app_context():
        user: User | None = find_user(email)
        assert user is not None
        user.language = language
        db.session.commit()


@pytest.fixture
def study(live_server) -> Iterator[str]:
    """A study with the demo researcher on it; its title."""
    from app.auth.services import find_user
    from app.core.db import db
    from app.research.services import add_researcher, create_study

    title = f"Browserstudie {uuid.uuid4().hex[:6]}"
    with live_app["app"].app_context():
        created = create_study(
            title, "Effekter af helhedsorienteret indsats", "Databeskyttelsesloven § 10"
        )
        researcher = find_user(RESEARCHER)
        assert researcher is not None
        add_researcher(created, researcher)
        db.session.commit()
    _set_language(RESEARCHER, "da")
    yield title
    _set_language(RESEARCHER, "da")


def download(page, link_name: str, timeout: int = 60_000) -> bytes:
    from playwright.sync_api import expect

    link = page.get_by_role("link", name=link_name)
    expect(link).to_be_visible(timeout=timeout)
    with page.expect_download() as info:
        link.click()
    with open(info.value.path(), "rb") as handle:
        return handle.read()


def test_a_researcher_downloads_a_package_and_a_report(page, browser, study) -> None:
    from playwright.sync_api import expect

    # The municipality's administrator grants the new study access.
    log_in(page, f"admin@{SLUG}.example")
    assert_accessible(page, "administrator home")
    page.get_by_role("link", name="Forskning").click()
    section = page.get_by_role("region", name=study)
    section.get_by_role("button", name="Giv adgang").click()
    expect(page.get_by_role("status")).to_have_text("Studiet har fået adgang.")
    expect(page.get_by_role("region", name=study)).to_contain_text("Adgang givet:")
    assert_accessible(page, "research page (administrator)")
    page.get_by_role("button", name="Log ud").click()

    log_in(page, RESEARCHER)
    page.goto("/research/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dine studier")
    assert_accessible(page, "studies")
    page.get_by_role("link", name=study).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(study)
    expect(page.get_by_role("listitem").filter(has_text="Rødovre Kommune")).to_be_visible()
    assert_accessible(page, "study")
    screenshot(page, "researcher-study")

    # Part-way, in English: the package is built and fetched on English pages.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(
        page.get_by_role("heading", name="Municipalities that have granted access")
    ).to_be_visible()
    assert_accessible(page, "study (English)")
    page.get_by_role("button", name="Build a data package").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Data package")
    package = download(page, "Download the package")
    assert package[:4] == b"PK\x03\x04"
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        assert archive.testzip() is None
        assert "datapackage.json" in archive.namelist()
    expect(page.get_by_role("status")).to_have_text(re.compile("^ready"))
    assert_accessible(page, "data package (English)")
    screenshot(page, "data-package")

    page.get_by_role("button", name="Dansk").click()
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.get_by_role("heading", level=1)).to_have_text("Datapakke")
    assert_accessible(page, "data package")

    # The comparison report, and its PDF.
    page.get_by_role("link", name=study).click()
    page.get_by_role("link", name="Sammenligningsrapport").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Sammenligningsrapport: {study}")
    assert_accessible(page, "comparison report")
    screenshot(page, "report")
    page.get_by_role("button", name="PDF på dansk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("PDF-rapport")
    pdf = download(page, "Hent PDF-filen")
    assert pdf[:5] == b"%PDF-"
    assert_accessible(page, "PDF report")
