"""Without JavaScript every question is on the page: a conditional one carries a note of
when it applies, in the reader's language. The test client runs no JavaScript, so its HTML
is what a browser without JavaScript shows."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from flask_babel import force_locale

from app.collection.services import forms_for_wave
from app.collection.waves import start_exit
from app.core.db import db
from app.definitions import conditions
from app.definitions.compile import describe_condition
from app.families.models import Family
from app.tenancy.scoping import tenant_scope

NOTE_START = {"da": "Besvares kun, hvis ", "en": "Answer only if "}
#: What a note in words never shows: the condition's own syntax or its parsed tree.
RAW = re.compile(r"==|!=|<|>|\{|\}|\bnull\b|\btrue\b|\bfalse\b")


def question_blocks(html: str) -> dict[str, str]:
    """Each question's HTML, by the name of its input."""
    blocks = {}
    for block in re.split(r'(?=<div class="question)', html)[1:]:
        name = re.search(r'\bname="([^"]+)"', block)
        if name:
            blocks.setdefault(name.group(1), block)
    return blocks


def note_of(block: str) -> str | None:
    match = re.search(r'<p class="condition-note">(.*?)</p>', block, re.S)
    return unescape(match.group(1)).strip() if match else None


def conditional_fields(form) -> list:
    return [f for f in form.fields if f.condition is not None and f.kind.input]


@pytest.fixture
def every_form_page(client, auth, municipalities, make_user, make_family, forms_published):
    """The fill page's URL of every published form for a family in Jammerbugt, which also
    has the municipality's local form, across intake, follow-up and exit."""
    jammerbugt = municipalities["jammerbugt"]
    local = sorted(f for f, _v in forms_published.forms if "." in f)
    jammerbugt.settings = {**jammerbugt.settings, "local_forms": local}
    db.session.commit()
    lead = make_user(jammerbugt, "lead")
    family_id = make_family("jammerbugt", enrolment=date(2026, 1, 15)).id
    pages = {}
    with tenant_scope(jammerbugt):
        family = db.session.get(Family, family_id)
        start_exit(jammerbugt, family, date(2026, 12, 15))
        db.session.commit()
        family = db.session.get(Family, family_id)
        members = {m.role: m for m in family.members}
        for wave in family.waves:
            for version in forms_for_wave(jammerbugt, wave):
                base = f"/jammerbugt/waves/{wave.id}"
                member = members.get(version.level)
                url = (
                    f"{base}/members/{member.id}/forms/{version.form_id}"
                    if member
                    else f"{base}/forms/{version.form_id}"
                )
                pages.setdefault(version.form_id, (url, version.form))
    auth.login(lead.email)
    return pages


def test_every_published_form_is_reached(every_form_page, forms_published):
    assert set(every_form_page) == set(forms_published.form_ids())
    conditional = [f for f, (_u, form) in every_form_page.items() if conditional_fields(form)]
    # The adult and child forms have conditional questions; a new kind shows up here.
    assert {"adult_intake", "adult_follow_up", "child_intake", "child_follow_up"} <= set(
        conditional
    )


@pytest.mark.parametrize("language", ["da", "en"])
def test_every_conditional_question_is_shown_with_its_note(client, every_form_page, language):
    client.post("/language", data={"language": language})
    checked = 0
    for form_id, (url, form) in every_form_page.items():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert f'<html lang="{language}">' in html
        blocks = question_blocks(html)
        for field in form.fields:
            if not field.kind.input:
                continue
            block = blocks.get(field.name)
            assert block is not None, f"{form_id}: {field.name} is not on the page"
            # Shown: only the browser's script may hide it.
            assert not re.search(r'<div class="question"[^>]*\bhidden\b', block), field.name
            note = note_of(block)
            if field.condition is None:
                assert note is None, f"{form_id}: {field.name} has a note but no condition"
                continue
            checked += 1
            assert note, f"{form_id}: {field.name} applies conditionally but has no note"
            assert note.startswith(NOTE_START[language]) and note.endswith("."), note
            for used in conditions.fields_used(field.condition):
                label = form.field(used).label[language]
                assert f"«{label}»" in note, (form_id, field.name, note)
            assert not RAW.search(note), (form_id, field.name, note)
            assert 'data-show-if="' in block  # what the script evaluates, when there is one
    assert checked >= 4


@pytest.mark.parametrize(
    ("source", "da", "en"),
    [
        (
            "employment_activity",
            "Besvares kun, hvis «{a}» er besvaret med Ja.",
            "Answer only if «{a}» is answered Yes.",
        ),
        (
            "not employment_activity",
            "Besvares kun, hvis «{a}» er besvaret med Nej.",
            "Answer only if «{a}» is answered No.",
        ),
        (
            "employment_activity == false",
            "Besvares kun, hvis «{a}» er Nej.",
            "Answer only if «{a}» is No.",
        ),
        (
            "years_with_employment_unit < 2.5",
            "Besvares kun, hvis «{y}» er mindre end 2,5 år.",
            "Answer only if «{y}» is less than 2.5 years.",
        ),
        (
            "years_with_employment_unit >= 2",
            "Besvares kun, hvis «{y}» er mindst 2 år.",
            "Answer only if «{y}» is at least 2 years.",
        ),
        (
            "birth_year <= 1990 and birth_year > 1960",
            "Besvares kun, hvis «{b}» er højst 1990 og «{b}» er mere end 1960.",
            "Answer only if «{b}» is at most 1990 and «{b}» is more than 1960.",
        ),
        (
            "birth_year != 1990 or employment_activity",
            "Besvares kun, hvis «{b}» er ikke 1990 eller «{a}» er besvaret med Ja.",
            "Answer only if «{b}» is not 1990 or «{a}» is answered Yes.",
        ),
        (
            "not (employment_activity and birth_year > 1980)",
            "Besvares kun, hvis det ikke gælder, at «{a}» er besvaret med Ja og «{b}» er mere "
            "end 1980.",
            "Answer only if it is not so that «{a}» is answered Yes and «{b}» is more than 1980.",
        ),
    ],
)
def test_every_kind_of_condition_is_told_in_words(app, forms_published, source, da, en):
    form = forms_published.latest("adult_intake")
    labels = {
        language: {
            "a": form.field("employment_activity").label[language],
            "b": form.field("birth_year").label[language],
            "y": form.field("years_with_employment_unit").label[language],
        }
        for language in ("da", "en")
    }
    node = conditions.parse(source)
    for language, expected in (("da", da), ("en", en)):
        with app.test_request_context(), force_locale(language):
            assert describe_condition(form, node, language) == expected.format(**labels[language])
