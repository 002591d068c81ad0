"""Dates and numbers as people read them: "22. maj 2026" and "1,7" in Danish, "22 May 2026"
and "1.7" in English; times in Copenhagen's time zone. Machine-readable values (date
inputs, CSV) keep ISO dates and dot decimals."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import render_template_string
from flask_babel import force_locale

from app.collection.services import forms_for_wave, save_submission
from app.core.db import db
from app.core.formatting import format_day, format_moment, format_number, format_share
from app.definitions.compile import display_value
from app.families.models import Family
from app.tenancy.scoping import tenant_scope
from tests.support.forms import save_family_draft, valid_formdata
from tests.support.reports import html_row

DA_MONTHS = "januar februar marts april maj juni juli august september oktober november december"
EN_MONTHS = "January February March April May June July August September October November December"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def long_date(day: date, language: str) -> str:
    """Written out by hand, so the test does not lean on the code's own formatting."""
    if language == "da":
        return f"{day.day}. {DA_MONTHS.split()[day.month - 1]} {day.year}"
    return f"{day.day} {EN_MONTHS.split()[day.month - 1]} {day.year}"


def visible_text(html: str) -> str:
    """What a reader sees: no tags, attributes (input values), scripts or styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# -- the filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "long", "short", "moment", "winter", "decimal", "grouped", "share"),
    [
        ("da", "22. maj 2026", "22.05.2026", "22.05.2026 14.30", "15.01.2026 13.00", "1,7",
         "1.234,5", "50\xa0%"),
        ("en", "22 May 2026", "22/05/2026", "22/05/2026, 14:30", "15/01/2026, 13:00", "1.7",
         "1,234.5", "50%"),
    ],
)  # fmt: skip
def test_the_filters_write_dates_times_and_numbers_in_the_language(
    app, language, long, short, moment, winter, decimal, grouped, share
):
    with app.test_request_context(), force_locale(language):
        assert format_day(date(2026, 5, 22)) == long
        assert format_day(date(2026, 5, 22), "short") == short
        # Stored in UTC, shown in Copenhagen: summer time is two hours ahead, winter one.
        assert format_moment(datetime(2026, 5, 22, 12, 30)) == moment
        assert format_moment(datetime(2026, 1, 15, 12, 0)) == winter
        # 23:30 UTC on 21 May is already 22 May in Copenhagen.
        assert format_day(datetime(2026, 5, 21, 23, 30)) == long
        assert format_number(1.7) == decimal
        assert format_number(1234.5, 1) == grouped
        assert format_number(1930, group=False) == "1930"
        assert format_share(0.5) == share
        assert format_day(None) == format_number(None) == format_moment(None) == ""

        rendered = render_template_string(
            "{{ d|format_date }}|{{ d|format_date('short') }}|{{ m|datetime }}|"
            "{{ x|format_decimal }}|{{ y|format_decimal(1) }}|{{ format_percent(0.5) }}",
            d=date(2026, 5, 22),
            m=datetime(2026, 5, 22, 12, 30),
            x=1.7,
            y=1234.5,
        )
        assert rendered == f"{long}|{short}|{moment}|{decimal}|{grouped}|{share}"


@pytest.mark.parametrize(
    ("language", "expected"), [("da", "Alle 12.345 familier"), ("en", "All 12,345 families")]
)
def test_counts_in_sentences_are_grouped_the_languages_way(app, language, expected):
    # The templates pass the count formatted: ngettext alone would write "12345".
    with app.test_request_context(), force_locale(language):
        assert (
            render_template_string(
                '{{ ngettext("All %(num)s family", "All %(num)s families", n,'
                " num=n | format_decimal) }}",
                n=12345,
            )
            == expected
        )


def test_a_language_can_be_asked_for_outside_the_interface_language(app):
    with app.test_request_context(), force_locale("da"):
        assert format_day(date(2026, 5, 22), "long", "en") == "22 May 2026"
        assert format_number(1.7, language="en") == "1.7"
    with app.test_request_context(), force_locale("en"):
        assert format_day(date(2026, 5, 22), "long", "da") == "22. maj 2026"
        assert format_number(1.7, 1, "da") == "1,7"


def test_answers_and_validation_messages_use_the_language(app, forms_published):
    from app.definitions.fields.parsing import number_text as _number_text

    adult = forms_published.latest("adult_intake")
    years = adult.field("years_with_employment_unit")
    started = adult.field("employment_activity_date")
    with app.test_request_context():
        assert display_value(adult, years, 1.7, "da") == "1,7 år"
        assert display_value(adult, years, 1.7, "en") == "1.7 years"
        assert display_value(adult, started, "2026-05-22", "da") == "22. maj 2026"
        assert display_value(adult, started, "2026-05-22", "en") == "22 May 2026"
        for language, half in (("da", "2,5"), ("en", "2.5")):
            with force_locale(language):
                assert _number_text(2.5) == half
                assert _number_text(1930) == "1930"  # a year has no thousands separator


# -- the pages ------------------------------------------------------------------------------


def _submit_adult_intake(municipality, family_id: int, years: str, started: str):
    with tenant_scope(municipality):
        family = db.session.get(Family, family_id)
        wave = next(w for w in family.waves if w.kind == "intake")
        version = next(v for v in forms_for_wave(municipality, wave) if v.form_id == "adult_intake")
        raw = valid_formdata(version.form, date.today())
        raw.update(
            years_with_employment_unit=years,
            employment_activity="true",
            employment_activity_date=started,
        )
        submission = save_submission(
            municipality,
            wave,
            version,
            family.members[0],
            raw,
            submit=True,
            seen_lock_version=None,
            actor_id=None,
            today=date.today(),
        )
        db.session.commit()
    return submission


def _family_pages(client, family, submission, slug: str) -> dict[str, str]:
    return {
        url: visible_text(client.get(url).get_data(as_text=True))
        for url in (
            f"/{slug}/families/{family.id}",
            f"/{slug}/submissions/{submission.id}",
            f"/{slug}/families/",
        )
    }


def test_the_family_pages_show_danish_dates_and_numbers_then_english(
    client, auth, municipalities, make_user, make_family
):
    brondby = municipalities["brondby"]
    lead = make_user(brondby, "lead")
    family = make_family("brondby", enrolment=date(2026, 5, 22), children=0)
    submission = _submit_adult_intake(brondby, family.id, "1,7", "2026-04-01")
    auth.login(lead.email)

    danish = _family_pages(client, family, submission, "brondby")
    detail, answers, listing = danish.values()
    assert f"Indskrevet {long_date(date(2026, 5, 22), 'da')}" in detail
    assert "22. maj 2026" in listing
    # The waves' due dates: intake on the day, follow-ups every six months from it.
    assert "Frist 22. maj 2026" in detail and "Frist 22. november 2026" in detail
    assert re.search(r"vindue 22\.05\.2026 – \d{2}\.\d{2}\.2026", detail), detail
    assert "1,7 år" in answers and "1. april 2026" in answers
    assert "1.7" not in answers
    for url, text in danish.items():
        assert not ISO_DATE.search(text), (url, ISO_DATE.findall(text))

    client.post("/language", data={"language": "en"})
    english = _family_pages(client, family, submission, "brondby")
    detail, answers, listing = english.values()
    assert "Enrolled 22 May 2026" in detail and "22 May 2026" in listing
    assert "Due 22 May 2026" in detail and "Due 22 November 2026" in detail
    assert re.search(r"window 22/05/2026 – \d{2}/\d{2}/2026", detail), detail
    assert "1.7 years" in answers and "1 April 2026" in answers
    assert "1,7" not in answers
    for url, text in english.items():
        assert not ISO_DATE.search(text), (url, ISO_DATE.findall(text))


def test_the_dashboard_shows_danish_dates_and_shares_then_english(
    client, auth, municipalities, make_user, make_family
):
    today = date.today()
    brondby = municipalities["brondby"]
    lead = make_user(brondby, "lead")
    family_id = make_family("brondby", enrolment=today, children=0).id
    with tenant_scope(brondby):
        save_family_draft(brondby, family_id, today)
        db.session.commit()
    auth.login(lead.email)

    html = client.get("/brondby/").get_data(as_text=True)
    text = visible_text(html)
    assert long_date(today, "da") in text  # the intake's due date
    # The draft's date, compact: when it was saved, in Denmark (past 23:00 UTC in winter
    # that is already tomorrow there).
    saved = datetime.now(ZoneInfo("Europe/Copenhagen")).date()
    assert f"({saved:%d.%m.%Y})" in text
    # The share per wave: "50 %", with a space that does not break.
    assert re.search(r"<td>\d+\xa0%</td>", html), html
    assert not ISO_DATE.search(text)

    client.post("/language", data={"language": "en"})
    html = client.get("/brondby/").get_data(as_text=True)
    text = visible_text(html)
    assert long_date(today, "en") in text
    assert f"({saved:%d/%m/%Y})" in text
    assert re.search(r"<td>\d+%</td>", html), html
    assert not ISO_DATE.search(text)


def test_the_report_page_shows_danish_means_and_shares_then_english(
    client, auth, make_user, cohort, monkeypatch
):
    # Every figure shown, so the means and shares of the small cohort are on the page.
    monkeypatch.setitem(client.application.config, "SUPPRESSION_K", 1)
    lead = make_user(cohort, "lead")
    auth.login(lead.email)

    page = client.get("/brondby/reports/").get_data(as_text=True)
    # (4.0 + 0.5 + 6.0 + 2.5 + 1.0) / 5 years, and 3 of 4 adults.
    assert html_row(page, "adults_years_employment_unit_intake") == ["2,8"]
    assert html_row(page, "adults_income_support_intake") == ["75,0 %"]
    text = visible_text(page)
    assert f"Data pr. {long_date(date.today(), 'da')}" in text
    assert not ISO_DATE.search(text)

    client.post("/language", data={"language": "en"})
    page = client.get("/brondby/reports/").get_data(as_text=True)
    assert html_row(page, "adults_years_employment_unit_intake") == ["2.8"]
    assert html_row(page, "adults_income_support_intake") == ["75.0%"]
    text = visible_text(page)
    assert f"Data as of {long_date(date.today(), 'en')}" in text
    assert not ISO_DATE.search(text)
