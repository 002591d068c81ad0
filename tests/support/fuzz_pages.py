"""What the write fuzzing (tests/test_fuzz_writes.py, tests/api/test_fuzz_api.py) knows of
the application: its write routes and the ones it leaves out, the forms each page shows,
and who opens which page with which values in the URL."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, settings
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from app import create_app
from app.collection.services import forms_for_wave
from app.core.db import db
from app.definitions.model import FormDef
from app.families.models import Wave
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope
from tests.support.access import FAMILY_ARGS, expected
from tests.support.apps import TEST_CONFIG
from tests.support.forms import valid_formdata
from tests.support.routes import PUBLIC_PREFIXES, form_id

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: Write routes this suite does not fuzz, by endpoint prefix, and why.
EXCLUDED: dict[str, str] = {
    "localforms.publish_version": (
        "publishing a local form: its form is on the preview a checked upload answers with, "
        "not on a page one opens; a tampered or another municipality's token, a missing "
        "confirmation and a double send are tested in tests/test_form_import_pages.py"
    ),
    "reports.cancel": (
        "cancelling a report or package job: the button shows only while a job is queued or "
        "running, and the fuzzing world has no such job; a queued job cancelled and a running "
        "package cancelled from its page are tested in tests/test_job_queue.py"
    ),
    "study_reports.cancel": (
        "cancelling a report or package job: the button shows only while a job is queued or "
        "running, and the fuzzing world has no such job; a queued job cancelled and a running "
        "package cancelled from its page are tested in tests/test_job_queue.py"
    ),
    "research.cancel": (
        "cancelling a report or package job: the button shows only while a job is queued or "
        "running, and the fuzzing world has no such job; a queued job cancelled and a running "
        "package cancelled from its page are tested in tests/test_job_queue.py"
    ),
    "auth.": (
        "sign-in, two-factor, password and sign-out pages: throttled, with a pending sign-in "
        "in the session, and tested on their own (tests/test_auth.py, tests/test_security.py); "
        "an accepted sign-out or password change here would end the fuzzing user's session"
    ),
    "password.": (
        "the forgotten-password request and the page a mailed link opens: for people who are "
        "not signed in, throttled, and each request sends a mail; bad addresses, short or "
        "differing passwords, unknown, used and expired links are tested in tests/test_mail.py"
    ),
    "invitations.": (
        "the invited person's answer to their own invitation from another municipality, which "
        "no fuzzing user has; its one field is the accept or decline button: odd answers, "
        "ids beyond the database's and other people's or used invitations are tested in "
        "tests/test_invitations.py"
    ),
    "families.reopen": (
        "its form is shown only for a family that has left the programme, which the fuzzing "
        "world has none of; its one field is a choice of reasons: an unknown reason, a "
        "family not exited and a role without the permission are tested in "
        "tests/test_plan_and_undo.py"
    ),
    "operator.remove_researcher_page": (
        "its form is shown only beside a researcher already in a study, which the fuzzing "
        "world's studies have none of; it has no field but its token: removing, removing "
        "again and a role without the permission are tested in tests/test_operator_pages.py"
    ),
    "selfreport_public.": (
        "the parent's own page opens only with a live link's secret, which no URL value of "
        "the fuzzing world can carry (only the secret's hash is stored); every item with "
        "missing, out-of-bound, fractional and non-numeric answers, and unknown, used, "
        "replaced and expired links and another municipality's slug, are tested in "
        "tests/test_self_report.py"
    ),
    "worklists.undo_missed": (
        "its form is shown only for a wave whose reason is recorded, which the fuzzing world "
        "has none of; it has no field but its token: undo, a second undo and a role without "
        "the permission are tested in tests/test_worklists.py"
    ),
}
#: Fuzzed with JSON bodies and problem+json answers in tests/api/test_fuzz_api.py.
API_PREFIX = "api."

#: Who fuzzes a route, in order of preference: the least powerful role allowed to use it.
ROLE_PREFERENCE = ("staff_assigned", "lead", "admin")
#: Routes outside a municipality, by blueprint: who uses them.
PLATFORM_USERS = {
    "research": "operator",
    "study_reports": "operator",
    "operator": "operator",
    "i18n": "staff_assigned",
}


def fuzz_settings(examples: int, *, stateful: bool = True) -> settings:
    """Derandomised: the same inputs on every run and every machine, so a failure in CI is
    a failure on the developer's machine too; and no example database is written.

    Against the database nothing is shrunk: each example starts from what the ones before
    it left, so a shrunk example would replay against another state and mislead (and take
    minutes). The failing request is printed as it was sent.
    """
    phases = [Phase.explicit, Phase.generate] if stateful else list(Phase)
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=phases,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


def write_rules(app: Flask) -> list[Rule]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.methods & WRITE_METHODS),
        key=lambda rule: rule.endpoint,
    )


def excluded(endpoint: str) -> str | None:
    return next((why for prefix, why in EXCLUDED.items() if endpoint.startswith(prefix)), None)


def _routes() -> Flask:
    # The URL map only: no database is opened, so the tests can be parametrised from it.
    return create_app({**TEST_CONFIG, "DATABASE_URL": "sqlite://"})


ROUTES = _routes()
FORM_ENDPOINTS = [
    rule.endpoint
    for rule in write_rules(ROUTES)
    if not excluded(rule.endpoint) and not rule.endpoint.startswith(API_PREFIX)
]
API_ENDPOINTS = [
    rule.endpoint for rule in write_rules(ROUTES) if rule.endpoint.startswith(API_PREFIX)
]
#: The operations tests/api/test_fuzz_api.py is parametrised with; the bookkeeping test in
#: tests/test_fuzz_writes.py checks them against the URL map.
FUZZED_API_ENDPOINTS = API_ENDPOINTS


def rule_for(app: Flask, endpoint: str) -> Rule:
    return next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)


def text_arguments(rule: Rule) -> list[str]:
    """URL arguments that take any text, not an id: a request may send anything there."""
    found = re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", rule.rule)
    return [name for converter, name in found if converter in ("", "string") and name != "slug"]


# -- the forms on the pages --------------------------------------------------------------------


@dataclass
class FieldSpec:
    """One named control of an HTML form and the values the page offers for it."""

    kind: str
    values: list[str] = field(default_factory=list)


@dataclass
class HtmlForm:
    action: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)


class _FormParser(HTMLParser):
    """Every ``<form method="post">`` of a page with its controls, as a browser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._select: FieldSpec | None = None

    def _add(self, name: str | None, kind: str, value: str | None) -> FieldSpec | None:
        if self._form is None or not name:
            return None
        spec = self._form.fields.setdefault(name, FieldSpec(kind))
        if value is not None and value not in spec.values:
            spec.values.append(value)
        return spec

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = HtmlForm(a.get("action") or "")
            self.forms.append(self._form)
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind == "number" or a.get("inputmode") in ("numeric", "decimal"):
                kind = a.get("inputmode") or "numeric"
            self._add(a.get("name"), kind, a.get("value") or None)
        elif tag == "textarea":
            self._add(a.get("name"), "textarea", None)
        elif tag == "button":
            self._add(a.get("name"), "button", a.get("value") or "")
        elif tag == "select":
            self._select = self._add(a.get("name"), "select", None)
        elif tag == "option" and self._select is not None:
            value = a.get("value") or ""
            if value not in self._select.values:
                self._select.values.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def post_forms(html: str, page_url: str) -> list[HtmlForm]:
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        form.action = urlsplit(urljoin(page_url, form.action)).path
    return parser.forms


