"""Hypothesis sends arbitrary JSON to every API write: never a 5xx, errors as
problem+json, never a partial write.

The schemathesis run (test_live_api.py) checks that responses match the document for
requests the document describes; this one goes beyond the schema: wrong types and extreme
values in the right keys, values in the answers no form accepts, NaN and numbers beyond
any float and integers beyond any id, lone UTF-16 surrogates and NUL in strings, JSON
nested past the limit, arbitrary JSON and bytes as the body, bodies over the size limit, a
file part in place of a field, wrong content types and garbage in If-Match. After each
request the database is compared with before, as for the pages (tests/test_fuzz_writes.py):
a refused request changes nothing, an accepted one leaves whole data and its audit event.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, note
from hypothesis import strategies as st
from sqlalchemy import select

from app.api.schema import document
from app.api.tokens import create_token
from app.collection.models import Submission
from app.config import PROJECT_ROOT
from app.core.db import db
from app.definitions.loader import load_catalogue
from app.definitions.model import FormDef
from app.definitions.validation import validate_answers
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope
from tests.support.forms import valid_formdata
from tests.support.fuzz_pages import (
    FUZZED_API_ENDPOINTS,
    ROUTES,
    World,
    build_url,
    definition_of,
    fuzz_settings,
    rule_for,
)
from tests.support.fuzz_values import ANY_VALUE, LIVE, PLAIN_TEXT, POISON, RAW_BODIES
from tests.support.write_checks import WriteChecker, take_snapshot

PROBLEM = "application/problem+json"
#: Whose token writes: a lead may use every family of the municipality.
ROLE = "lead"

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


#: Values at the edges of what JSON and Python parse: beyond a float, NaN, nesting (also
#: past the limit of 32 levels), integers beyond any id column.
EXTREMES = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        -1,
        2**31,
        2**63,
        10**21,
        -(2**63) - 1,
        10**400,
        1e308,
        math.nan,
        math.inf,
        -math.inf,
        "",
        [],
        {},
        [[[]]],
        _nested(40),
        "x" * 5000,
        "²",
    ]
)
WRONG = st.one_of(EXTREMES, JSON_VALUES, ANY_VALUE)
#: Few values that each break a naive parser of some answer type; drawn for every answer at
#: once, they put each field's parser to the test in one request.
POTENT = st.sampled_from(
    [
        10**400,
        -(10**400),
        math.nan,
        math.inf,
        1e308,
        2**63,
        True,
        [],
        {"a": 1},
        "",
        "²",
        "2026-02-30",
    ]
)
#: A lone surrogate survives json.dumps as an escape and json.loads as a str.
JSON_POISON = (*POISON, "\ud800", "\udfff")
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json",  # twice: most bodies should reach the view
        "application/json; charset=utf-8",
        "application/merge-patch+json",
        "text/plain",
        "application/x-www-form-urlencoded",
    ]
)
#: If-Match values a broken client sends: quoted or weak, other scripts' digits, lists.
IF_MATCH = st.one_of(
    st.sampled_from(['"²"', '"¹²"', 'W/"1"', "*", '"999999999"', '"-1"', '""', '"1", "2"', "1"]),
    st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
        max_size=20,
    ),
)


# -- what each operation takes ------------------------------------------------------------------


def _operation(rule: Any) -> tuple[str, dict[str, Any], list[str]]:
    """The method, the request body's schema and the header parameters the document gives."""
    method = sorted(rule.methods - {"HEAD", "OPTIONS", "GET"})[0]
    spec = document()
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
    operation = spec["paths"][path][method.lower()]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    headers = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "header"]
    return method, schema, headers


