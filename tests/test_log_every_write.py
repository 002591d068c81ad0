"""Every write route, refused by the database, leaves no personal data in the log.

The write routes come from the fuzzing's registry (:data:`FORM_ENDPOINTS`, the URL map's
form writes; the excluded ones are listed there with their reasons). For each, the user
whose role may use it opens the page with its form and posts it with a planted name,
e-mail address and CPR number in every text field, while the database refuses every row
written to any table but the audit trail (and any audit row that carries a planted
value). On PostgreSQL the refusal quotes the whole refused row in its message
(``row_to_json``), the worst a database error can hold; on SQLite the statement's
parameters are the path a value could take into a log. The records are searched as the
production formatter writes them and as a plain one does, traceback and exception messages
included: the error itself must hold no value, whoever prints it.

Every log record is formatted as production writes it (one JSON line) and must parse as
JSON, carry the request id the answer sent back, and hold none of the planted values: not
the name, the address, the CPR number with or without its dash, nor the CPR number as the
database received it, encrypted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from werkzeug.datastructures import MultiDict

from app.api.tokens import create_token
from app.core.db import db
from app.core.logs import REQUEST_ID_HEADER
from app.families.models import Wave
from app.tenancy.scoping import tenant_scope
from tests.support.apps import owner_engine
from tests.support.fuzz_pages import (
    FORM_ENDPOINTS,
    FUZZED_API_ENDPOINTS,
    HINTS,
    HtmlForm,
    World,
    find_target,
    role_for,
    rule_for,
)
from tests.support.log_capture import CPR, EMAIL, NAME, Captured, planted, sent  # noqa: F401

pytestmark = pytest.mark.slow

_REFUSE = "test_refuse_write"

#: Routes that take a POST but write nothing a database could refuse.
NOT_WRITES = {
    "families.index": (
        "the family search posts only to keep a CPR number out of addresses, and writes "
        "nothing; tests/test_log_privacy.py searches every log for the number it was given"
    ),
    "imports.upload": (
        "its one field is a file, which the planted form bodies of this loop cannot carry; "
        "the upload writes the import's row and an event with counts only, and its failure "
        "is logged by class (tests/test_family_import_pages.py sends it twice and with a "
        "refused file)"
    ),
    "localforms.upload": (
        "its file field cannot be carried by the planted form bodies either, and the upload "
        "writes nothing: the converted form travels to the preview in a signed token; the "
        "publishing writes the version and an event with its form id and number "
        "(tests/test_form_import_pages.py)"
    ),
}


def _tables() -> list[str]:
    return sorted(table.name for table in db.metadata.sorted_tables)


def _install(backend: str) -> tuple[list[str], list[str]]:
    """The statements that make the database refuse every write, and those that undo it."""
    make, undo = [], []
    if backend == "postgresql":
        make.append(
            f"CREATE FUNCTION {_REFUSE}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "DECLARE row_text text := row_to_json(COALESCE(NEW, OLD))::text; BEGIN "
            f"IF TG_TABLE_NAME <> 'audit_event' OR row_text LIKE '%{NAME}%' "
            f"OR row_text LIKE '%{EMAIL}%' THEN "
            "RAISE EXCEPTION 'refused: %', row_text; END IF; "
            "RETURN COALESCE(NEW, OLD); END $$"
        )
        for table in _tables():
            make.append(
                f'CREATE TRIGGER {_REFUSE} BEFORE INSERT OR UPDATE OR DELETE ON "{table}" '
                f"FOR EACH ROW EXECUTE FUNCTION {_REFUSE}()"
            )
            undo.append(f'DROP TRIGGER IF EXISTS {_REFUSE} ON "{table}"')
        undo.append(f"DROP FUNCTION IF EXISTS {_REFUSE}()")
        return make, undo
    for table in _tables():
        for operation in ("INSERT", "UPDATE", "DELETE"):
            name = f"{_REFUSE}_{table}_{operation.lower()}"
            row = "OLD" if operation == "DELETE" else "NEW"
            when = (
                f"WHEN {row}.details LIKE '%{NAME}%' OR {row}.details LIKE '%{EMAIL}%' "
                if table == "audit_event"
                else ""
            )
            # A function that does not exist: the write fails as a database error
            # (OperationalError), not as a constraint, which views may take for a
            # duplicate they handle.
            make.append(
                f'CREATE TRIGGER {name} BEFORE {operation} ON "{table}" {when}'
                f"BEGIN SELECT {_REFUSE}_refused({row}.rowid); END"
            )
            undo.append(f"DROP TRIGGER IF EXISTS {name}")
    return make, undo


@pytest.fixture
def refusing(app_ctx: Flask, backend: str) -> Iterator[Any]:
    """A switch: inside ``with refusing():`` the database refuses every write."""
    make, undo = _install(backend)
    from contextlib import contextmanager

    @contextmanager
    def switch() -> Iterator[None]:
        with owner_engine(app_ctx).begin() as connection:
            for statement in make:
                connection.execute(text(statement))
        try:
            yield
        finally:
            with owner_engine(app_ctx).begin() as connection:
                for statement in undo:
                    connection.execute(text(statement))

    yield switch


def _day_before(shown: list[str]) -> str:
    """A day the form does not show already, so that a correction changes something."""
    day = date.fromisoformat(shown[0]) if shown else date.today()
    return (day - timedelta(days=1)).isoformat()


#: The HTML controls a person types text into.
_TYPED_TEXT = frozenset({"text", "textarea", "search", "email", "tel"})
#: What a person types into the HTML controls that take neither text nor a choice.
_TYPED = {
    "date": _day_before,
    "numeric": lambda shown: shown[0] if shown else "1",
    "decimal": lambda shown: shown[0] if shown else "1",
}


def planted_body(form: HtmlForm, hints: dict[str, list[str]]) -> MultiDict:
    """The form as a person fills it, with the planted values in every text they type."""
    body: list[tuple[str, str]] = []
    for name, spec in form.fields.items():
        if name in hints:
            body.extend((name, value) for value in hints[name])
        elif "cpr" in name.lower():
            body.append((name, CPR))
        elif spec.kind in _TYPED_TEXT:
            is_email = spec.kind == "email" or "email" in name.lower()
            body.append((name, EMAIL if is_email else NAME))
        elif spec.kind in _TYPED:
            body.append((name, _TYPED[spec.kind](spec.values)))
        elif spec.kind == "select":
            chosen = [v for v in spec.values if v]
            if chosen:
                body.append((name, chosen[0]))
        elif spec.values:
            body.append((name, spec.values[0]))
    # A field the next step of the page shows (a confirmation).
    body.extend((n, v) for n, values in hints.items() if n not in form.fields for v in values)
    return MultiDict(body)


def send_refused(app: Flask, refusing: Any, send: Any) -> tuple[Any, Captured, Captured]:
    """*send()* while the database refuses every write: its response, and its records as
    the production formatter writes them and as any other handler would print them (the
    message and the whole traceback, exception messages included, so the database error
    itself must hold no value)."""
    records, plain = Captured(), Captured()
    plain.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    loggers = [logging.getLogger(), app.logger]
    for logger in loggers:
        logger.addHandler(records)
        logger.addHandler(plain)
    # Flask logs an unhandled error itself only when it does not hand it on (as in tests).
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        with refusing():
            return send(), records, plain
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
        for logger in loggers:
            logger.removeHandler(records)
            logger.removeHandler(plain)


def assert_nothing_planted_logged(
    response: Any, records: Captured, plain: Captured, sent: list[str]
) -> None:
    assert records.texts, "a refused write is logged"
    request_id = response.headers[REQUEST_ID_HEADER]
    for line in records.texts:
        assert json.loads(line)["request_id"] == request_id, line
    assert any("Traceback" in t for t in plain.texts), "the failure's traceback is logged"
    texts = records.texts + plain.texts
    leaks = {value: [t for t in texts if value in t] for value in planted(sent)}
    assert {value: found for value, found in leaks.items() if found} == {}


def test_what_is_left_out_is_a_form_route_with_a_reason() -> None:
    for endpoint, reason in NOT_WRITES.items():
        assert endpoint in FORM_ENDPOINTS and reason.strip(), endpoint


@pytest.mark.parametrize("endpoint", [e for e in FORM_ENDPOINTS if e not in NOT_WRITES])
def test_a_write_the_database_refuses_logs_no_personal_data(
    app_ctx: Flask,
    client: FlaskClient,
    auth: Any,
    fuzz_world: World,
    refusing: Any,
    sent: list[str],
    endpoint: str,
) -> None:
    rule = rule_for(app_ctx, endpoint)
    role = role_for(rule)
    assert auth.login(fuzz_world.users[role].email).status_code == 302
    target = find_target(client, app_ctx, rule, fuzz_world, role)
    hints = HINTS[endpoint](app_ctx, target) if endpoint in HINTS else {}
    if endpoint == "operator.two_factor":
        # It acts on an account by its address: a real person's, which must not be logged.
        hints = {"email": [fuzz_world.users["admin"].email], "confirm": ["y"]}
        sent.append(fuzz_world.users["admin"].email)
    form = target.first
    body = planted_body(form, hints)
    response, records, plain = send_refused(
        app_ctx, refusing, lambda: client.post(form.action, data=body)
    )
    # The database refused the write: the view did not get past it.
    assert response.status_code == 500, (endpoint, response.status_code, body)
    assert_nothing_planted_logged(response, records, plain, sent)


# -- the API's writes ------------------------------------------------------------------------

API = "/api/v1/assens"


@pytest.fixture
def api(municipalities: Any, make_user: Any, make_family: Any) -> dict[str, Any]:
    """A token of a staff member of Assens, a family of theirs, a draft to change."""
    municipality = municipalities["assens"]
    staff = make_user(municipality, "staff")
    family = make_family("assens", adults=1, children=1, team=[staff])
    with tenant_scope(municipality, staff.id):
        _, plain = create_token(staff, municipality, "Fagsystem")
        wave = db.session.scalar(
            select(Wave).where(Wave.family_id == family.id, Wave.kind == "intake")
        )
        ids = {"family": family.id, "member": family.members[0].id, "wave": wave.id}
        db.session.commit()
    return {"headers": {"Authorization": f"Bearer {plain}"}, **ids}


def _etag(client: FlaskClient, path: str, headers: dict[str, str]) -> dict[str, str]:
    response = client.get(f"{API}{path}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return {**headers, "If-Match": response.headers["ETag"]}


def _draft(client: FlaskClient, world: dict[str, Any]) -> int:
    response = client.post(
        f"{API}/families/{world['family']}/waves/{world['wave']}/submissions",
        json={"form_id": "family_intake", "answers": {}, "status": "draft"},
        headers=world["headers"],
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


#: Every API write with a planted body: (method, path, body, headers), made from the world.
API_WRITES: dict[str, Any] = {
    "api.enrol": lambda c, w: (
        "POST",
        "/families",
        {"label": NAME, "enrolment_date": "2026-01-15"},
        w["headers"],
    ),
    "api.add_member_api": lambda c, w: (
        "POST",
        f"/families/{w['family']}/members",
        {"role": "adult", "name": NAME, "cpr": CPR},
        w["headers"],
    ),
    "api.end_member_api": lambda c, w: (
        "POST",
        f"/families/{w['family']}/members/{w['member']}/end",
        {"end_date": "2026-03-01"},
        w["headers"],
    ),
    "api.correct_family": lambda c, w: (
        "PATCH",
        f"/families/{w['family']}",
        {"enrolment_date": "2026-01-14"},
        _etag(c, f"/families/{w['family']}", w["headers"]),
    ),
    "api.create_submission": lambda c, w: (
        "POST",
        f"/families/{w['family']}/waves/{w['wave']}/submissions",
        {"form_id": "family_intake", "answers": {}, "status": "draft"},
        w["headers"],
    ),
    "api.update_submission": lambda c, w: (
        "PUT",
        f"/submissions/{(draft := _draft(c, w))}",
        {"answers": {}, "status": "draft"},
        _etag(c, f"/submissions/{draft}", w["headers"]),
    ),
}


def test_the_list_of_api_writes_is_every_write_of_the_api(app_ctx: Flask) -> None:
    assert set(API_WRITES) == set(FUZZED_API_ENDPOINTS)


@pytest.mark.parametrize("endpoint", sorted(API_WRITES))
def test_an_api_write_the_database_refuses_logs_no_personal_data(
    app_ctx: Flask,
    client: FlaskClient,
    api: dict[str, Any],
    refusing: Any,
    sent: list[str],
    endpoint: str,
) -> None:
    method, path, body, headers = API_WRITES[endpoint](client, api)
    response, records, plain = send_refused(
        app_ctx,
        refusing,
        lambda: client.open(f"{API}{path}", method=method, json=body, headers=headers),
    )
    assert response.status_code == 500, (endpoint, response.status_code, response.get_data())
    assert_nothing_planted_logged(response, records, plain, sent)
