"""WCAG 2.1 AA in Chromium: every page each role reaches, the forms by keyboard alone,
errors tied to their fields and the focus after a form is sent.

Each role's pages are found by following the links it sees, breadth first from the start
page, and checked with axe-core (serious and critical violations fail).
"""

from __future__ import annotations

import re
from collections import Counter, deque
from urllib.parse import urlsplit

import pytest

from tests.browser.journeys import enrol_with_adult
from tests.support.browser import DEMO_PASSWORD, assert_accessible, log_in

pytestmark = pytest.mark.browser

ROLES = {
    "staff": "staff@brondby.example",
    "lead": "lead@brondby.example",
    "admin": "admin@brondby.example",
    # Only Jammerbugt lets families' external contacts sign in.
    "external": "external@jammerbugt.example",
    "researcher": "researcher@example.org",
    "operator": "operator@example.org",
}
#: At most this many pages per role, and this many of one kind (the same path but for ids).
MAX_PAGES = 40
PER_KIND = 1
#: Links the crawl leaves alone: downloads, sign-out and the language switch (both POST
#: anyway), and static files.
SKIP = re.compile(
    r"\.(csv|pdf|zip|json|txt|xlsx)$|/download$|/logout$|/language$|^/static/|^/api/(?!tokens)"
)
#: Pages that look the same whoever opens them (a form, a submission, adding a person):
#: checked once per run, by the first role that reaches them.
SAME_FOR_EVERY_ROLE = re.compile(r"/waves/|/submissions/|/members/new")
_checked_once: set[str] = set()


def _kind(path: str, query: str) -> str:
    keys = sorted(part.split("=", 1)[0] for part in query.split("&") if part)
    return re.sub(r"/\d+", "/N", path) + "?" + "&".join(keys)


def _same_origin_links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(link => link.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(parts.path):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def crawl(page, origin: str, start: str = "/") -> tuple[list[str], list[str]]:
    """Visit what the signed-in user can reach; return the pages seen and the problems."""
    queue = deque([start])
    queued = {start}
    kinds: Counter[str] = Counter()
    visited: list[str] = []
    problems: list[str] = []
    while queue and len(visited) < MAX_PAGES:
        target = queue.popleft()
        parts = urlsplit(target)
        kind = _kind(parts.path, parts.query)
        if kinds[kind] >= PER_KIND or kind in _checked_once:
            continue
        kinds[kind] += 1
        if SAME_FOR_EVERY_ROLE.search(parts.path):
            _checked_once.add(kind)
        response = page.goto(target)
        landed = urlsplit(page.url)
        visited.append(target)
        if response is None or response.status >= 400:
            problems.append(f"{target}: HTTP {response.status if response else '?'}")
            continue
        if landed.path != parts.path:
            queued.add(landed.path)
        try:
            assert_accessible(page, target)
        except AssertionError as failure:
            problems.append(str(failure))
        for link in _same_origin_links(page, origin):
            if link not in queued:
                queued.add(link)
                queue.append(link)
    return visited, problems


def family_with_plan(page, slug: str) -> str:
    """A family with an adult, a draft of the adult's intake and a goal in the plan."""
    from playwright.sync_api import expect

    family_url = enrol_with_adult(page, slug)
    page.get_by_role("link", name=re.compile(r"Udfyld – Indskrivning – voksen")).click()
    page.get_by_label("Fødselsår").fill("1988")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.get_by_role("status")).to_have_text("Kladden er gemt.")
    page.goto(family_url + "/plan")
    page.get_by_label("Livsområde").select_option("work_education")
    page.get_by_role("textbox", name="Mål", exact=True).fill("Mor starter i praktik")
    page.get_by_role("button", name="Tilføj målet").click()
    expect(page.get_by_role("status")).to_have_text("Målet er tilføjet planen.")
    return family_url


