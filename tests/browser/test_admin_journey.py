"""An administrator changes the municipality's settings, its local forms and its people,
in Chromium, and sees each change afterwards."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest

from tests.browser.journeys import add_member, enrol, unique, wave_section
from tests.support.browser import assert_accessible, live_app, log_in, screenshot

pytestmark = pytest.mark.browser

SLUG = "jammerbugt"
RETENTION = "Måneder efter en families afslutning"
LOCAL_FORM_TITLE = "Beskæftigelsesindikatorer (Jammerbugt)"
#: The settings page names a local form by its title, as the family page does.
LOCAL_FORM = LOCAL_FORM_TITLE


@pytest.fixture
def settings_restored(live_server) -> Iterator[None]:
    """Put the municipality's settings back afterwards, whatever the journey changed."""
    from sqlalchemy import select

    from app.core.db import db
    from app.tenancy.models import Municipality

    app = live_app["app"]
    with app.app_context():
        municipality = db.session.scalar(select(Municipality).filter_by(slug=SLUG))
        before = (municipality.team_model, dict(municipality.settings))
        db.session.rollback()
    yield
    with app.app_context():
        municipality = db.session.scalar(select(Municipality).filter_by(slug=SLUG))
        municipality.team_model, municipality.settings = before
        db.session.commit()


def save_settings(page) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Gem indstillinger").click()
    # The first message; one more per setting changed says what it does to enrolled families.
    expect(page.get_by_role("status").first).to_have_text("Indstillingerne er gemt.")


def test_an_admin_changes_settings_local_forms_and_roles(page, settings_restored) -> None:
    from playwright.sync_api import expect

    log_in(page, f"admin@{SLUG}.example")
    expect(page.get_by_role("heading", level=1)).to_have_text("Familien på vej")
    assert_accessible(page, "admin home")

    # A family to see the local form on.
    family_url = enrol(page, SLUG, unique("Familien Admin"))
    add_member(page, family_url, "adult", "Anders Admin")
    page.goto(family_url)
    intake = wave_section(page, "Indskrivning")
    expect(intake).to_contain_text(LOCAL_FORM_TITLE)
    assert_accessible(page, "family page")

    # A setting and a local form, changed on the settings page.
    page.goto(f"/{SLUG}/")
    page.get_by_role("link", name="Indstillinger").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Indstillinger for Jammerbugt Kommune"
    )
    assert_accessible(page, "settings")
    screenshot(page, "admin-settings")
    retention = page.get_by_label(RETENTION)
    old = int(retention.input_value())
    new = str(old + 1 if old < 600 else old - 1)
    retention.fill(new)
    expect(page.get_by_label(LOCAL_FORM)).to_be_checked()
    page.get_by_label(LOCAL_FORM).uncheck()
    save_settings(page)
    expect(page.get_by_label(RETENTION)).to_have_value(new)
    expect(page.get_by_label(LOCAL_FORM)).not_to_be_checked()
    assert_accessible(page, "settings, saved")
    page.goto(family_url)
    expect(wave_section(page, "Indskrivning")).not_to_contain_text(LOCAL_FORM_TITLE)

    page.goto(f"/{SLUG}/admin/settings")
    page.get_by_label(LOCAL_FORM).check()
    save_settings(page)
    expect(page.get_by_label(LOCAL_FORM)).to_be_checked()
    page.goto(family_url)
    expect(wave_section(page, "Indskrivning")).to_contain_text(LOCAL_FORM_TITLE)

    # A new person, then a change of their role.
    page.goto(f"/{SLUG}/admin/settings")
    page.get_by_role("link", name="Personer og roller").click()
    assert_accessible(page, "people and roles")
    page.get_by_role("link", name="Giv en person adgang").click()
    assert_accessible(page, "give a person access")
    person = unique("Nanna Ny")
    page.get_by_label("E-mail").fill(f"ny-{uuid.uuid4().hex[:8]}@{SLUG}.example")
    page.get_by_role("textbox", name="Navn", exact=True).fill(person)
    page.get_by_role("combobox", name="Rolle", exact=True).select_option(label="medarbejder")
    page.get_by_role("button", name="Giv adgang").click()
    expect(page.get_by_text("Kontoen er oprettet.")).to_be_visible()
    assert_accessible(page, "account created")
    row = page.get_by_role("row", name=re.compile(re.escape(person)))
    expect(row).to_contain_text("medarbejder")

    row.get_by_role("link", name=person).click()
    assert_accessible(page, "person")
    page.get_by_role("link", name="Ret rolle og afdeling").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Ret {person}")
    assert_accessible(page, "change a person")
    page.get_by_role("combobox", name="Rolle", exact=True).select_option(label="leder")
    page.get_by_role("button", name="Gem", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Ændringerne er gemt.")
    facts = page.locator("dl.facts")
    expect(
        facts.locator("dt", has_text="Rolle").locator("xpath=following-sibling::dd[1]")
    ).to_have_text("leder")
    page.get_by_role("link", name="Tilbage til personer og roller").click()
    expect(page.get_by_role("row", name=re.compile(re.escape(person)))).to_contain_text("leder")