def _good(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A value the schema describes, of the plainest kind."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return _good(schema["anyOf"][0])
    declared = schema.get("type")  # the JSON Schema type
    if declared == "string" and schema.get("format") == "date":
        return st.just(date.today().isoformat())
    if declared == "string" and schema.get("pattern", "").startswith("^"):
        return st.from_regex(schema["pattern"], fullmatch=True)
    if declared == "string":
        return PLAIN_TEXT
    if declared == "integer":
        return st.integers(schema.get("minimum", 1), 3)
    if declared == "object":
        return st.just({})
    return st.none()


def _submission_answers(app: Flask, world: World) -> list[dict[str, Any]]:
    """Consistent form, member and answers for the intake wave's submissions."""
    url = f"/jammerbugt/waves/{world.values['wave_id']}/forms/family_intake"
    family = valid_formdata(definition_of(app, url), date.today(), language="en")
    member = f"/jammerbugt/waves/{world.values['wave_id']}/members/{world.values['member_id']}"
    adult = valid_formdata(
        definition_of(app, f"{member}/forms/adult_intake"), date.today(), language="en"
    )
    return [
        {"form_id": "family_intake", "answers": family},
        {"form_id": "adult_intake", "member_id": world.values["member_id"], "answers": adult},
    ]


def _current_answers(app: Flask, world: World) -> list[dict[str, Any]]:
    """Valid answers for the submission the URL names (family A's child intake)."""
    jammerbugt = db.session.scalar(select(Municipality).filter_by(slug="jammerbugt"))
    with tenant_scope(jammerbugt):
        submission = db.session.get(Submission, world.values["submission_id"])
        answers = valid_formdata(submission.form_version.form, date.today(), language="en")
    db.session.commit()
    return [{"answers": answers}]


#: Operations whose bodies need values of the domain to get past validation at all.
API_HINTS: dict[str, Callable[[Flask, World], list[dict[str, Any]]]] = {
    "api.create_submission": _submission_answers,
    "api.update_submission": _current_answers,
}


# -- requests -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiRequest:
    body: Any  # a JSON value to encode, or the bytes to send
    content_type: str
    if_match: Any  # None (not sent), LIVE (the current ETag) or a text


def _strings(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Where the strings are in a JSON value, as paths of keys and indexes."""
    if isinstance(value, str):
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _strings(item, (*path, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _strings(item, (*path, index))]
    return []


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    return [_replaced(item, rest, new) if i == head else item for i, item in enumerate(value)]


@st.composite
def api_requests(
    draw: Any, schema: dict[str, Any], headers: list[str], hints: list[dict[str, Any]]
) -> ApiRequest:
    """A body the document describes, as it is, or with one key wrong, missing or unknown;
    every key wrong; one answer wrong or missing; every answer wrong; one string
    poisoned; any JSON at all instead; or bytes. If-Match right, missing or garbage."""
    if_match = None
    if "If-Match" in headers:
        # Mostly the current ETag, so that most requests get past the precondition.
        kind = draw(st.sampled_from(["current", "current", "missing", "garbage"]))
        if kind == "current":
            if_match = LIVE
        elif kind == "garbage":
            if_match = draw(IF_MATCH)
    shape = draw(st.sampled_from(["json"] * 8 + ["raw", "file part"]))
    if shape == "raw":  # also deep JSON, an oversize body, a file part (RAW_BODIES)
        raw, content_type = draw(RAW_BODIES)
        return ApiRequest(raw, content_type, if_match)
    if shape == "file part":  # a file where the document has a text field
        name = draw(st.sampled_from(sorted(schema.get("properties", {})) or ["label"]))
        raw = (
            f'--x\r\nContent-Disposition: form-data; name="{name}"; filename="a.txt"\r\n\r\n'
            "not text\r\n--x--\r\n"
        ).encode()
        return ApiRequest(raw, "multipart/form-data; boundary=x", if_match)
    body: dict[str, Any] = {}
    properties = schema.get("properties", {})
    for name, prop in properties.items():
        if name in schema.get("required", []) or draw(st.booleans()):
            body[name] = draw(_good(prop))
    if hints:
        body.update(draw(st.sampled_from(hints)))
    modes = ["document", "one wrong", "all wrong", "tainted", "anything"]
    if isinstance(body.get("answers"), dict):
        modes += ["one answer wrong", "all answers wrong"]
    mode = draw(st.sampled_from(modes))
    if mode == "one wrong":
        name = draw(st.sampled_from([*sorted(properties), "unknown"]))
        if draw(st.booleans()) and name in body:
            del body[name]
        else:
            body[name] = draw(WRONG)
    elif mode == "all wrong":
        body = {name: draw(WRONG) for name in body}
    elif mode == "one answer wrong":
        answers = dict(body["answers"])
        name = draw(st.sampled_from([*sorted(answers), "no_such_field"]))
        if draw(st.booleans()) and name in answers:
            del answers[name]  # a required answer missing, or an optional one
        else:
            answers[name] = draw(WRONG)
        body["answers"] = answers
    elif mode == "all answers wrong":
        body["answers"] = {name: draw(POTENT) for name in body["answers"]}
    elif mode == "tainted" and _strings(body):
        # One string poisoned and the rest valid, so the poison reaches as far as it can.
        path = draw(st.sampled_from(_strings(body)))
        text = _get(body, path)
        at = draw(st.integers(0, len(text)))
        body = _replaced(body, path, text[:at] + draw(st.sampled_from(JSON_POISON)) + text[at:])
    elif mode == "anything":
        body = draw(JSON_VALUES)
    return ApiRequest(body, draw(CONTENT_TYPES), if_match)


# -- the fuzzing --------------------------------------------------------------------------------


@pytest.fixture
def api_token(fuzz_world: World) -> str:
    jammerbugt = db.session.scalar(select(Municipality).filter_by(slug="jammerbugt"))
    user = fuzz_world.users[ROLE]
    with tenant_scope(jammerbugt, user.id):
        _, plain = create_token(user, jammerbugt, "fuzz")
        db.session.commit()
    return plain


def send_api(
    checker: WriteChecker,
    client: FlaskClient,
    method: str,
    url: str,
    token: str,
    request: ApiRequest,
) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if request.if_match is LIVE:
        # Read as a client would; the read commits its own audit event and the token's use,
        # so the comparison starts after it.
        headers["If-Match"] = client.get(url, headers=headers).headers.get("ETag", "")
        checker.before = take_snapshot()
    elif request.if_match is not None:
        headers["If-Match"] = request.if_match
    if isinstance(request.body, bytes):
        data, content_type = request.body, request.content_type
    else:
        data, content_type = json.dumps(request.body, allow_nan=True), request.content_type
    note(f"{method} {url} {headers.get('If-Match')!r} {content_type}: {data!r:.2000}")
    response = checker.open(method, url, data=data, content_type=content_type, headers=headers)
    where = f"{method} {url} answered {response.status_code}"
    if response.status_code >= 400:
        assert response.mimetype == PROBLEM, f"{where} as {response.mimetype}"
        assert response.get_json()["status"] == response.status_code, where
    else:
        assert response.mimetype == "application/json", f"{where} as {response.mimetype}"
    return response


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", FUZZED_API_ENDPOINTS)
def test_an_api_write_never_fails_and_never_writes_half(
    app_ctx: Flask, client: FlaskClient, fuzz_world: World, api_token: str, endpoint: str
) -> None:
    rule = rule_for(app_ctx, endpoint)
    method, schema, headers = _operation(rule)
    url = build_url(app_ctx, rule, fuzz_world.values)
    hints = API_HINTS[endpoint](app_ctx, fuzz_world) if endpoint in API_HINTS else []
    checker = WriteChecker(client, pages=False)
    requests = api_requests(schema, headers, hints)

    @fuzz_settings(30)
    @given(data=st.data())
    def call(data: st.DataObject) -> None:
        send_api(checker, client, method, url, api_token, data.draw(requests, label="request"))

    call()
    assert checker.reached_the_view(), f"{endpoint}: {dict(checker.statuses)}"


@cache
def core_forms() -> list[FormDef]:
    catalogue = load_catalogue(PROJECT_ROOT / "forms")
    return sorted(catalogue.forms.values(), key=lambda form: (form.form_id, form.version))


@pytest.mark.slow
@fuzz_settings(300, stateful=False)
@given(data=st.data())
def test_answers_of_any_json_type_never_break_validation(data: st.DataObject) -> None:
    """The pages and the API share one validation; every answer of every form, given any
    JSON value, is refused with a message or stored as JSON both databases accept."""
    form = data.draw(st.sampled_from(core_forms()), label="form")
    inputs = [f for f in form.fields if f.kind.input]
    answers = {f.name: data.draw(st.one_of(POTENT, WRONG), label=f.name) for f in inputs}
    with ROUTES.test_request_context():  # messages are translated lazily
        result = validate_answers(form, answers, complete=False, today=date.today())
        str(result.errors)
    json.dumps(result.answers, allow_nan=False)  # what PostgreSQL's jsonb takes


# -- what the fuzzing found ------------------------------------------------------------------


def test_if_match_with_digits_of_other_scripts_is_a_failed_precondition(
    app_ctx: Flask, client: FlaskClient, fuzz_world: World, api_token: str
) -> None:
    """str.isdigit() accepted "²", and int() then raised: a 500 instead of a 412."""
    url = f"/api/v1/jammerbugt/families/{fuzz_world.values['family_id']}"
    before = take_snapshot()
    for etag in ('"²"', '"¹²"', 'W/"\u00b3"'):
        response = client.patch(
            url,
            json={"enrolment_date": "2026-01-20"},
            headers={"Authorization": f"Bearer {api_token}", "If-Match": etag},
        )
        assert response.status_code == 412 and response.mimetype == PROBLEM
    assert (
        client.get(
            "/api/v1/jammerbugt/families?page=%C2%B2",
            headers={"Authorization": f"Bearer {api_token}"},
        ).status_code
        == 422
    )
    assert take_snapshot().tables["family"] == before.tables["family"]


def test_strings_no_database_can_store_are_refused_as_problems(
    app_ctx: Flask, client: FlaskClient, fuzz_world: World, api_token: str
) -> None:
    """NUL was a 500 on PostgreSQL (and stored by SQLite); a lone surrogate escape was a
    500 on both."""
    before = take_snapshot()
    for label in ("a\x00b", "a\ud800b"):
        response = client.post(
            "/api/v1/jammerbugt/families",
            data=json.dumps({"label": label, "enrolment_date": "2026-01-15"}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {api_token}"},
        )
        assert response.status_code == 400 and response.mimetype == PROBLEM
    assert take_snapshot().tables["family"] == before.tables["family"]


def test_a_number_beyond_a_float_is_an_invalid_answer(
    app_ctx: Flask, client: FlaskClient, fuzz_world: World, api_token: str
) -> None:
    """float() of a JSON integer with 400 digits raised OverflowError for a decimal answer."""
    adult = _submission_answers(app_ctx, fuzz_world)[1]
    values = fuzz_world.values
    url = f"/api/v1/jammerbugt/families/{values['family_id']}/waves/{values['wave_id']}/submissions"
    before = take_snapshot()
    for huge in (10**400, -(10**400), 10**12):
        answers = {**adult["answers"], "years_with_employment_unit": huge, "birth_year": huge}
        response = client.post(
            url,
            data=json.dumps({**adult, "answers": answers, "status": "draft"}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {api_token}"},
        )
        assert response.status_code == 422 and response.mimetype == PROBLEM
        fields = {error["field"] for error in response.get_json()["errors"]}
        assert fields == {"answers.years_with_employment_unit", "answers.birth_year"}
    assert take_snapshot().tables["submission"] == before.tables["submission"]


def test_a_submitted_form_put_back_as_a_draft_stays_complete(
    app_ctx: Flask, client: FlaskClient, fuzz_world: World, api_token: str
) -> None:
    """status "draft" skipped the required answers of a submitted submission, which stayed
    "submitted" without them."""
    url = f"/api/v1/jammerbugt/submissions/{fuzz_world.values['submission_id']}"
    headers = {"Authorization": f"Bearer {api_token}"}
    current = client.get(url, headers=headers)
    assert current.get_json()["status"] == "submitted"
    answers = dict(_current_answers(app_ctx, fuzz_world)[0]["answers"])
    answers.pop(next(iter(answers)))
    before = take_snapshot()
    response = client.put(
        url,
        json={"answers": answers, "status": "draft"},
        headers={**headers, "If-Match": current.headers["ETag"]},
    )
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert take_snapshot().tables["submission"] == before.tables["submission"]
