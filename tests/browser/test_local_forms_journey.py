"""An administrator publishes local questions from an XLSForm and from a REDCap data
dictionary in Chromium: a file with a problem is refused with its sheet, row and column,
the corrected one is previewed and published on confirmation, the forms are switched on,
and a caseworker fills both in. Every new page is checked with axe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.journeys import (
    answer_everything,
    answer_the_window,
    enrol_with_adult,
    second_page,
    wave_section,
)
from tests.support.browser import assert_accessible, live_app, log_in
from tests.support.xlsforms import VALID, broken, xlsx

pytestmark = pytest.mark.browser

SLUG = "rodovre"
REDCAP = Path(__file__).resolve().parent.parent / "fixtures" / "redcap"
FILE_LABEL = "Fil (XLSForm .xlsx eller REDCap-datadictionary .csv)"
CONFIRM = "Jeg har gennemset forhåndsvisningen. En offentliggørelse kan ikke fortrydes."


@pytest.fixture
def settings_restored(live_server) -> Iterator[None]:
    """The municipality's local forms switched off again afterwards: other journeys here
    expect the waves they know."""
    from sqlalchemy import select

    from app.core.db import db
    from app.tenancy.models import Municipality

    app = live_app["app"]
    with app.app_context():
        municipality = db.session.scalar(select(Municipality).filter_by(slug=SLUG))
        before = dict(municipality.settings)
        db.session.rollback()
    yield
    with app.app_context():
        municipality = db.session.scalar(select(Municipality).filter_by(slug=SLUG))
        municipality.settings = before
        db.session.commit()


def _upload(page, path: Path, name: str) -> None:
    page.get_by_label(FILE_LABEL).set_input_files(str(path))
    page.get_by_label("Skemaets navn").fill(name)
    page.get_by_role("button", name="Kontrollér filen").click()


def _publish(page, title: str) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name=f"Forhåndsvisning af {title}")).to_be_visible()
    assert_accessible(page, f"the preview of {title}")
    page.get_by_role("button", name="Publicér").click()
    # Not without the confirmation: publishing cannot be undone.
    expect(page.get_by_text("Bekræft, at du har gennemset forhåndsvisningen.")).to_be_visible()
    page.get_by_label(CONFIRM).check()
    page.get_by_role("button", name="Publicér").click()
    expect(page.get_by_text(re.compile(f"{title} er offentliggjort som version 1"))).to_be_visible()
    assert_accessible(page, "the local forms, published")


def test_an_admin_publishes_local_questions_and_staff_fill_them_in(
    page, browser, live_server, tmp_path, settings_restored
) -> None:
    from playwright.sync_api import expect

    log_in(page, f"admin@{SLUG}.example")
    page.goto(f"/{SLUG}/admin/settings")
    page.get_by_role("link", name="Lokale spørgsmål fra en fil").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lokale spørgsmål fra en fil")
    assert_accessible(page, "the upload page")

    # A question named like a core variable: refused where it is, the name kept.
    bad = tmp_path / "trivsel-fejl.xlsx"
    bad.write_bytes(broken("F016"))
    _upload(page, bad, "trivsel")
    expect(page.get_by_role("heading", name="1 problem: intet blev offentliggjort")).to_be_visible()
    problem = page.get_by_role("row", name=re.compile("F016"))
    expect(problem).to_contain_text("survey")
    expect(problem).to_contain_text("kernedatasættet")
    expect(page.get_by_label("Skemaets navn")).to_have_value("trivsel")
    expect(page.get_by_role("button", name="Publicér")).to_have_count(0)
    assert_accessible(page, "an upload with problems")

    good = tmp_path / "trivsel.xlsx"
    good.write_bytes(xlsx(VALID))
    _upload(page, good, "trivsel")
    _publish(page, "Trivsel i hjemmet")

    _upload(page, REDCAP / "bad_choices.csv", "netvaerk")
    expect(page.get_by_role("row", name=re.compile("I013"))).to_contain_text("CSV")
    page.get_by_label(FILE_LABEL).set_input_files(str(REDCAP / "valid.csv"))
    page.get_by_label("Hvem skemaet handler om").select_option("family")
    page.get_by_role("button", name="Kontrollér filen").click()
    expect(page.get_by_text("de engelske tekster gentager de danske")).to_be_visible()
    _publish(page, "netvaerk")

    # Switched on in the settings, where they are offered now.
    page.get_by_role("link", name="Slå lokale skemaer til eller fra under indstillinger").click()
    page.get_by_label("Trivsel i hjemmet").check()
    page.get_by_label("netvaerk").check()
    page.get_by_role("button", name="Gem indstillinger").click()
    expect(page.get_by_role("status").first).to_have_text("Indstillingerne er gemt.")

    with second_page(browser, live_server) as staff:
        log_in(staff, f"staff@{SLUG}.example")
        family_url = enrol_with_adult(staff, SLUG)
        staff.get_by_role("link", name=re.compile(r"^Udfyld – Trivsel i hjemmet")).first.click()
        expect(staff.get_by_role("heading", level=1)).to_have_text("Trivsel i hjemmet")
        note = staff.get_by_role("textbox", name="Om haven")
        expect(note).to_be_hidden()
        staff.locator("#trivsel_garden").get_by_label("Ja").check()
        expect(note).to_be_visible()  # relevant: ${trivsel_garden} = 'yes'
        answer_everything(staff)
        assert_accessible(staff, "the local form from the XLSForm")
        staff.get_by_role("button", name="Indsend").click()
        expect(staff.get_by_role("status")).to_have_text("Skemaet er indsendt.")

        staff.goto(family_url)
        staff.get_by_role("link", name=re.compile(r"^Udfyld – netvaerk")).first.click()
        answer_everything(staff)
        answer_the_window(staff)
        staff.get_by_role("button", name="Indsend").click()
        expect(staff.get_by_role("status")).to_have_text("Skemaet er indsendt.")
        intake = wave_section(staff, "Indskrivning")
        for title in ("Trivsel i hjemmet", "netvaerk"):
            expect(intake.get_by_role("row", name=re.compile(title))).to_contain_text("Indsendt")