def endpoint_of(app: Flask, path: str) -> str | None:
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path, method="POST")
    except HTTPException:
        return None
    return endpoint


# -- the world and its URLs ---------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, Any]
    values: dict[str, object]


def build_url(app: Flask, rule: Rule, values: dict[str, object]) -> str:
    arguments = {
        name: form_id(rule) if name == "form_id" else values[name] for name in rule.arguments
    }
    method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, arguments, method=method)


def role_for(rule: Rule) -> str:
    if "slug" in rule.arguments:
        family = "A" if rule.arguments & FAMILY_ARGS else None
        for role in ROLE_PREFERENCE:
            if expected(rule.endpoint, "POST", role, family) == "allowed":
                return role
        raise AssertionError(f"no role of {ROLE_PREFERENCE} may use {rule.endpoint}")
    blueprint = rule.endpoint.split(".")[0]
    assert blueprint in PLATFORM_USERS, (
        f"{rule.endpoint}: add the role that uses it to PLATFORM_USERS"
    )
    return PLATFORM_USERS[blueprint]


def _pages(app: Flask, rule: Rule, role: str) -> list[Rule]:
    """GET pages that may hold the form of *rule*: its own, its blueprint's, then the rest."""
    blueprint = rule.endpoint.split(".")[0]
    pages = []
    for page in app.url_map.iter_rules():
        if "GET" not in page.methods or page.endpoint == "static" or "job_id" in page.arguments:
            continue
        if page.endpoint.startswith((API_PREFIX, "api_meta.", "auth.", *PUBLIC_PREFIXES)):
            continue
        if "slug" in page.arguments:
            family = "A" if page.arguments & FAMILY_ARGS else None
            if expected(page.endpoint, "GET", role, family) != "allowed":
                continue
        elif page.endpoint.split(".")[0] not in ("core", blueprint, *PLATFORM_USERS):
            continue
        pages.append(page)
    pages.sort(
        key=lambda page: (
            page.endpoint != rule.endpoint,
            page.endpoint.split(".")[0] != blueprint,
            page.endpoint,
        )
    )
    return pages


