"""A parent answers WHO-5 themselves, in Chromium: the caseworker makes a link on the adult's
form, the parent opens it in a fresh browser on a phone-sized screen without JavaScript,
answers, and the link works no more; the caseworker completes the form around the
parent's answers, and the research package says they were self-reported."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date

import pytest
from sqlalchemy import select

from app.collection.models import Submission
from app.collection.services import forms_for_wave, save_submission
from app.core.db import db
from app.families.models import Family
from app.research.services import export_package
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope
from tests.browser.journeys import answer_everything, enrol_with_adult
from tests.support.auth import UserFactory
from tests.support.browser import assert_accessible, live_app, log_in
from tests.support.checks import warning_ids
from tests.support.forms import valid_formdata
from tests.support.research import grant_and_approve, make_study

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
ANCHOR = "4 – Det meste af tiden"


def test_a_parent_answers_who5_through_a_link_on_a_phone(page, browser, live_server, tmp_path):
    from playwright.sync_api import expect

    log_in(page, "staff@brondby.example")
    family_url = enrol_with_adult(page, "brondby")
    page.get_by_role("link", name=re.compile(r"Udfyld – Indskrivning – voksen")).click()
    form_url = page.url
    offer = page.locator("section.self-report")
    expect(offer).to_contain_text("besvares bedst af forælderen selv")
    assert_accessible(page, "the adult intake with the self-report offer")
    offer.get_by_role("button", name="Lav et link til forælderen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Link til forælderen")
    address = page.get_by_label("Linket").input_value()
    expect(
        page.get_by_label("En tekst, du kan kopiere ind i en e-mail eller en sms")
    ).to_contain_text(address)
    assert_accessible(page, "the link for the parent")
    path = "/" + address.split("/", 3)[3]

    # The page as the parent will see it, checked with axe (which needs JavaScript).
    look = browser.new_context(base_url=live_server, locale="da-DK", viewport=PHONE)
    preview = look.new_page()
    preview.goto(path)
    expect(preview.get_by_role("heading", level=1)).to_have_text("Trivsel (WHO-5)")
    assert_accessible(preview, "the parent's questions on a phone")
    look.close()

    parent_context = browser.new_context(
        base_url=live_server, locale="da-DK", viewport=PHONE, java_script_enabled=False
    )
    parent_context.set_default_timeout(10_000)
    parent = parent_context.new_page()
    try:
        parent.goto(path)
        body = parent.locator("main").inner_text()
        assert "Familien Browser" not in body and "Mette Browser" not in body
        for item in range(1, 5):
            parent.locator(f"#who5_{item}").get_by_label(ANCHOR).check()
        parent.get_by_role("button", name="Send mine svar").click()
        expect(parent.locator("#error-summary")).to_contain_text("Vælg et svar.")
        expect(parent.locator("#who5_1").get_by_label(ANCHOR)).to_be_checked()
        parent.locator("#who5_5").get_by_label(ANCHOR).check()
        parent.get_by_role("button", name="Send mine svar").click()
        expect(parent.get_by_role("heading", level=1)).to_have_text("Tak for dine svar")
        parent.goto(path)
        expect(parent.get_by_role("heading", level=1)).to_have_text("Linket kan ikke bruges")
        expect(parent.get_by_text("allerede sendt")).to_be_visible()
        parent.goto("/svar/brondby/et-link-der-aldrig-fandtes")
        expect(parent.get_by_role("heading", level=1)).to_have_text("Linket kan ikke bruges")
    finally:
        parent_context.close()

    # The caseworker sees the parent's answers, and completes the form around them.
    page.goto(form_url)
    expect(page.locator("section.self-report")).to_contain_text(
        "Forælderen har selv besvaret Trivsel (WHO-5)"
    )
    expect(page.locator("input[name=who5_1]")).to_have_count(0)
    assert_accessible(page, "the adult intake with the parent's answers")
    answer_everything(page)
    page.get_by_role("button", name="Indsend").click()
    expect(page.get_by_role("status")).to_have_text("Skemaet er indsendt.")

    family_id = int(re.search(r"/families/(\d+)", family_url).group(1))
    assert "self_report" in _who5_modes(family_id, tmp_path)


def _who5_modes(family_id: int, tmp_path) -> list[str]:
    """The family's intake with consent, a study granted and approved, its package's
    ``who5_mode`` column."""
    app = live_app["app"]
    with app.app_context():
        municipalities = {m.slug: m for m in db.session.scalars(select(Municipality))}
        brondby = municipalities["brondby"]
        with tenant_scope(brondby):
            family = db.session.get(Family, family_id)
            wave = family.waves[0]
            version = next(v for v in forms_for_wave(brondby, wave) if v.form_id == "family_intake")
            raw = {**valid_formdata(version.form, date.today()), "research_consent": "true"}
            save_submission(
                brondby,
                wave,
                version,
                None,
                raw,
                submit=True,
                seen_lock_version=None,
                actor_id=None,
                today=date.today(),
                confirmed=warning_ids(version.form),
            )
            adult = db.session.scalar(
                select(Submission).where(
                    Submission.family_id == family.id, Submission.form_id == "adult_intake"
                )
            )
            assert adult.status == "submitted" and adult.answers["who5_5"] == 4
            db.session.commit()
        researcher = UserFactory()(platform_role="researcher")
        study = make_study(researcher, "Selvrapportering")
        grant_and_approve(municipalities, study, slugs=("brondby",), waves=("intake",))
        out = tmp_path / "package.zip"
        export_package(study, out, researcher)
        db.session.commit()
    with zipfile.ZipFile(out) as archive:
        rows = csv.DictReader(io.TextIOWrapper(archive.open("adults.csv"), encoding="utf-8"))
        return [row["who5_mode"] for row in rows]
