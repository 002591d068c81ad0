"""Input shapes that each were a 500, now refused with a 4xx that says why.

Deeply nested JSON, a file part where a text field belongs, a page number beyond any
integer, an id beyond the database's integer, query parameters that clash with the
arguments of the page's own links, and a request larger than the limit. The fuzzing
(tests/test_fuzz_writes.py, tests/api/test_fuzz_api.py) generates each of these shapes for
every write; these tests pin the cases it found.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.api.schema import document
from app.api.tokens import create_token
from app.config import ConfigError, load_config
from app.core.db import db
from app.core.limits import MAX_JSON_DEPTH
from app.tenancy.config_files import SLUG_RE
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope
from tests.support.access import FAMILY_ARGS, expected
from tests.support.fuzz_pages import (
    API_ENDPOINTS,
    PLATFORM_USERS,
    ROLE_PREFERENCE,
    ROUTES,
    World,
    build_url,
    rule_for,
)
from tests.support.routes import PUBLIC_PREFIXES
from tests.support.write_checks import changed_tables, take_snapshot

PROBLEM = "application/problem+json"
#: Beyond any id either database stores (PostgreSQL's integer, SQLite's 64 bits).
HUGE_NUMBERS = (2**31, 2**63, 10**21)


def _token(world: World, role: str = "lead") -> str:
    jammerbugt = db.session.scalar(select(Municipality).filter_by(slug="jammerbugt"))
    user = world.users[role]
    with tenant_scope(jammerbugt, user.id):
        _, plain = create_token(user, jammerbugt, "limits")
        db.session.commit()
    return plain


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _api_rules() -> list[Any]:
    return [rule_for(ROUTES, endpoint) for endpoint in API_ENDPOINTS]


def _method(rule: Any) -> str:
    return sorted(rule.methods - {"HEAD", "OPTIONS", "GET"})[0]


def test_deeply_nested_json_is_refused_with_a_clear_message_on_every_write(
    app_ctx: Flask, client: FlaskClient, fuzz_world: World
) -> None:
    """Python's JSON parser raised RecursionError (a 500) for a body nested a few thousand
    levels deep, on every API write and on every page that reads a JSON body."""
    headers = {"Authorization": f"Bearer {_token(fuzz_world)}", "If-Match": '"1"'}
    before = take_snapshot()
    for rule in _api_rules():
        url = build_url(app_ctx, rule, fuzz_world.values)
        for body in (_nested(100_000), '{"a":' * (MAX_JSON_DEPTH + 1) + "1" + "}" * 33):
            response = client.open(
                url,
                method=_method(rule),
                data=body,
                content_type="application/json",
                headers=headers,
            )
            where = f"{rule.endpoint} answered {response.status_code}"
            assert response.status_code == 400 and response.mimetype == PROBLEM, where
            assert f"more than {MAX_JSON_DEPTH} levels" in response.get_json()["detail"], where
    # Pages read JSON bodies too (the check for text no database stores does).
    response = client.post("/login", data=_nested(100_000), content_type="application/json")
    assert response.status_code == 400 and response.mimetype == "text/html"
    # Nesting within the limit still reaches the view, which answers as before.
    url = build_url(app_ctx, _api_rules()[0], fuzz_world.values)
    response = client.post(
        url, data=_nested(MAX_JSON_DEPTH), content_type="application/json", headers=headers
    )
    assert response.status_code == 400 and "JSON object" in response.get_json()["detail"]
    assert not changed_tables(before, take_snapshot())


def test_a_file_part_named_like_a_text_field_is_refused(
    app_ctx: Flask, client: FlaskClient, auth: Any, fuzz_world: World
) -> None:
    """Flask-WTF hands a file part to a StringField as a FileStorage, whose .strip() and
    len() raised: a 500 on the sign-in page and on every form. Nothing in Helhed takes an
    upload, so a request with a file part is refused before any view."""

    def upload(name: str) -> tuple[io.BytesIO, str]:
        return io.BytesIO(b"not text"), f"{name}.txt"

    response = client.post(
        "/login",
        data={"email": upload("email"), "password": "x"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Her kan der ikke uploades filer" in response.get_data(as_text=True)
    assert auth.login(fuzz_world.users["staff_assigned"].email).status_code == 302
    before = take_snapshot()
    response = client.post(
        "/jammerbugt/families/new",
        data={"label": upload("label"), "enrolment_date": "2026-01-15"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert not changed_tables(before, take_snapshot())
    # The API takes no multipart at all: the same refusal, as a problem.
    headers = {"Authorization": f"Bearer {_token(fuzz_world)}"}
    response = client.post(
        "/api/v1/jammerbugt/families",
        data={"label": upload("label")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert "Files cannot be uploaded here" in response.get_json()["detail"]


@pytest.mark.parametrize("page", ["999999999999999999999", str(2**63), "0", "-1", "²"])
def test_a_family_list_page_beyond_any_page_is_not_found(
    app_ctx: Flask, client: FlaskClient, auth: Any, fuzz_world: World, page: str
) -> None:
    """The offset of page 10^21 overflowed both databases' integers: a 500."""
    assert auth.login(fuzz_world.users["staff_assigned"].email).status_code == 302
    response = client.get(f"/jammerbugt/families/?page={page}")
    assert response.status_code == 404
    assert client.get("/jammerbugt/families/?page=2").status_code == 200


