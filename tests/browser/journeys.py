"""Steps the role journeys share: enrolling a family, adding its people, filling a form."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count

from tests.support.browser import assert_accessible

#: An enrolment date far enough back that the 6-month follow-up is open.
EARLY_ENROLMENT = "2026-03-01"


def unique(prefix: str) -> str:
    """A name no other test (or earlier run on the same database) uses."""
    return f"{prefix} {uuid.uuid4().hex[:6]}"


@contextmanager
def second_page(browser, live_server: str) -> Iterator[object]:
    """Another browser context: a second person at another desk."""
    context = browser.new_context(base_url=live_server, locale="da-DK")
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def enrol(page, slug: str, name: str, enrolment_date: str = EARLY_ENROLMENT) -> str:
    """Enrol a family through the form; returns the family page's address."""
    from playwright.sync_api import expect

    page.goto(f"/{slug}/families/new")
    assert_accessible(page, "enrol a family")
    page.get_by_label("Familiens navn").fill(name)
    page.get_by_label("Indskrivningsdato").fill(enrolment_date)
    page.get_by_role("button", name="Indskriv").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    return page.url.split("#")[0]


def add_member(page, family_url: str, role: str, name: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{family_url}/members/new?role={role}")
    assert_accessible(page, f"add an {role}")
    page.get_by_role("textbox", name="Navn", exact=True).fill(name)
    page.get_by_role("button", name="Tilføj").click()
    expect(page.get_by_role("status")).to_contain_text("er tilføjet familien")


def wave_section(page, heading: str):
    """The family page's section of one wave, by the start of its heading."""
    return page.locator("section.wave").filter(
        has=page.get_by_role("heading", name=re.compile("^" + re.escape(heading)))
    )


def form_link(page, wave_heading: str, title: str, subject: str):
    """The "Fill in"/"Edit" link of one form for one subject in one wave."""
    return wave_section(page, wave_heading).get_by_role(
        "link", name=re.compile(rf"^(Udfyld|Redigér) – {re.escape(title)}, {re.escape(subject)}$")
    )


def _value_for(name: str, control: str | None) -> str:
    """A value for an input box by its name and its HTML input type."""
    if control == "date":
        return EARLY_ENROLMENT
    if name == "birth_year":
        return "1995"
    return "1"


def answer_everything(page, *, window: bool = True) -> None:
    """Answer every visible question still unanswered: first option, plausible numbers;
    and, unless *window* is false, the window's question (:func:`answer_the_window`)."""
    for _ in range(3):  # conditional questions appear as their triggers are answered
        for question in page.locator("form.definition-form .question").all():
            if not question.is_visible():
                continue
            radios = question.locator("input[type=radio]")
            if radios.count():
                if not question.locator("input[type=radio]:checked").count():
                    radios.first.check()
                continue
            boxes = question.locator("input[type=checkbox]")
            if boxes.count():
                if not question.locator("input[type=checkbox]:checked").count():
                    boxes.first.check()
                continue
            select = question.locator("select")
            if select.count():
                if not select.input_value():
                    select.select_option(index=1)
                continue
            box = question.locator("input, textarea").first
            if box.count() and not box.input_value():
                box.fill(_value_for(box.get_attribute("name") or "", box.get_attribute("type")))
    if window:
        answer_the_window(page)


def answer_the_window(page) -> None:
    """A form submitted outside its wave's window asks why (the journeys' families were
    enrolled in the spring): choose a reason and confirm it, as a caseworker entering the
    answers late would. Inside the window nothing is asked."""
    reason = page.locator("select[name=window_reason]")
    if reason.count() and not reason.input_value():
        reason.select_option("data_entered_late")
        page.get_by_label(re.compile("^Jeg bekræfter, at skemaet indsendes uden for")).check()


_families = count(1)


def enrol_with_adult(page, slug: str) -> str:
    from playwright.sync_api import expect

    name = f"Familien Browser {next(_families)}"
    page.goto(f"/{slug}/families/new")
    page.get_by_label("Familiens navn").fill(name)
    page.get_by_label("Indskrivningsdato").fill("2026-03-01")
    page.get_by_role("button", name="Indskriv").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.get_by_role("link", name="Tilføj en voksen").click()
    page.get_by_role("textbox", name="Navn", exact=True).fill("Mette Browser")
    page.get_by_role("button", name="Tilføj").click()
    expect(page.get_by_role("cell", name="Mette Browser").first).to_be_visible()
    return page.url
