"""An external contact person, in Chromium: the family's joint plan, and nothing of child
welfare (no forms, no answers, no children), not even by a typed address."""

from __future__ import annotations

import re

import pytest

from tests.browser.journeys import (
    add_member,
    answer_everything,
    enrol,
    form_link,
    second_page,
    unique,
    wave_section,
)
from tests.support.browser import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.browser

SLUG = "jammerbugt"
EXTERNAL = "Ekstern kontaktperson Jammerbugt Kommune"
GOAL = "Far starter på et hold i idrætsforeningen"
#: In a children's life area: hidden from externals by default.
CHILD_GOAL = "Anbringelse af barnet undgås; familiebehandling"
#: In another area, with the box "not for external contact persons" ticked.
MARKED_GOAL = "Mor går til lægen om sin gæld og sin søvn"
DELETED_GOAL = "Et mål skrevet ved en fejl"


def test_an_external_contact_sees_the_plan_and_nothing_of_child_welfare(
    page, browser, live_server
) -> None:
    from playwright.sync_api import expect

    # A lead enrols a family with a child, makes the external its contact person, fills the
    # child's intake and writes a goal in the joint plan.
    log_in(page, f"lead@{SLUG}.example")
    name = unique("Familien Ekstern")
    child = unique("Barnet")
    family_url = enrol(page, SLUG, name)
    add_member(page, family_url, "adult", "Frank Ekstern")
    add_member(page, family_url, "child", child)
    page.goto(f"{family_url}/team")
    page.get_by_role("combobox", name="Person").select_option(
        label=f"{EXTERNAL} (Idrætsforeningen Nord)"
    )
    page.get_by_label("Familiens valgte kontaktperson").check()
    page.get_by_role("button", name="Gem").click()
    expect(page.get_by_role("status")).to_contain_text("er nu en del af familiens team")
    assert_accessible(page, "team")

    page.goto(family_url)
    assert_accessible(page, "family page (lead)")
    form_link(page, "Indskrivning", "Indskrivning – barn", child).click()
    child_form_url = page.url
    assert_accessible(page, "child intake form")
    answer_everything(page)
    page.get_by_role("button", name="Indsend").click()
    expect(page.get_by_role("status")).to_have_text("Skemaet er indsendt.")
    child_row = (
        wave_section(page, "Indskrivning")
        .locator("tr")
        .filter(has_text="Indskrivning – barn")
        .filter(has_text=child)
    )
    child_answers_url = child_row.get_by_role("link", name="Læs").get_attribute("href")
    assert child_answers_url

    page.get_by_role("link", name="Åbn den fælles plan").click()
    page.get_by_label("Livsområde").select_option("leisure")
    page.get_by_role("textbox", name="Mål", exact=True).fill(GOAL)
    page.get_by_role("button", name="Tilføj målet").click()
    expect(page.get_by_role("status")).to_have_text("Målet er tilføjet planen.")
    assert_accessible(page, "joint plan (lead)")
    screenshot(page, "joint-plan")

    # A goal about the children starts hidden from externals; another is marked so.
    page.get_by_label("Livsområde").select_option("children_school_wellbeing")
    expect(page.get_by_label("Ikke for eksterne kontaktpersoner")).to_be_checked()
    page.get_by_role("textbox", name="Mål", exact=True).fill(CHILD_GOAL)
    page.get_by_role("button", name="Tilføj målet").click()
    expect(page.get_by_role("status")).to_have_text("Målet er tilføjet planen.")
    page.get_by_label("Livsområde").select_option("health")
    expect(page.get_by_label("Ikke for eksterne kontaktpersoner")).not_to_be_checked()
    page.get_by_role("textbox", name="Mål", exact=True).fill("Mor går til lægen")
    page.get_by_label("Ikke for eksterne kontaktpersoner").check()
    page.get_by_role("button", name="Tilføj målet").click()
    expect(page.get_by_role("status")).to_have_text("Målet er tilføjet planen.")
    # The lead corrects the marked goal's words on its edit page.
    page.get_by_role("link", name="Redigér – Mor går til lægen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ret et mål")
    assert_accessible(page, "edit a goal")
    page.get_by_role("textbox", name="Mål", exact=True).fill(MARKED_GOAL)
    page.get_by_role("button", name="Gem målet").click()
    expect(page.get_by_role("status")).to_have_text("Målet er ændret. Det, der stod før, er gemt.")
    # A goal written by mistake is deleted, after a confirmation page.
    page.get_by_label("Livsområde").select_option("housing")
    page.get_by_role("textbox", name="Mål", exact=True).fill(DELETED_GOAL)
    page.get_by_role("button", name="Tilføj målet").click()
    page.get_by_role("link", name=f"Slet – {DELETED_GOAL}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Slet målet?")
    assert_accessible(page, "delete a goal")
    page.get_by_role("button", name="Slet målet").click()
    expect(page.get_by_role("status")).to_have_text(
        "Målet er slettet fra planen. Dets historik er gemt."
    )
    lead_main = page.locator("main")
    expect(lead_main).to_contain_text(CHILD_GOAL)
    expect(lead_main).to_contain_text(MARKED_GOAL)
    expect(lead_main).not_to_contain_text(DELETED_GOAL)

    with second_page(browser, live_server) as external:
        log_in(external, f"external@{SLUG}.example")
        assert_accessible(external, "external home")
        families = external.get_by_role("region", name="Dine familier")
        expect(families).to_be_visible()
        # No dashboard, no forms due, no drafts for an external.
        expect(external.get_by_role("heading", name="Skemaer, der skal udfyldes nu")).to_have_count(
            0
        )
        families.get_by_role("link", name=f"Fælles plan for {name}").click()
        expect(external.get_by_role("heading", level=1)).to_have_text(f"Fælles plan for {name}")
        main = external.locator("main")
        expect(main).to_contain_text(GOAL)
        expect(main).not_to_contain_text(CHILD_GOAL)
        expect(main).not_to_contain_text(MARKED_GOAL)
        expect(main).to_contain_text(EXTERNAL)
        expect(main).not_to_contain_text(child)
        expect(main).not_to_contain_text("Indskrivning")
        expect(external.get_by_role("button", name="Tilføj målet")).to_have_count(0)
        expect(external.get_by_role("link", name=name)).to_have_count(0)
        assert_accessible(external, "joint plan (external)")
        screenshot(external, "joint-plan-external")

        # Typed addresses: the family page, the child's form, the child's answers.
        for url in (family_url, child_form_url, child_answers_url):
            response = external.goto(url)
            assert response is not None
            assert response.status in (403, 404), f"{url}: {response.status}"
            expect(external.get_by_role("heading", level=1)).to_have_text(
                re.compile("adgang|findes ikke")
            )
            expect(external.locator("main")).not_to_contain_text(child)
        assert_accessible(external, "refused page")
        screenshot(external, "external-refused")

        # The family list leads an external to the plan, and shows no child either.
        response = external.goto(f"/{SLUG}/families/")
        assert response is not None and response.ok
        expect(external.locator("main")).not_to_contain_text(child)
        assert_accessible(external, "family list (external)")
        external.get_by_role("link", name=name, exact=True).click()
        expect(external.get_by_role("heading", level=1)).to_have_text(f"Fælles plan for {name}")