def external_contact_of_a_family(page) -> None:
    """A Jammerbugt lead puts the external contact on a new family's team."""
    from playwright.sync_api import expect

    log_in(page, "lead@jammerbugt.example")
    family_url = family_with_plan(page, "jammerbugt")
    page.goto(family_url + "/team")
    page.get_by_role("combobox", name="Person").select_option(
        label="Ekstern kontaktperson Jammerbugt Kommune (Idrætsforeningen Nord)"
    )
    page.get_by_label("Familiens valgte kontaktperson").check()
    page.get_by_role("button", name="Gem").click()
    expect(page.get_by_role("status")).to_contain_text("er nu en del af familiens team")
    page.context.clear_cookies()


def study_of_the_researcher() -> None:
    """A study with the demo researcher on it (studies are made on the command line)."""
    from app.auth.services import find_user
    from app.core.db import db
    from app.research.services import add_researcher, create_study
    from tests.support.browser import live_app

    with live_app["app"].app_context():
        study = create_study(
            "Tilgængelighedsstudie", "Effekter af helhedsorienteret indsats", "§ 10"
        )
        add_researcher(study, find_user(ROLES["researcher"]))
        db.session.commit()


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_a_role_reaches_is_accessible(page, live_server, role) -> None:
    if role in ("staff", "lead", "admin"):
        log_in(page, ROLES[role])
        page.goto("/brondby/families/")
        if not page.locator("main table a").count():
            family_with_plan(page, "brondby")
    elif role == "external":
        external_contact_of_a_family(page)
        log_in(page, ROLES[role])
    elif role == "researcher":
        study_of_the_researcher()
        log_in(page, ROLES[role])
    else:
        log_in(page, ROLES[role])
    visited, problems = crawl(page, live_server)
    # A role sees more than its start page: the crawl really follows links.
    assert len(visited) >= 3, visited
    assert not problems, f"{role} ({len(visited)} pages):\n" + "\n".join(problems)


def test_sign_in_pages_and_errors_are_accessible(page) -> None:
    from playwright.sync_api import expect

    page.goto("/login")
    assert_accessible(page, "login")
    page.get_by_label("E-mail").fill("admin@assens.example")
    page.get_by_label("Adgangskode").fill("not the password")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "login with a wrong password")

    page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page).to_have_url(re.compile(r"/login/code$"))
    assert_accessible(page, "two-factor code")
    page.get_by_label("Kode fra din godkendelsesapp").fill("000000")
    page.get_by_role("button", name="Fortsæt").click()
    expect(page.locator("#code-error")).to_be_visible()
    assert_accessible(page, "two-factor code, wrong")

    # Staff have no authenticator yet: the set-up page is open to them from their account.
    log_in(page, "staff@assens.example")
    page.goto("/login/setup")
    expect(page.get_by_role("heading", level=1)).to_have_text("Opsæt totrinslogin")
    assert_accessible(page, "two-factor set-up")

    response = page.goto("/assens/no-such-page")
    assert response is not None and response.status == 404
    assert_accessible(page, "404")


def test_forms_and_their_errors_are_accessible(page) -> None:
    from playwright.sync_api import expect

    log_in(page, "staff@rodovre.example")
    page.goto("/rodovre/families/new")
    assert_accessible(page, "enrol a family")
    page.get_by_role("button", name="Indskriv").click()
    expect(page.locator(".field-error").first).to_be_visible()
    # Without an error summary, the focus goes to the first field in error.
    expect(page.get_by_label("Familiens navn")).to_be_focused()
    expect(page.get_by_label("Familiens navn")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "enrol a family, with errors")

    enrol_with_adult(page, "rodovre")
    page.get_by_role("link", name=re.compile(r"Udfyld – Indskrivning – voksen")).click()
    assert_accessible(page, "adult intake")
    page.get_by_role("button", name="Indsend").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page, "adult intake, with errors")


