"""Hypothesis posts arbitrary values to every form write: never a 5xx, never a partial write.

The write routes come from the application's URL map, so a route added tomorrow is fuzzed
tomorrow; one this module cannot fuzz fails until it is taught, or until it is listed in
:data:`EXCLUDED` with a reason. For each route a user with the role that may use it (the
access matrix's ``expected()``) opens the page that holds the route's form, and Hypothesis
posts that form's own field names with values no browser sends: control characters, NUL,
long and right-to-left text, huge and negative numbers, impossible dates, repeated keys,
missing and unknown fields, tampered hidden fields, odd URL segments, undecodable bodies,
file parts in text fields, JSON nested past any limit and bodies over the size limit.

After every request the whole database is compared with what it was before:

- refused (4xx, errors on the page, an error message): not one row changed, apart from
  audit events of reads and refusals;
- accepted: what changed is whole: the write's audit event was committed with it, and the
  invariants the pages rely on hold (:func:`integrity_problems`), including limits SQLite
  does not enforce but PostgreSQL does (text lengths, NUL), so a write that would fail
  only on PostgreSQL already fails on SQLite.

API writes are fuzzed the same way in tests/api/test_fuzz_api.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from hypothesis import given, note
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.api.models import ApiToken
from app.families.models import Family
from app.research.models import WaveApproval
from tests.support.apps import owner_engine
from tests.support.forms import valid_formdata
from tests.support.fuzz_pages import (
    EXCLUDED,
    FORM_ENDPOINTS,
    FUZZED_API_ENDPOINTS,
    HINTS,
    World,
    definition_of,
    excluded,
    find_target,
    fuzz_settings,
    post_forms,
    role_for,
    rule_for,
    write_rules,
)
from tests.support.fuzz_values import form_requests, resolve
from tests.support.windows import LATE_PAGE
from tests.support.write_checks import WriteChecker, changed_tables, send, take_snapshot

# -- the fuzzing --------------------------------------------------------------------------------


def test_every_write_route_is_fuzzed_or_excluded_with_a_reason(app: Flask) -> None:
    """The fuzz tests are parametrised from the URL map; this keeps the bookkeeping honest:
    the map they were made from is the application's, and every exclusion names routes
    that exist and says why. A route the fuzzing cannot reach fails its own test."""
    endpoints = {rule.endpoint for rule in write_rules(app)}
    fuzzed = set(FORM_ENDPOINTS) | set(FUZZED_API_ENDPOINTS)
    unexcused = sorted(e for e in endpoints - fuzzed if not excluded(e))
    assert not unexcused, f"write routes neither fuzzed nor excluded: {unexcused}"
    for prefix, reason in EXCLUDED.items():
        assert reason.strip(), f"{prefix}: say why it is not fuzzed"
        assert any(e.startswith(prefix) for e in endpoints), f"no route left for {prefix!r}"
    assert not {e for e in fuzzed if excluded(e)}, "fuzzed and excluded at once"
    assert fuzzed <= endpoints, f"fuzzing routes that are gone: {sorted(fuzzed - endpoints)}"


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", FORM_ENDPOINTS)
def test_a_form_write_never_fails_and_never_writes_half(
    app_ctx: Flask, client: FlaskClient, auth: Any, fuzz_world: World, endpoint: str
) -> None:
    rule = rule_for(app_ctx, endpoint)
    role = role_for(rule)
    assert auth.login(fuzz_world.users[role].email).status_code == 302
    target = find_target(client, app_ctx, rule, fuzz_world, role)
    hints = HINTS[endpoint](app_ctx, target) if endpoint in HINTS else {}
    checker = WriteChecker(client)
    requests = form_requests(target, rule, hints)

    @fuzz_settings(20)
    @given(data=st.data())
    def post(data: st.DataObject) -> None:
        url, body = resolve(data.draw(requests, label="request"), target, app_ctx)
        note(f"sent to {url}: {body!r}")
        send(checker, url, body)
        if checker.last_changed and target.moves_on:
            target.refresh(client)
            checker.before = take_snapshot()  # the page's reading is not the next request's

    post()
    assert checker.reached_the_view(), f"{endpoint}: {dict(checker.statuses)}"


# -- what the fuzzing found ------------------------------------------------------------------


def _count(model: type) -> int:
    with owner_engine(current_app).connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


def test_text_no_database_can_store_is_refused_before_any_view(
    app_ctx: Flask, client: FlaskClient, auth: Any, fuzz_world: World
) -> None:
    """NUL was stored by SQLite and a 500 on PostgreSQL: in a family's name, a goal, a
    token's name, a person's organisation, and in the search box and the URL."""
    assert auth.login(fuzz_world.users["staff_assigned"].email).status_code == 302
    families = _count(Family)
    for label in ("a\x00b", "\x00"):
        response = client.post(
            "/jammerbugt/families/new", data={"label": label, "enrolment_date": "2026-01-15"}
        )
        assert response.status_code == 400
    assert _count(Family) == families
    assert client.get("/jammerbugt/families/?q=%00").status_code == 400
    assert client.post("/jammerbugt/families/", data={"q": "a\x00b"}).status_code == 400
    assert client.get("/jamm%00erbugt/").status_code == 400


def test_a_number_beyond_a_float_is_refused_not_a_server_error(
    app_ctx: Flask, client: FlaskClient, auth: Any, fuzz_world: World
) -> None:
    """WTForms' NumberRange raised OverflowError for the token form's "days"."""
    assert auth.login(fuzz_world.users["staff_assigned"].email).status_code == 302
    tokens = _count(ApiToken)
    response = client.post("/jammerbugt/tokens/", data={"name": "a", "days": "1" + "0" * 400})
    assert response.status_code == 200 and 'class="field-error"' in response.get_data(as_text=True)
    assert _count(ApiToken) == tokens


def test_a_tampered_lock_version_is_a_conflict_not_a_server_error(
    app_ctx: Flask, client: FlaskClient, auth: Any, fuzz_world: World
) -> None:
    """``int()`` of the hidden lock version raised ValueError on both forms that carry one."""
    values = fuzz_world.values
    assert auth.login(fuzz_world.users["staff_assigned"].email).status_code == 302
    before = take_snapshot()
    moved = client.post(
        f"/jammerbugt/families/{values['family_id']}/enrolment",
        data={"enrolment_date": "2026-01-20", "lock_version": "x"},
    )
    assert moved.status_code == 302
    saved = client.post(
        f"/jammerbugt/waves/{values['wave_id']}/forms/family_intake",
        data={"lock_version": "٣", "save_draft": "1"},
    )
    assert saved.status_code == 409
    assert not changed_tables(before, take_snapshot())


def test_a_submitted_form_saved_again_as_a_draft_stays_complete(
    app_ctx: Flask, client: FlaskClient, auth: Any, fuzz_world: World
) -> None:
    """A draft saved over a submitted form kept the status "submitted" without a required
    answer, so the wave counted as complete and the indicators counted the form."""
    assert auth.login(fuzz_world.users["staff_assigned"].email).status_code == 302
    url = f"/jammerbugt/waves/{fuzz_world.values['wave_id']}/forms/family_intake"
    definition = definition_of(app_ctx, url)
    answers = valid_formdata(definition, date.today())
    assert client.post(url, data={**answers, "submit": "1", **LATE_PAGE}).status_code == 302
    required = next(f.name for f in definition.fields if f.required and f.condition is None)
    page = post_forms(client.get(url).get_data(as_text=True), url)[-1]
    draft = {**answers, required: "", "lock_version": page.fields["lock_version"].values[0]}
    before = take_snapshot()
    response = client.post(url, data={**draft, "save_draft": "1"})
    assert response.status_code == 422
    assert not changed_tables(before, take_snapshot())
    statuses = [
        row["status"] for row in before.tables["submission"] if row["form_id"] == "family_intake"
    ]
    assert statuses == ["submitted"]


def test_wave_sign_off_takes_only_keys_waves_can_have(
    app_ctx: Flask, client: FlaskClient, auth: Any, fuzz_world: World
) -> None:
    """follow_up_ with thirty digits overflowed the column on PostgreSQL (SQLite stored it),
    and str.isdigit() let "follow_up_²" through."""
    assert auth.login(fuzz_world.users["lead"].email).status_code == 302
    approvals = _count(WaveApproval)
    for key in ("follow_up_" + "1" * 30, "follow_up_²", "follow_up_٣"):
        assert (
            client.post(f"/jammerbugt/research/waves/{key}", data={"approve": "1"}).status_code
            == 404
        )
    assert _count(WaveApproval) == approvals
    assert (
        client.post("/jammerbugt/research/waves/follow_up_6", data={"approve": "1"}).status_code
        == 302
    )


def test_a_cpr_number_takes_ascii_digits_only(
    app_ctx: Flask, client: FlaskClient, auth: Any, fuzz_world: World
) -> None:
    """The form's \\d and str.isdigit() let a CPR number of Arabic-Indic digits through."""
    assert auth.login(fuzz_world.users["staff_assigned"].email).status_code == 302
    before = take_snapshot()
    response = client.post(
        f"/jammerbugt/families/{fuzz_world.values['family_id']}/members/new",
        data={"role": "adult", "name": "Anna", "cpr": "٠١٠١٩٠-١٢٣٥"},
    )
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert not changed_tables(before, take_snapshot())