def test_a_member_id_beyond_the_database_integer_is_an_invalid_field(
    app_ctx: Flask, client: FlaskClient, fuzz_world: World
) -> None:
    """A member_id of 2^31 and more reached the query and overflowed the column."""
    values = fuzz_world.values
    url = f"/api/v1/jammerbugt/families/{values['family_id']}/waves/{values['wave_id']}/submissions"
    headers = {"Authorization": f"Bearer {_token(fuzz_world)}"}
    before = take_snapshot()
    for huge in (*HUGE_NUMBERS, 0, -1):
        body = {"form_id": "adult_intake", "member_id": huge, "answers": {}, "status": "draft"}
        response = client.post(
            url, data=json.dumps(body), headers=headers, content_type="application/json"
        )
        assert response.status_code == 422 and response.mimetype == PROBLEM, huge
        assert [e["field"] for e in response.get_json()["errors"]] == ["member_id"]
    assert not changed_tables(before, take_snapshot())


def test_an_id_beyond_the_database_integer_in_any_api_url_is_not_found(
    app_ctx: Flask, client: FlaskClient, fuzz_world: World
) -> None:
    """Every API route with a number in its URL, that number beyond any stored id: 404.
    The form version's number reached its query unchecked."""
    headers = {"Authorization": f"Bearer {_token(fuzz_world)}", "If-Match": '"1"'}
    for rule in ROUTES.url_map.iter_rules():
        numbers = re.findall(r"<int:(\w+)>", rule.rule)
        if not rule.endpoint.startswith("api.") or not numbers:
            continue
        for huge in HUGE_NUMBERS:
            values = {**fuzz_world.values, **{name: huge for name in numbers}}
            url = build_url(app_ctx, rule, values)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method, json={}, headers=headers)
                where = f"{method} {url} answered {response.status_code}"
                assert response.status_code == 404 and response.mimetype == PROBLEM, where


