"""No personal data in the logs, not even when the database refuses a write.

Writes carrying a planted name, e-mail address and CPR number are made to fail in the
database (every kind of refusal either database gives: a unique value, a foreign key, a
check, a missing value, a value too long or of the wrong type): through the service layer
with the failure logged as the background jobs log theirs, through a real request that
answers 500, which Flask logs, and through a real report job that fails on a value it
reads. Every log record's formatted text, tracebacks included, is then searched for the
planted values: the name, the e-mail address, the CPR number with and without its dash,
and the CPR number as the database received it, encrypted.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError
from werkzeug.serving import make_server

from app.audit.models import AuditEvent
from app.auth.models import User
from app.core.db import db
from app.core.logs import REQUEST_ID_HEADER
from app.families.models import Family, Member
from app.families.services import add_member
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.apps import owner_engine
from tests.support.log_capture import CPR, EMAIL, NAME, Captured, planted, sent  # noqa: F401


@pytest.fixture
def log(app: Flask) -> Iterator[Captured]:
    """A real handler on the root logger and on the app's own (which need not propagate)."""
    handler = Captured()
    loggers = [logging.getLogger(), app.logger, logging.getLogger("werkzeug")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def assert_nothing_planted(log: Captured, sent: list[str], *, expected_records: int) -> None:
    assert len(log.texts) >= expected_records, log.texts
    leaks = {value: [t for t in log.texts if value in t] for value in planted(sent)}
    assert {value: found for value, found in leaks.items() if found} == {}


def _member(family, **overrides) -> Member:
    values = dict(
        municipality_id=family.municipality_id,
        family_id=family.id,
        role="adult",
        name=NAME,
        cpr=CPR,
        start_date=date(2026, 2, 1),
    )
    return Member(**{**values, **overrides})


#: Every kind of refusal, each a write that carries the planted values. (SQLite does not
#: check a text's length, so that one is refused by PostgreSQL alone.)
REFUSALS: dict[str, Callable[..., object]] = {
    "unique value": lambda family, user: User(email=user.email, name=NAME, password_hash="x"),
    "foreign key": lambda family, user: _member(family, family_id=family.id + 10_000),
    "check": lambda family, user: _member(family, end_date=date(2026, 1, 1)),
    "check on a code": lambda family, user: _member(family, role="grandparent"),
    "missing value": lambda family, user: _member(family, start_date=None),
    "too long": lambda family, user: _member(family, name=NAME + " " + "x" * 300),
    # PostgreSQL quotes such a value in the main message, not only in its details.
    "not a date": lambda family, user: _member(family, start_date=NAME),
}


@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_a_refused_write_logs_no_personal_data(
    app, municipalities, make_family, make_user, log, sent, backend, refusal
):
    family = make_family("brondby")
    user = make_user(email=EMAIL)
    with tenant_scope(municipalities["brondby"]):
        db.session.add(REFUSALS[refusal](family, user))
        try:
            db.session.flush()
        except StatementError:  # the database's refusals, and its driver's
            # As the background jobs log their failures: the message and the traceback.
            app.logger.exception("the write failed")
            logging.getLogger("helhed.test").exception("the write failed")
            db.session.rollback()
        else:
            db.session.rollback()
            if backend == "sqlite" and refusal == "too long":
                # SQLite does not check a text's length: the write is accepted (the forms
                # and the API bound every text before it), and nothing is logged.
                assert_nothing_planted(log, sent, expected_records=0)
                return
            pytest.fail(f"the database accepted the {refusal}")
    assert_nothing_planted(log, sent, expected_records=2)


@pytest.fixture
def refusing_member_table(app: Flask, backend: str) -> Iterator[None]:
    """The database refuses the planted person, after the application has accepted them.

    A check on PostgreSQL (its message lists the whole refused row), a trigger on SQLite
    (which cannot add a check to a table it has).
    """
    statements = {
        "postgresql": (
            f"ALTER TABLE family_member ADD CONSTRAINT test_refuses_planted "
            f"CHECK (name <> '{NAME}')",
            "ALTER TABLE family_member DROP CONSTRAINT test_refuses_planted",
        ),
        "sqlite": (
            f"CREATE TRIGGER test_refuses_planted BEFORE INSERT ON family_member "
            f"WHEN NEW.name = '{NAME}' BEGIN SELECT RAISE(ABORT, 'refused'); END",
            "DROP TRIGGER test_refuses_planted",
        ),
    }[backend]
    with owner_engine(app).begin() as connection:
        connection.execute(text(statements[0]))
    try:
        yield
    finally:
        with owner_engine(app).begin() as connection:
            connection.execute(text(statements[1]))


def test_a_request_the_database_refuses_logs_no_personal_data(
    app, client, auth, municipalities, make_family, make_user, log, sent, refusing_member_table
):
    staff = make_user(municipalities["brondby"], "staff")
    family = make_family("brondby", adults=0, children=0, team=[staff])
    auth.login(staff.email)
    # Flask logs an unhandled error itself only when it does not hand it on (as in tests).
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.post(
            f"/brondby/families/{family.id}/members/new",
            data={"role": "adult", "name": NAME, "cpr": CPR},
        )
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    assert sent, "the refused row never reached the database"
    assert_nothing_planted(log, sent, expected_records=1)
    # Every line of the failed request names it, as the answer's header does.
    request_id = response.headers[REQUEST_ID_HEADER]
    lines = log.lines()
    assert {line.get("request_id") for line in lines} == {request_id}
    failure = next(line for line in lines if "exception" in line)
    assert failure["route"] == "families.add_member" or failure["route"]
    assert failure["user_id"] == staff.id and failure["municipality"] == "brondby"
    assert failure["stack"] and all(frame.count(":") == 2 for frame in failure["stack"])


@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_a_name_planted_in_the_answer_document_never_reaches_the_report_job(
    app, client, auth, municipalities, make_family, make_user, log
):
    """The figures read the typed answers, not the JSON document.

    A number answer of the document holds a person's name (written past the form's checks,
    straight into the database). When the figures parsed the JSON, PostgreSQL failed on
    it and quoted the name in the job's traceback; the typed row of that answer is a
    number, so the job now reads the number and succeeds, and the log holds no name.
    """
    from tests.support.research import fill_wave

    brondby = municipalities["brondby"]
    family = make_family("brondby")
    with tenant_scope(brondby):
        fill_wave(brondby, family, family.waves[0])
        db.session.commit()
    with owner_engine(app).begin() as connection:
        changed = connection.execute(
            text(
                "UPDATE submission SET answers = jsonb_set(answers, '{n_contact_persons}', "
                "to_jsonb(CAST(:name AS text))) WHERE form_id = 'family_intake'"
            ),
            {"name": NAME},
        ).rowcount
    assert changed == 1
    lead = make_user(brondby, "lead")
    auth.login(lead.email)
    app.config["EXPORTS_INLINE"] = True
    try:
        response = client.post("/brondby/reports/pdf", data={"language": "da"})
    finally:
        app.config["EXPORTS_INLINE"] = False
    assert response.status_code == 302
    job_page = client.get(response.location).get_data(as_text=True)
    assert "PDF&#39;en kunne ikke laves" not in job_page
    assert NAME not in job_page
    assert_nothing_planted(log, [], expected_records=0)


def test_mails_leave_neither_address_nor_text_in_the_log(
    app, client, auth, municipalities, make_user, log, smtp, monkeypatch
):
    """With a mail server, the log says at most that a mail went or failed: never to whom,
    nor its text (a link's secret, a municipality's counts)."""
    brondby = municipalities["brondby"]
    admin = make_user(brondby, "admin")
    auth.login(admin.email)
    # A new person's invitation mail, sent in the request.
    client.post("/brondby/admin/people/new", data={"email": EMAIL, "name": NAME, "role": "staff"})
    auth.logout()
    # A reset mail, sent from its own thread.
    assert client.post("/password/forgot", data={"email": EMAIL}).status_code == 200
    messages = smtp.wait_for(2)
    assert [str(m["To"]) for m in messages] == [EMAIL, EMAIL]
    # A mail the server cannot take: the failure is logged, without the address.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        monkeypatch.setitem(app.config, "MAIL_PORT", closed.getsockname()[1])
    assert client.post("/password/forgot", data={"email": EMAIL}).status_code == 200
    for _ in range(300):
        if any("could not be sent" in text for text in log.texts):
            break
        time.sleep(0.05)
    assert_nothing_planted(log, [], expected_records=1)
    bodies = [m.get_body(preferencelist=("plain",)).get_content() for m in messages]
    lines = {line.strip() for body in bodies for line in body.splitlines() if len(line) > 20}
    assert lines
    assert not [line for line in lines if any(line in text for text in log.texts)]


def _clear_in_the_database(app: Flask, values: list[str]) -> list[str]:
    """Every column of every table, read as text by the table owner, holding a value."""
    found = []
    with owner_engine(app).connect() as connection:
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                rows = connection.execute(
                    text(f'SELECT CAST("{column.name}" AS TEXT) FROM "{table.name}"')
                ).scalars()
                found += [
                    f"{table.name}.{column.name}"
                    for stored in rows
                    for value in values
                    if stored is not None and value in stored
                ]
    return found


@pytest.fixture
def served(app_ctx: Flask) -> Iterator[str]:
    """The application behind the development server (whose access log is "werkzeug")."""
    server = make_server("127.0.0.1", 0, app_ctx)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    thread.join()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _send(base: str, cookie: str, path: str, form: dict[str, str] | None = None):
    """One request to the running server, as the browser sends it: nothing followed."""
    request = urllib.request.Request(
        base + path,
        data=urllib.parse.urlencode(form).encode() if form is not None else None,
        headers={"Cookie": f"session={cookie}"},
    )
    try:
        return urllib.request.build_opener(_NoRedirects).open(request)
    except urllib.error.HTTPError as answer:  # a redirect not followed
        return answer


def test_a_cpr_search_leaves_the_number_in_no_log_audit_row_address_or_column(
    app, client, auth, municipalities, make_family, make_user, log, sent, served
):
    """A lead searches the family list by CPR number as the page does (its form posts),
    with the dash and without it, through the development server: the family is found,
    and the number is in no log record (the server's access log included), in no audit
    row, in no address of the answer (its Location, any link or form of the page) and in
    no column of the database in clear."""
    brondby = municipalities["brondby"]
    lead = make_user(brondby, "lead")
    family = make_family("brondby", label="Familien Søgesen", adults=0, children=0)
    with tenant_scope(brondby):
        add_member(db.session.get(Family, family.id), "adult", NAME, family.enrolment_date, CPR)
        db.session.commit()
    auth.login(lead.email)
    cookie = client.get_cookie("session").value
    digits = CPR.replace("-", "")
    for typed in (CPR, digits, f" {CPR} "):
        answer = _send(served, cookie, "/brondby/families/", {"q": typed, "scope": "team"})
        html = answer.read().decode()
        assert answer.status == 200 and answer.headers.get("Location") is None
        assert "Familien Søgesen" in html, "the CPR search found nothing"
        addresses = [
            part.split('"', 1)[0]
            for attribute in ('href="', 'action="', 'src="')
            for part in html.split(attribute)[1:]
        ]
        assert addresses
        assert [a for a in addresses if CPR in a or digits in a] == []
    # An address carrying the number (written by hand) is sent on without it.
    kept = _send(served, cookie, f"/brondby/families/?q={CPR}&sort=label")
    assert kept.status == 302
    assert digits not in kept.headers["Location"] and CPR not in kept.headers["Location"]
    kept.read()
    # The server logged each request. The address written by hand is in its log, as it
    # was sent: that request is the one the page never makes, and the only line with it.
    access = [t for t in log.texts if '"logger": "werkzeug"' in t and "/brondby/families/" in t]
    assert len(access) >= 4, log.texts
    # (The handler sits on the root logger and on "werkzeug": a line may come twice.)
    by_hand = {t for t in log.texts if CPR in t or digits in t}
    assert len(by_hand) == 1 and f"GET /brondby/families/?q={CPR}" in next(iter(by_hand))
    log.texts = [t for t in log.texts if t not in by_hand]
    assert_nothing_planted(log, sent, expected_records=3)
    with unscoped("test"):
        events = db.session.scalars(select(AuditEvent)).all()
        assert [e.action for e in events].count("family.searched_by_cpr") == 3
        for event_row in events:
            row = " ".join(str(getattr(event_row, c.key)) for c in AuditEvent.__table__.columns)
            assert CPR not in row and digits not in row
        db.session.commit()
    assert _clear_in_the_database(app, [CPR, digits]) == []
