"""The settings page in words an admin can act on: refusals in Danish with the allowed
range and a summary at the top, and what each change does to families already enrolled."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from app.admin.settings_form import LOCAL_FORMS_EFFECT, TEAM_MODEL_EFFECT
from app.core.db import db
from app.tenancy.models import Municipality
from app.tenancy.settings_spec import SETTINGS_SPEC

NUMBERS = [s for s in SETTINGS_SPEC if not s.is_switch]


def _municipality(slug: str) -> Municipality:
    db.session.rollback()
    return db.session.scalar(select(Municipality).filter_by(slug=slug))


def posted(municipality: Municipality, **changed: Any) -> dict[str, Any]:
    """What the page posts when nothing but *changed* is touched."""
    data: dict[str, Any] = {"team_model": municipality.team_model}
    for spec in SETTINGS_SPEC:
        value = changed.get(spec.key, municipality.settings[spec.table][spec.key])
        if spec.is_switch:
            if value:
                data[spec.key] = "y"
        else:
            data[spec.key] = str(value)
    data["local_forms"] = changed.get("local_forms", municipality.settings.get("local_forms", []))
    return data


def flashes(html: str) -> list[str]:
    return [
        html_lib.unescape(re.sub(r"<[^>]+>", "", m)).strip()
        for m in re.findall(r'<p class="message message-success"[^>]*>(.*?)</p>', html, re.S)
    ]


def test_every_setting_says_what_it_does_to_enrolled_families(app_ctx: Flask) -> None:
    with app_ctx.test_request_context():
        _each_effect_is_said_in_both_languages()


def _each_effect_is_said_in_both_languages() -> None:
    for spec in SETTINGS_SPEC:
        with force_locale("en"):
            english = str(spec.effect_on_enrolled)
            help_en = str(spec.help or "")
        with force_locale("da"):
            danish = str(spec.effect_on_enrolled)
            help_da = str(spec.help or "")
        assert len(english) > 30 and danish != english, spec.name
        for text in (english, danish, help_en, help_da):
            assert "flask " not in text and "`" not in text, spec.name


def test_the_page_says_each_effect_before_saving(
    client: Any,
    auth: Any,
    municipalities: dict[str, Municipality],
    make_user: Any,
    forms_published: Any,
) -> None:
    auth.login(make_user(municipalities["jammerbugt"], "admin").email)
    html = html_lib.unescape(client.get("/jammerbugt/admin/settings").get_data(as_text=True))
    with force_locale("da"):
        for spec in SETTINGS_SPEC:
            described = re.search(rf'aria-describedby="{spec.key}-help"', html)
            assert described is not None, spec.name
            help_text = re.search(rf'<p class="help" id="{spec.key}-help">([^<]*)</p>', html)
            assert help_text is not None and str(spec.effect_on_enrolled) in help_text.group(1)
        assert str(LOCAL_FORMS_EFFECT) in html and str(TEAM_MODEL_EFFECT) in html
    assert "jammerbugt.bip</label>" not in html
    assert "flask " not in html


def test_every_bound_is_refused_in_danish_with_the_range_and_a_summary(
    app_ctx: Flask,
    client: Any,
    auth: Any,
    municipalities: dict[str, Municipality],
    make_user: Any,
) -> None:
    with app_ctx.test_request_context(), force_locale("da"):
        labels = {spec.key: str(spec.label) for spec in NUMBERS}
    auth.login(make_user(municipalities["vejle"], "admin").email)
    vejle = _municipality("vejle")
    before = {t: dict(v) for t, v in vejle.settings.items() if isinstance(v, dict)}
    for spec in NUMBERS:
        bounds = f"Skriv et helt tal fra {spec.minimum} til {spec.maximum}."
        tries = [
            (str(spec.minimum - 1), bounds),
            (str(spec.maximum + 1), bounds),
            ("", "Skriv et helt tal."),
            ("seks", "Skriv et helt tal."),
            ("2,5", "Skriv et helt tal."),
            ("1" * 12, "Skriv et helt tal."),
        ]
        if spec.minimum > 0:
            tries.append(("0", bounds))  # 0 is a value below the range, not a missing one
        for typed, message in tries:
            page = client.post("/vejle/admin/settings", data=posted(vejle, **{spec.key: typed}))
            html = page.get_data(as_text=True)
            where = (spec.name, typed)
            assert page.status_code == 200, where
            assert "This field is required" not in html and "Not a valid" not in html, where
            error = re.search(rf'<p class="field-error" id="{spec.key}-error">([^<]*)</p>', html)
            assert error is not None and error.group(1) == message, where
            summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
            assert summary is not None, where
            links = re.findall(r'<a href="#([^"]+)">([^<]*)</a>', summary.group(0))
            assert [target for target, _text in links] == [spec.key], where
            assert html_lib.unescape(links[0][1]) == f"{labels[spec.key]}: {message}", where
            assert f'value="{html_lib.escape(typed)}"' in html, where
    vejle = _municipality("vejle")
    assert {t: dict(v) for t, v in vejle.settings.items() if isinstance(v, dict)} == before


def test_zero_is_saved_where_the_range_allows_it(
    client: Any, auth: Any, municipalities: dict[str, Municipality], make_user: Any
) -> None:
    auth.login(make_user(municipalities["vejle"], "admin").email)
    zero_allowed = [s for s in NUMBERS if s.minimum == 0]
    assert zero_allowed, "the window may be 0 days"
    for spec in zero_allowed:
        vejle = _municipality("vejle")
        saved = client.post("/vejle/admin/settings", data=posted(vejle, **{spec.key: "0"}))
        assert saved.status_code == 302, spec.name
        assert _municipality("vejle").settings[spec.table][spec.key] == 0


def test_the_success_message_says_what_happens_to_enrolled_families(
    client: Any,
    auth: Any,
    municipalities: dict[str, Municipality],
    make_user: Any,
    forms_published: Any,
) -> None:
    auth.login(make_user(municipalities["jammerbugt"], "admin").email)
    for spec in SETTINGS_SPEC:
        jammerbugt = _municipality("jammerbugt")
        current = jammerbugt.settings[spec.table][spec.key]
        other = (
            (not current)
            if spec.is_switch
            else (current + 1 if current < spec.maximum else current - 1)
        )
        page = client.post(
            "/jammerbugt/admin/settings",
            data=posted(jammerbugt, **{spec.key: other}),
            follow_redirects=True,
        )
        shown = flashes(page.get_data(as_text=True))
        with force_locale("da"):
            assert "Indstillingerne er gemt." in shown, spec.name
            assert f"{spec.label}: {spec.effect_on_enrolled}" in shown, (spec.name, shown)
            others = [s for s in SETTINGS_SPEC if s is not spec]
            assert not [s for s in others if f"{s.label}: {s.effect_on_enrolled}" in shown]
    jammerbugt = _municipality("jammerbugt")
    page = client.post(
        "/jammerbugt/admin/settings", data=posted(jammerbugt, local_forms=[]), follow_redirects=True
    )
    with force_locale("da"):
        assert f"Lokale skemaer: {LOCAL_FORMS_EFFECT}" in flashes(page.get_data(as_text=True))
    page = client.post(
        "/jammerbugt/admin/settings",
        data=posted(_municipality("jammerbugt")),
        follow_redirects=True,
    )
    assert flashes(page.get_data(as_text=True)) == ["Intet blev ændret."]