@pytest.mark.parametrize(
    "query", ["study_id=1", "_scheme=javascript", "_method=DELETE", "_external=1", "_anchor=x"]
)
def test_study_report_query_parameters_that_clash_with_its_links_are_ignored(
    app_ctx: Flask, client: FlaskClient, auth: Any, fuzz_world: World, query: str
) -> None:
    """The page passed every query parameter on to url_for() for its CSV link: study_id
    twice was a TypeError and _scheme without _external a ValueError, both 500s."""
    assert auth.login(fuzz_world.users["operator"].email).status_code == 302
    study_id = fuzz_world.values["study_id"]
    response = client.get(f"/research/studies/{study_id}/report?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'href="/research/studies/{study_id}/report/indicators.csv"' in html


def test_the_request_size_limit_comes_from_the_environment_and_leaves_forms_room(
    tmp_path: Any,
) -> None:
    testing = {"HELHED_ENV": "testing"}
    assert load_config(tmp_path, environ=testing)["MAX_CONTENT_LENGTH"] == 1024 * 1024
    config = load_config(tmp_path, environ={**testing, "MAX_CONTENT_LENGTH": "200000"})
    assert config["MAX_CONTENT_LENGTH"] == 200_000
    with pytest.raises(ConfigError, match="MAX_CONTENT_LENGTH must be at least"):
        load_config(tmp_path, environ={**testing, "MAX_CONTENT_LENGTH": "1000"})


def test_a_request_larger_than_the_limit_is_refused_with_a_clear_message(
    app_ctx: Flask, client: FlaskClient, fuzz_world: World
) -> None:
    """No limit was set: a body of any size was read into memory. Pages answer 413 with a
    page that says what to do; the API with a problem."""
    limit = app_ctx.config["MAX_CONTENT_LENGTH"]
    oversize = b"label=" + b"x" * limit
    response = client.post(
        "/login", data=oversize, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert "Det, du sendte, er for stort" in response.get_data(as_text=True)
    headers = {"Authorization": f"Bearer {_token(fuzz_world)}"}
    body = json.dumps({"label": "x" * limit, "enrolment_date": "2026-01-15"})
    response = client.post(
        "/api/v1/jammerbugt/families", data=body, content_type="application/json", headers=headers
    )
    assert response.status_code == 413 and response.mimetype == PROBLEM
    assert f"{limit} bytes" in response.get_json()["detail"]


#: Query strings no page offers: paging beyond any integer, parameters named like the
#: arguments of url_for(), filters with impossible dates and overlong text.
HOSTILE_QUERIES = (
    "page=999999999999999999999&per_page=999999999999999999999",
    "page=-1&per_page=0&status=" + "x" * 300,
    "study_id=1&_scheme=javascript&_external=1&_method=DELETE&_anchor=x",
    "municipality=" + "x" * 300 + "&q=" + "%25" * 100,
    "since=99999-01-01&until=0000-00-00&object_id=" + "9" * 40,
)


def _reader(rule: Any) -> str | None:
    """The least powerful role that may open a page, or None if no fuzzing user may."""
    if "slug" in rule.arguments and not rule.endpoint.startswith(PUBLIC_PREFIXES):
        family = "A" if rule.arguments & FAMILY_ARGS else None
        return next(
            (r for r in ROLE_PREFERENCE if expected(rule.endpoint, "GET", r, family) == "allowed"),
            None,
        )
    return PLATFORM_USERS.get(rule.endpoint.split(".")[0], "staff_assigned")


@pytest.mark.slow
def test_every_page_and_list_takes_any_query_string(
    app_ctx: Flask, client: FlaskClient, auth: Any, fuzz_world: World
) -> None:
    """Every page (and every API read) with each hostile query string: never a 5xx. The
    family list's page overflowed the databases, and the study report's and the audit
    log's query reached url_for() as its arguments."""
    pages: dict[str, list[Any]] = {}
    for rule in ROUTES.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.endpoint.startswith(("auth.", "api.")) or "job_id" in rule.arguments:
            continue  # sign-in pages keep a pending sign-in; jobs: none in this world
        role = _reader(rule)
        if role is not None:
            pages.setdefault(role, []).append(rule)
    assert sum(len(rules) for rules in pages.values()) > 30
    for role, rules in pages.items():
        assert auth.login(fuzz_world.users[role].email).status_code == 302
        for rule in rules:
            url = build_url(app_ctx, rule, fuzz_world.values)
            for query in HOSTILE_QUERIES:
                response = client.get(f"{url}?{query}")
                response.close()  # a CSV streams; closing ends its request
                # Readiness answers 503 by design when a part is missing (the tests'
                # PostgreSQL has no job worker); it must still answer in JSON.
                if rule.endpoint == "core.readyz" and response.status_code == 503:
                    assert response.is_json, f"{url}?{query}"
                    continue
                assert response.status_code < 500, f"{url}?{query}"
    headers = {"Authorization": f"Bearer {_token(fuzz_world)}"}
    for rule in ROUTES.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and "GET" in rule.methods:
            url = build_url(app_ctx, rule, {**fuzz_world.values, "version": 1})
            for query in HOSTILE_QUERIES:
                response = client.get(f"{url}?{query}", headers=headers)
                assert response.status_code < 500, f"{url}?{query}"
                if response.status_code >= 400:
                    assert response.mimetype == PROBLEM, f"{url}?{query}"


def test_every_slug_the_document_allows_is_answered_as_a_municipality(app: Flask) -> None:
    """The document gave the slug as any string, so a schema-valid slug of arbitrary
    Unicode (NUL, a slash) was refused with an undocumented 400. It now gives the pattern
    of the municipality files, and every slug that matches it is looked up: no such
    municipality (404), or one that wants a token (401)."""
    spec = document()
    for path, item in spec["paths"].items():
        for operation in item.values():
            (slug_parameter,) = [p for p in operation["parameters"] if p["name"] == "slug"]
            assert slug_parameter["schema"]["pattern"] == SLUG_RE.pattern, path
    client = app.test_client()

    @settings(max_examples=50, deadline=None, database=None, derandomize=True)
    @given(slug=st.from_regex(SLUG_RE.pattern, fullmatch=True))
    def look_up(slug: str) -> None:
        response = client.get(f"/api/v1/{slug}/settings")
        assert response.status_code in (401, 404) and response.mimetype == PROBLEM, slug

    look_up()