def test_pages_in_english_are_accessible(page) -> None:
    from playwright.sync_api import expect

    page.goto("/login")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(page, "login (English)")
    page.get_by_role("button", name="Dansk").click()

    log_in(page, "staff@jammerbugt.example")
    family_url = enrol_with_adult(page, "jammerbugt")
    page.get_by_role("button", name="English").click()
    try:
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert_accessible(page, "a family (English)")
        page.get_by_role("link", name=re.compile(r"^Fill in – Intake – adult")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Intake – adult")
        assert_accessible(page, "a form (English)")
        page.get_by_role("button", name="Submit").click()
        expect(page.locator("#error-summary")).to_be_focused()
        assert_accessible(page, "a form with errors (English)")
        for path in ("/jammerbugt/", "/jammerbugt/families/", family_url + "/plan", "/account"):
            page.goto(path)
            assert_accessible(page, f"{path} (English)")
    finally:
        # The language is remembered for the user: leave them in Danish for other tests.
        page.goto("/account")
        page.get_by_role("button", name="Dansk").click()
        expect(page.locator("html")).to_have_attribute("lang", "da")


def _focused(page) -> dict:
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            return {tag: e.tagName.toLowerCase(), type: e.type || "", name: e.name || "",
                    id: e.id, value: e.value || "", checked: !!e.checked};
        }"""
    )


def test_the_adult_intake_is_completed_with_the_keyboard_alone(page) -> None:
    from playwright.sync_api import expect

    log_in(page, "staff@brondby.example")
    family_url = enrol_with_adult(page, "brondby")
    link = page.get_by_role("link", name=re.compile(r"Udfyld – Indskrivning – voksen"))
    page.goto(link.get_attribute("href"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Indskrivning – voksen")

    keyboard = page.keyboard
    answered: list[str] = []
    for _ in range(120):
        keyboard.press("Tab")
        focused = _focused(page)
        name, control = focused["name"], focused["type"]  # the HTML input type
        if focused["tag"] == "button" and name == "submit":
            break
        if focused["tag"] == "select":
            keyboard.press("ArrowDown")  # the first real option after "choose"
        elif control == "radio":
            if name.startswith("who5_"):
                for _step in range(3):  # "3 – Lidt mere end halvdelen af tiden"
                    keyboard.press("ArrowDown")
            else:
                keyboard.press("Space")  # the first option; for the activity, "Ja"
        elif control == "date":
            keyboard.type("04042026")  # the same whichever order the fields take
        elif name == "birth_year":
            keyboard.type("1988")
        elif name == "years_with_employment_unit":
            keyboard.type("4,2")
        elif name == "window_confirmed":
            # The intake is late (enrolled in the spring): its reason was chosen above by
            # the arrow key, as any select's; the confirmation is ticked with Space.
            keyboard.press("Space")
        else:
            continue
        answered.append(name)
    else:
        pytest.fail(f"Tab never reached the Submit button; answered {answered}")
    assert "employment_activity_date" in answered, answered  # shown once "Ja" was chosen
    assert page.locator("#employment_activity_date").input_value() == "2026-04-04"
    keyboard.press("Enter")

    expect(page).to_have_url(re.compile(re.escape(family_url) + r"#wave-\d+$"))
    status = page.get_by_role("status")
    expect(status).to_have_text("Skemaet er indsendt.")
    # The focus lands on the confirmation, so that a screen reader reads it out.
    expect(status).to_be_focused()
    row = page.get_by_role("row", name=re.compile("Indskrivning – voksen"))
    expect(row).to_contain_text("Indsendt")
    page.goto(row.get_by_role("link", name="Læs").get_attribute("href"))
    expect(page.get_by_text("1988").first).to_be_visible()
    expect(page.get_by_text("60", exact=False).first).to_be_visible()  # WHO-5: 5 × 3 × 4


def test_errors_are_tied_to_their_fields_and_the_summary_leads_to_them(page) -> None:
    from playwright.sync_api import expect

    log_in(page, "staff@vejle.example")
    enrol_with_adult(page, "vejle")
    page.get_by_role("link", name=re.compile(r"Udfyld – Indskrivning – voksen")).click()
    page.get_by_label("Fødselsår").fill("19x8")
    page.get_by_role("button", name="Indsend").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    invalid = page.locator("form.definition-form [aria-invalid=true]")
    # Year of birth, sex, income support, years, functional level, five WHO-5 items and
    # the activity question; a radio group marks each of its options.
    names = set(invalid.evaluate_all("inputs => inputs.map(input => input.name)"))
    assert {"birth_year", "sex", "income_support", "who5_1", "employment_activity"} <= names
    for control in invalid.all():
        described = (control.get_attribute("aria-describedby") or "").split()
        name = control.get_attribute("name")
        assert f"{name}-error" in described, f"{name}: aria-describedby={described}"
        message = page.locator(f"#{name}-error")
        expect(message).to_be_visible()
        expect(message).to_have_class(re.compile(r"\bfield-error\b"))
        # The message by the field is the one the summary gives for it.
        text = message.inner_text().strip()
        assert text, name
        expect(summary.locator(f'a[href="#{name}"]')).to_contain_text(text)
    expect(page.locator("#birth_year-error")).to_have_text("Skriv et helt tal.")
    expect(page.get_by_label("Fødselsår")).to_have_accessible_description(
        re.compile("Skriv et helt tal.")
    )

    # Each link of the summary moves the focus to its field: a text box, a list, a group.
    links = summary.get_by_role("link")
    expect(links).to_have_count(len(names))
    for name, expected in (
        ("birth_year", "#birth_year"),
        ("income_support", "#income_support"),
        ("sex", "#sex input[type=radio]"),
        ("employment_activity", "#employment_activity input[type=radio]"),
    ):
        summary.locator(f'a[href="#{name}"]').focus()
        page.keyboard.press("Enter")
        expect(page.locator(expected).first).to_be_focused()

    # Corrected and saved as a draft, the page comes back with its confirmation in focus.
    page.get_by_label("Fødselsår").fill("1988")
    page.get_by_role("button", name="Gem kladde").click()
    status = page.get_by_role("status")
    expect(status).to_have_text("Kladden er gemt.")
    expect(status).to_be_focused()
    expect(page.locator("[aria-invalid=true]")).to_have_count(0)


def _report_job(email: str, slug: str, **values: object) -> int:
    """A PDF report job of the municipality, as the background renderer leaves it."""
    from sqlalchemy import insert, select, update

    from app.auth.models import User
    from app.core.db import db
    from app.reports.models import ReportJob
    from app.tenancy.models import Municipality
    from tests.support.browser import live_app

    table = ReportJob.__table__
    with live_app["app"].app_context():
        if "job_id" in values:
            job_id = values.pop("job_id")
            db.session.execute(update(table).where(table.c.id == job_id).values(**values))
        else:
            user_id = db.session.scalar(select(User.__table__.c.id).where(User.email == email))
            municipality_id = db.session.scalar(
                select(Municipality.__table__.c.id).where(Municipality.__table__.c.slug == slug)
            )
            job_id = db.session.execute(
                insert(table).values(
                    municipality_id=municipality_id, user_id=user_id, language="da", **values
                )
            ).inserted_primary_key[0]
        db.session.commit()
    return int(job_id)


def test_a_job_page_follows_its_job_without_reloading(page) -> None:
    """No timed refresh (WCAG 2.2.1): the status changes in place, then the download shows."""
    from playwright.sync_api import expect

    log_in(page, "lead@rodovre.example")
    job_id = _report_job("lead@rodovre.example", "rodovre", status="running", progress="figures")
    page.goto(f"/rodovre/reports/jobs/{job_id}")
    status = page.get_by_role("status")
    expect(status).to_contain_text("tallene beregnes")
    assert_accessible(page, "a PDF report being made")
    page.evaluate("window.sameDocument = true")

    _report_job("", "", job_id=job_id, status="done", progress="", file_name="report.pdf")
    expect(page.get_by_role("link", name="Hent PDF-filen")).to_be_visible()
    expect(status).not_to_contain_text("tallene beregnes")
    expect(page.locator("progress")).to_have_count(0)
    assert page.evaluate("window.sameDocument") is True
    assert_accessible(page, "a PDF report made")
