"""An administrator types 0 where the range is 1 to 24, reads the Danish refusal with the
range in the summary at the top, corrects it, learns what the change does to families
already enrolled, and finds the change as a sentence in the audit log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.browser import assert_accessible, live_app, log_in, screenshot

pytestmark = pytest.mark.browser

SLUG = "jammerbugt"
INTERVAL = "Måneder mellem opfølgninger"
REFUSAL = "Skriv et helt tal fra 1 til 24."
EFFECT = (
    "Kun familier, der indskrives fra nu af, får den nye plan for opfølgninger. Familier, der "
    "allerede er indskrevet, beholder deres opfølgninger og frister."
)


@pytest.fixture
def settings_kept(live_server) -> Iterator[None]:
    """Put the municipality's settings back afterwards."""
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


def test_a_zero_is_refused_with_the_range_then_the_save_says_what_happens(
    page, settings_kept
) -> None:
    from playwright.sync_api import expect

    log_in(page, f"admin@{SLUG}.example")
    page.goto(f"/{SLUG}/admin/settings")
    interval = page.get_by_label(INTERVAL)
    old = int(interval.input_value())
    new = "3" if old != 3 else "4"
    # Before saving, the page says what a change does to families already enrolled.
    expect(page.locator("#interval_months-help")).to_contain_text(EFFECT)

    interval.fill("0")
    page.get_by_role("button", name="Gem indstillinger").click()
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("heading")).to_have_text("Ret disse felter:")
    link = summary.get_by_role("link", name=f"{INTERVAL}: {REFUSAL}")
    expect(link).to_be_visible()
    expect(page.locator("#interval_months-error")).to_have_text(REFUSAL)
    expect(page.get_by_label(INTERVAL)).to_have_value("0")
    expect(page.locator("body")).not_to_contain_text("This field is required")
    assert_accessible(page, "settings with a refused value")
    screenshot(page, "admin-settings-refused")

    link.click()
    expect(page.get_by_label(INTERVAL)).to_be_focused()
    page.get_by_label(INTERVAL).fill(new)
    page.get_by_role("button", name="Gem indstillinger").click()
    messages = page.get_by_role("status")
    expect(messages.first).to_have_text("Indstillingerne er gemt.")
    expect(page.locator(".messages")).to_contain_text(f"{INTERVAL}: {EFFECT}")
    expect(page.get_by_label(INTERVAL)).to_have_value(new)
    assert_accessible(page, "settings saved")

    page.get_by_role("link", name="Logbog").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Logbog")
    newest = page.locator("tbody tr").first
    expect(newest).to_contain_text("Indstillinger ændret.")
    expect(newest).to_contain_text(f"ændrede indstillingerne: {INTERVAL} fra {old} til {new}")
    expect(newest).not_to_contain_text("{")
    assert_accessible(page, "audit log")