@dataclass
class Target:
    """Every form on one page that posts to the route under test, by action."""

    page: str
    forms: dict[str, HtmlForm]

    @property
    def first(self) -> HtmlForm:
        return next(iter(self.forms.values()))

    @property
    def moves_on(self) -> bool:
        """Whether the forms carry state that a save changes (a lock version)."""
        return any(
            spec.kind == "hidden" and name != "csrf_token"
            for form in self.forms.values()
            for name, spec in form.fields.items()
        )

    def refresh(self, client: FlaskClient) -> None:
        """Read the page again, for the hidden values as they are now."""
        html = client.get(self.page).get_data(as_text=True)
        for form in post_forms(html, self.page):
            if form.action in self.forms:
                self.forms[form.action] = form


def find_target(client: FlaskClient, app: Flask, rule: Rule, world: World, role: str) -> Target:
    for page in _pages(app, rule, role):
        url = build_url(app, page, world.values)
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            response.close()
            continue
        forms = {
            form.action: form
            for form in post_forms(response.get_data(as_text=True), url)
            if endpoint_of(app, form.action) == rule.endpoint
        }
        if forms:
            return Target(url, forms)
    raise AssertionError(
        f"no page shows {role} a form that posts to {rule.endpoint}: let a page show it, or "
        "list the route in EXCLUDED with the reason it cannot be fuzzed through a form"
    )


def definition_of(app: Flask, action: str) -> FormDef:
    """The form definition a fill page's form answers."""
    _, args = app.url_map.bind("localhost").match(action, method="POST")
    jammerbugt = db.session.scalar(select(Municipality).filter_by(slug="jammerbugt"))
    with tenant_scope(jammerbugt):
        wave = db.session.get(Wave, args["wave_id"])
        versions = forms_for_wave(jammerbugt, wave)
        form = next(v.form for v in versions if v.form_id == args["form_id"])
    db.session.commit()
    return form


def definition_answers(app: Flask, target: Target) -> dict[str, list[str]]:
    """Valid answers for the definition a fill page shows, so that whole drafts and
    submissions get through too, not only the refusals."""
    answers = valid_formdata(definition_of(app, target.first.action), date.today())
    return {name: value if isinstance(value, list) else [value] for name, value in answers.items()}


#: Routes whose fields need values of the domain to get past validation at all.
HINTS: dict[str, Callable[[Flask, Target], dict[str, list[str]]]] = {
    "collection.fill_family": definition_answers,
    "collection.fill_member": definition_answers,
}