# -- found in the admin and sign-in code --------------------------------------------------------
# Each was a 500 (or a value too long for its column) before the fix it guards.


def test_a_settings_number_beyond_a_float_is_refused(
    app_ctx: Flask, client: FlaskClient, auth: Any, fuzz_world: World
) -> None:
    assert auth.login(fuzz_world.users["admin"].email).status_code == 302
    before = take_snapshot()
    response = client.post(
        "/jammerbugt/admin/settings",
        data={
            "team_model": "family_team",
            "interval_months": "1" + "0" * 400,
            "count": "4",
            "phases": "1",
            "phase_months": "6",
        },
    )
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert not changed_tables(before, take_snapshot())


def test_a_department_name_longer_than_its_column_is_refused(
    app_ctx: Flask, client: FlaskClient, auth: Any, fuzz_world: World
) -> None:
    assert auth.login(fuzz_world.users["admin"].email).status_code == 302
    before = take_snapshot()
    response = client.post(
        f"/jammerbugt/admin/departments/{fuzz_world.values['department_id']}",
        data={"name_da": "x" * 200, "name_en": "Department"},
    )
    assert response.status_code == 302
    assert not changed_tables(before, take_snapshot())


def test_a_language_change_with_a_broken_next_url_goes_home(
    app_ctx: Flask, client: FlaskClient, auth: Any, fuzz_world: World
) -> None:
    assert auth.login(fuzz_world.users["staff_assigned"].email).status_code == 302
    for target in ("http://[::1", "//[", "/a?b=http://["):
        response = client.post("/language", data={"language": "en", "next": target})
        assert response.status_code == 302
