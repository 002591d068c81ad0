"""Each of the five seed municipalities, under its own team model, in Chromium.

A lead enrols a family, sets up its coordinator / team / entry caseworker, fills the intake
for the family, each adult and each child, records the 6-month follow-up, and updates the
joint plan.
"""

from __future__ import annotations

import re
import tomllib

import pytest

from app.config import PROJECT_ROOT
from tests.browser.journeys import answer_everything
from tests.support.browser import assert_accessible, log_in

pytestmark = pytest.mark.browser

MUNICIPALITIES = {
    "brondby": ("Brøndby Kommune", "Vælg familiekoordinatoren"),
    "jammerbugt": ("Jammerbugt Kommune", "Tilføj til familiens team"),
    "vejle": ("Vejle Kommune", "Vælg indgangsrådgiveren"),
    "assens": ("Assens Kommune", "Tilføj til familiens team"),
    "rodovre": ("Rødovre Kommune", "Vælg indgangsrådgiveren"),
}


def _file(slug: str) -> dict:
    return tomllib.loads((PROJECT_ROOT / "municipalities" / f"{slug}.toml").read_text("utf-8"))


def fill_form(page) -> None:
    """Answer every visible question like a person would, then send the form."""
    answer_everything(page)
    page.get_by_role("button", name="Indsend").click()


def submit(page, family_url: str, wave_heading: str, title: str) -> None:
    from playwright.sync_api import expect

    page.goto(family_url)
    wave = page.locator("section.wave").filter(
        has=page.get_by_role("heading", name=re.compile(wave_heading))
    )
    links = wave.get_by_role("link", name=re.compile(f"^Udfyld – {re.escape(title)}"))
    for index in range(links.count()):
        page.goto(family_url)
        wave.get_by_role("link", name=re.compile(f"^Udfyld – {re.escape(title)}")).first.click()
        if index == 0:  # the same form for each further person
            assert_accessible(page, title)
        fill_form(page)
        expect(page.get_by_role("status")).to_have_text("Skemaet er indsendt.")


@pytest.mark.parametrize("slug", list(MUNICIPALITIES))
def test_a_lead_runs_a_family_through_intake_follow_up_and_plan(page, slug) -> None:
    from playwright.sync_api import expect

    name, assign_heading = MUNICIPALITIES[slug]
    log_in(page, f"lead@{slug}.example")
    page.goto(f"/{slug}/families/new")
    page.get_by_label("Familiens navn").fill(f"Familien Fem {slug}")
    page.get_by_label("Indskrivningsdato").fill("2026-03-01")
    page.get_by_role("button", name="Indskriv").click()
    family_url = page.url.split("#")[0]
    for role, person in (("adult", "Mor"), ("adult", "Far"), ("child", "Lille")):
        page.goto(f"{family_url}/members/new?role={role}")
        page.get_by_role("textbox", name="Navn", exact=True).fill(f"{person} {slug}")
        page.get_by_role("button", name="Tilføj").click()
        expect(page.get_by_role("status")).to_contain_text("er tilføjet familien")

    # The team, by the municipality's own model.
    page.goto(f"{family_url}/team")
    expect(page.get_by_role("heading", name=assign_heading)).to_be_visible()
    assert_accessible(page, f"{slug}: the team page ({assign_heading})")
    page.get_by_role("combobox", name="Person").select_option(label=f"Medarbejder {name}")
    page.get_by_role("button", name="Gem").click()
    expect(page.get_by_role("status")).to_contain_text("er nu en del af familiens team")
    if slug == "jammerbugt":
        page.get_by_role("combobox", name="Person").select_option(
            label=f"Ekstern kontaktperson {name} (Idrætsforeningen Nord)"
        )
        page.get_by_label("Familiens valgte kontaktperson").check()
        page.get_by_role("button", name="Gem").click()
        expect(
            page.get_by_role("cell", name=f"Ekstern kontaktperson {name} kontaktperson")
        ).to_be_visible()
    expect(page.get_by_role("cell", name=f"Medarbejder {name}", exact=True)).to_be_visible()

    # Intake for the family, each adult and each child; then the 6-month follow-up.
    for title in ("Indskrivning – familien", "Indskrivning – voksen", "Indskrivning – barn"):
        submit(page, family_url, "^Indskrivning", title)
    for title in ("Opfølgning – familien", "Opfølgning – voksen", "Opfølgning – barn"):
        submit(page, family_url, "^Opfølgning efter 6 måneder", title)
    # Then whatever the wave still asks: the municipality's own local forms, if it has any.
    for wave_heading in ("^Indskrivning", "^Opfølgning efter 6 måneder"):
        submit(page, family_url, wave_heading, "")
    page.goto(family_url)
    assert_accessible(page, f"{slug}: the family page after the follow-up")
    intake = page.locator("section.wave").first
    expect(intake.get_by_role("heading")).to_contain_text("gennemført")

    # The joint plan: a goal, and its status at the 6-month follow-up.
    page.get_by_role("link", name="Åbn den fælles plan").click()
    # Each phase is named with its focus where the municipality's file gives one.
    phase = page.get_by_role("combobox", name="Fase", exact=True)
    phase.select_option(value="1")
    focus = _file(slug).get("plan_phases", [{}])[0].get("focus_da")
    expect(phase.locator("option:checked")).to_have_text(f"Fase 1: {focus}" if focus else "Fase 1")
    page.get_by_label("Livsområde").select_option("work_education")
    page.get_by_role("textbox", name="Mål", exact=True).fill("Mor starter i virksomhedspraktik")
    page.get_by_role("button", name="Tilføj målet").click()
    expect(page.get_by_role("status")).to_have_text("Målet er tilføjet planen.")
    goal_row = page.get_by_role("row", name=re.compile("Mor starter i virksomhedspraktik"))
    goal_row.get_by_label("Opfølgning").select_option(label="Opfølgning efter 6 måneder")
    goal_row.get_by_label("Status").select_option("partly")
    goal_row.get_by_role("button", name=re.compile("Registrér status")).click()
    expect(page.get_by_role("status")).to_have_text("Målets status er registreret.")
    expect(page.get_by_role("row", name=re.compile("Mor starter"))).to_contain_text(
        "Opfølgning efter 6 måneder: delvist opnået"
    )
    assert_accessible(page, f"{slug}: the joint plan")
