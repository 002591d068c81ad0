"""Idempotent writes: a POST sent twice, one after the other or both at once, acts once.

The API honours ``Idempotency-Key`` on every POST; every web form that creates a row
carries a one-time token. Each is checked for every such POST, with the test client and
against a real server with requests running at the same moment, on both databases.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select, text

from app.api.tokens import create_token
from app.auth.models import Membership
from app.core.db import db
from app.core.forms import OneTimeForm
from app.families.models import Wave
from app.tenancy.scoping import tenant_scope
from bench.harness import serve_in_thread
from tests.support.apps import owner_engine
from tests.support.auth import log_in

SLUG = "assens"  # a family-team municipality: a family's team has several people
#: The message a repeated form shows (Danish, the default language).
REPEAT_MESSAGE = "Formularen var allerede sendt, så intet er oprettet to gange."


# -- helpers -------------------------------------------------------------------------------------


def _counts(app: Any) -> dict[str, int]:
    """Rows in every table, read as the table owner (beside every scope)."""
    with owner_engine(app).connect() as connection:
        return {
            table.name: connection.execute(text(f"SELECT count(*) FROM {table.name}")).scalar_one()
            for table in db.metadata.sorted_tables
        }


def _grown(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


@dataclass
class LiveServer:
    port: int

    def send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def at_once(self, count: int, *request: Any) -> list[tuple[int, dict[str, str], bytes]]:
        """*count* copies of one request, released together."""
        barrier = threading.Barrier(count)
        results: list[Any] = [None] * count

        def run(i: int) -> None:
            barrier.wait()
            results[i] = self.send(*request)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        return results


@pytest.fixture
def live(app_ctx: Any) -> Iterator[LiveServer]:
    """The test's app served by a real threaded server: requests in parallel threads."""
    with serve_in_thread(app_ctx) as port:
        yield LiveServer(port)


# -- the API -------------------------------------------------------------------------------------


@dataclass
class ApiWorld:
    token: str
    family_id: int
    member_id: int
    wave_id: int


@pytest.fixture
def api_world(municipalities, make_user, make_family) -> ApiWorld:
    municipality = municipalities[SLUG]
    staff = make_user(municipality, "staff")
    family = make_family(SLUG, adults=2, children=1, team=[staff])
    with tenant_scope(municipality, staff.id):
        _, plain = create_token(staff, municipality, "Fagsystem")
        wave = db.session.scalar(
            select(Wave).where(Wave.family_id == family.id, Wave.kind == "intake")
        )
        member_id = family.members[0].id
        db.session.commit()
    return ApiWorld(plain, family.id, member_id, wave.id)


#: Every API POST: (path, a body, another valid body). The test below checks the list
#: against the URL map, so a new POST cannot miss its idempotency.
API_POSTS: dict[str, Callable[[ApiWorld], tuple[str, dict[str, Any], dict[str, Any]]]] = {
    "api.enrol": lambda w: (
        "/families",
        {"label": "Familien Gentaget", "enrolment_date": "2026-01-15"},
        {"label": "Familien Anden", "enrolment_date": "2026-01-15"},
    ),
    "api.add_member_api": lambda w: (
        f"/families/{w.family_id}/members",
        {"role": "child", "name": "Lille Ida"},
        {"role": "child", "name": "Lille Bo"},
    ),
    "api.end_member_api": lambda w: (
        f"/families/{w.family_id}/members/{w.member_id}/end",
        {"end_date": "2026-03-01"},
        {"end_date": "2026-03-02"},
    ),
    "api.create_submission": lambda w: (
        f"/families/{w.family_id}/waves/{w.wave_id}/submissions",
        {"form_id": "family_intake", "answers": {}, "status": "draft"},
        {"form_id": "family_intake", "answers": {}, "status": "submitted"},
    ),
}


def _api_headers(world: ApiWorld, key: str | None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {world.token}", "Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def test_the_list_of_api_posts_is_every_post_of_the_api(app_ctx):
    posts = {
        rule.endpoint
        for rule in app_ctx.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and "POST" in (rule.methods or ())
    }
    assert posts == set(API_POSTS)
    for endpoint in posts:
        assert getattr(app_ctx.view_functions[endpoint], "idempotent", False), endpoint


@pytest.mark.parametrize("endpoint", sorted(API_POSTS))
def test_an_api_post_repeated_with_its_idempotency_key_replays_the_first_answer(
    app_ctx, client, api_world, endpoint
):
    path, body, _other = API_POSTS[endpoint](api_world)
    url = f"/api/v1/{SLUG}{path}"
    headers = _api_headers(api_world, f"key-{endpoint}")
    first = client.post(url, json=body, headers=headers)
    assert first.status_code in (200, 201), first.get_data(as_text=True)
    before = _counts(app_ctx)
    again = client.post(url, json=body, headers=headers)
    assert _grown(before, _counts(app_ctx)) == {}  # nothing at all: no row, no audit event
    assert again.status_code == first.status_code
    assert again.get_json() == first.get_json()
    assert again.headers.get("Location") == first.headers.get("Location")
    assert again.headers.get("ETag") == first.headers.get("ETag")
    assert again.headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("endpoint", sorted(API_POSTS))
def test_an_idempotency_key_reused_with_another_body_answers_422_and_changes_nothing(
    app_ctx, client, api_world, endpoint
):
    path, body, other = API_POSTS[endpoint](api_world)
    url = f"/api/v1/{SLUG}{path}"
    headers = _api_headers(api_world, "one-key")
    assert client.post(url, json=body, headers=headers).status_code in (200, 201)
    before = _counts(app_ctx)
    refused = client.post(url, json=other, headers=headers)
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert "Idempotency-Key" in refused.get_json()["detail"]
    assert _grown(before, _counts(app_ctx)) == {}


def test_an_idempotency_key_is_forgotten_after_24_hours(app_ctx, client, api_world):
    path, body, _other = API_POSTS["api.enrol"](api_world)
    url = f"/api/v1/{SLUG}{path}"
    headers = _api_headers(api_world, "a-day-old")
    first = client.post(url, json=body, headers=headers).get_json()
    with owner_engine(app_ctx).begin() as connection:
        connection.execute(
            text("UPDATE idempotency_key SET created_at = :then"),
            {"then": date.today() - timedelta(days=2)},
        )
    later = client.post(url, json=body, headers=headers)
    assert later.status_code == 201
    assert later.get_json()["id"] != first["id"]
    assert "Idempotent-Replayed" not in later.headers
    assert _counts(app_ctx)["idempotency_key"] == 1  # the old key was purged


def test_a_malformed_idempotency_key_is_refused(app_ctx, client, api_world):
    path, body, _other = API_POSTS["api.enrol"](api_world)
    before = _counts(app_ctx)
    for key in ("", "x" * 256, "with space", "æøå"):
        headers = {**_api_headers(api_world, None), "Idempotency-Key": key}
        response = client.post(f"/api/v1/{SLUG}{path}", json=body, headers=headers)
        assert response.status_code == 400, key
    assert _grown(before, _counts(app_ctx)) == {}


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", sorted(API_POSTS))
def test_two_simultaneous_identical_api_posts_with_one_key_act_once(
    app_ctx, live, api_world, endpoint
):
    path, body, _other = API_POSTS[endpoint](api_world)
    db.session.commit()
    before = _counts(app_ctx)
    request = (
        "POST",
        f"/api/v1/{SLUG}{path}",
        json.dumps(body).encode(),
        _api_headers(api_world, f"simultaneous-{endpoint}"),
    )
    results = live.at_once(4, *request)
    statuses = [status for status, _headers, _body in results]
    answered = [json.loads(body) for status, _headers, body in results if status < 300]
    assert set(statuses) <= {200, 201, 409}, results
    # Every answer is the first one's (the same object, the same id); a request that
    # could not wait long enough says so with 409 instead of acting again.
    assert answered and all(a == answered[0] for a in answered), results
    grown = _grown(before, _counts(app_ctx))
    assert grown.get("idempotency_key") == 1
    if endpoint == "api.enrol":
        assert grown["family"] == 1
    if endpoint in ("api.add_member_api",):
        assert grown["family_member"] == 1
    if endpoint == "api.create_submission":
        assert grown["submission"] == 1


def test_simultaneous_api_enrolments_with_one_key_enrol_one_family(app_ctx, live, api_world):
    """The finding as reported: two identical POSTs at the same moment, one family."""
    db.session.commit()
    before = _counts(app_ctx)
    body = json.dumps({"label": "Familien Dobbelt", "enrolment_date": "2026-02-01"}).encode()
    results = live.at_once(
        2, "POST", f"/api/v1/{SLUG}/families", body, _api_headers(api_world, "dobbelt")
    )
    assert [status for status, _h, _b in results] == [201, 201], results
    assert results[0][2] == results[1][2]
    assert _grown(before, _counts(app_ctx))["family"] == 1


# -- web forms that create a row -----------------------------------------------------------------


@dataclass
class WebWorld:
    family_id: int
    colleague_membership_id: int


@dataclass
class CreatingForm:
    form: type[OneTimeForm]
    #: The page that shows the form and receives it.
    url: Callable[[WebWorld], str]
    data: Callable[[WebWorld], dict[str, str]]
    #: The table one send adds a row to.
    table: str
    #: Settings the send needs (a report job is rendered in the request, briefly).
    config: dict[str, Any] = field(default_factory=dict)
    #: Where the form is sent, when not to its own page.
    action: str | None = None


def _creating_forms() -> dict[str, CreatingForm]:
    from app.admin.views import DepartmentForm, PersonForm
    from app.api.pages import TokenForm
    from app.families.forms import EnrolForm, MemberForm
    from app.plans.views import GoalForm
    from app.reports.views import ReportForm
    from app.teams.views import AssignForm

    return {
        "families.new": CreatingForm(
            EnrolForm,
            lambda w: "/families/new",
            lambda w: {"label": "Familien Dobbeltklik", "enrolment_date": "2026-01-15"},
            "family",
        ),
        "families.add_member_page": CreatingForm(
            MemberForm,
            lambda w: f"/families/{w.family_id}/members/new",
            lambda w: {"role": "child", "name": "Lille Ida"},
            "family_member",
        ),
        "plans.plan": CreatingForm(
            GoalForm,
            lambda w: f"/families/{w.family_id}/plan",
            lambda w: {
                "phase": "1",
                "life_area": "work_education",
                "description": "Et mål",
                "department_id": "0",
            },
            "plan_goal",
        ),
        "teams.team": CreatingForm(
            AssignForm,
            lambda w: f"/families/{w.family_id}/team",
            lambda w: {
                "membership_id": str(w.colleague_membership_id),
                "department_id": "0",
                "team_role": "Familiebehandler",
            },
            "assignment",
        ),
        "admin.departments": CreatingForm(
            DepartmentForm,
            lambda w: "/admin/departments",
            lambda w: {"code": "health", "name_da": "Sundhed", "name_en": "Health"},
            "department",
        ),
        "admin.new_person": CreatingForm(
            PersonForm,
            lambda w: "/admin/people/new",
            lambda w: {"email": "ny@example.test", "name": "Ny Kollega", "role": "staff"},
            "membership",
        ),
        "reports.pdf": CreatingForm(
            ReportForm,
            lambda w: "/reports/",
            lambda w: {"language": "da"},
            "report_job",
            # Rendered inline and stopped at once: the job's row is what counts here.
            {"EXPORTS_INLINE": True, "REPORT_TIMEOUT_SECONDS": 0.01},
            "/reports/pdf",
        ),
        "tokens.index": CreatingForm(
            TokenForm,
            lambda w: "/tokens/",
            lambda w: {"name": "Fagsystem", "days": "30"},
            "api_token",
        ),
    }


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


@pytest.fixture
def web_world(municipalities, make_user, make_family, client) -> WebWorld:
    municipality = municipalities[SLUG]
    admin = make_user(municipality, "admin")
    colleague = make_user(municipality, "staff")
    family = make_family(SLUG, team=[admin])
    with tenant_scope(municipality):
        membership_id = db.session.scalar(
            select(Membership.id).where(Membership.user_id == colleague.id)
        )
    log_in(client, admin.email)
    return WebWorld(family.id, membership_id)


_TOKEN = re.compile(r'name="once_token"[^>]*value="([^"]+)"')


def _page_token(client: Any, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, (url, page.location)
    found = _TOKEN.search(page.get_data(as_text=True))
    assert found, f"{url} shows no one-time token"
    return found.group(1)


def _sendable(
    case: CreatingForm, client: Any, world: WebWorld, app: Any, monkeypatch: Any
) -> tuple[str, dict[str, str]]:
    """Where to send *case*'s form, and its answers with the token of a fresh page."""
    for name, value in case.config.items():
        monkeypatch.setitem(app.config, name, value)
    token = _page_token(client, f"/{SLUG}{case.url(world)}")
    return f"/{SLUG}{case.action or case.url(world)}", {**case.data(world), "once_token": token}


#: One-time forms that create no row of their own (a confirmation, a reason recorded on a
#: wave, a change to a study's researchers) and whose double send is tested where the rest
#: of their behaviour is, by the named test.
SENT_TWICE_ELSEWHERE = {
    "OfferForm": "tests/test_self_report.py::test_a_double_click_makes_one_link",
    "ExitConfirmForm": "tests/test_plan_and_undo.py::"
    "test_exit_shows_a_confirmation_then_reopen_restores_waves_and_status",
    "ReopenForm": "tests/test_plan_and_undo.py::"
    "test_exit_shows_a_confirmation_then_reopen_restores_waves_and_status",
    "ConfirmForm": "tests/test_plan_and_undo.py::"
    "test_deleting_a_goal_asks_first_and_keeps_its_statuses",
    "MissedForm": "tests/test_worklists.py::"
    "test_a_missed_reason_takes_the_wave_off_overdue_until_it_is_taken_back",
    "StudyForm": "tests/test_operator_pages.py::"
    "test_the_operator_creates_a_study_once_however_often_the_form_is_sent",
    "ResearcherForm": "tests/test_operator_pages.py::"
    "test_the_operator_adds_and_removes_a_researcher",
    "TwoFactorForm": "tests/test_operator_pages.py::"
    "test_the_operator_resets_two_factor_after_a_confirmation",
    # Its field is a file, which the urlencoded sends of this module cannot carry.
    "UploadForm": "tests/test_family_import_pages.py::test_an_upload_sent_twice_makes_one_import",
    "PublishForm": "tests/test_form_import_pages.py::"
    "test_preview_then_publish_once_switch_on_and_download",
}


def test_every_creating_form_is_checked_here():
    """Every form built on the one-time form base has a case below, or a named test
    elsewhere that sends it twice (and that test exists)."""
    here = {case.form for case in _creating_forms().values()}
    elsewhere = {f for f in _all_subclasses(OneTimeForm) if f.__name__ in SENT_TWICE_ELSEWHERE}
    assert here | elsewhere == _all_subclasses(OneTimeForm)
    assert {f.__name__ for f in elsewhere} == set(SENT_TWICE_ELSEWHERE)
    root = Path(__file__).resolve().parent.parent
    for where in SENT_TWICE_ELSEWHERE.values():
        module, name = where.split("::")
        assert f"def {name}(" in (root / module).read_text(encoding="utf-8"), where


@pytest.mark.parametrize("endpoint", sorted(_creating_forms()))
def test_a_creating_form_sent_twice_creates_one_row_and_lands_where_the_first_did(
    app_ctx, client, web_world, endpoint, monkeypatch
):
    case = _creating_forms()[endpoint]
    url, data = _sendable(case, client, web_world, app_ctx, monkeypatch)
    before = _counts(app_ctx)
    first = client.post(url, data=data)
    assert first.status_code in (200, 302), first.get_data(as_text=True)
    after_first = _counts(app_ctx)
    assert _grown(before, after_first).get(case.table) == 1, first.get_data(as_text=True)
    again = client.post(url, data=data)
    assert _grown(after_first, _counts(app_ctx)) == {}
    assert again.status_code == 302
    if first.status_code == 302:
        assert again.location == first.location
    landing = client.get(again.location)
    assert landing.status_code == 200
    assert REPEAT_MESSAGE in landing.get_data(as_text=True)


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", sorted(_creating_forms()))
def test_a_creating_form_sent_twice_at_the_same_moment_creates_one_row(
    app_ctx, client, live, web_world, endpoint, monkeypatch
):
    case = _creating_forms()[endpoint]
    url, data = _sendable(case, client, web_world, app_ctx, monkeypatch)
    cookie = client.get_cookie("session")
    assert cookie is not None
    db.session.commit()
    before = _counts(app_ctx)
    results = live.at_once(
        2,
        "POST",
        url,
        urlencode(data).encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"session={cookie.value}",
        },
    )
    statuses = sorted(status for status, _headers, _body in results)
    assert all(status in (200, 302) for status in statuses), results
    assert _grown(before, _counts(app_ctx)).get(case.table) == 1


def test_a_form_refused_after_its_token_was_claimed_can_be_sent_again_with_it(
    app_ctx, client, web_world
):
    """A send the service refused (a department code in use) keeps nothing, its claim of
    the token neither: the corrected form, with the same token, creates its row."""
    url = f"/{SLUG}/admin/departments"
    token = _page_token(client, url)
    taken = {"code": "employment", "name_da": "Job", "name_en": "Jobs", "once_token": token}
    refused = client.post(url, data=taken)
    assert refused.status_code == 200
    assert _counts(app_ctx)["form_token"] == 0
    before = _counts(app_ctx)
    corrected = client.post(url, data={**taken, "code": "health"})
    assert corrected.status_code == 302
    assert _grown(before, _counts(app_ctx))["department"] == 1


def test_a_form_sent_again_with_other_answers_is_a_new_row_not_a_repeat(app_ctx, client, web_world):
    """Back to the filled-in form, another family's name, send: that is a second family
    the person means to enrol, although the page (and its token) is the same."""
    url = f"/{SLUG}/families/new"
    token = _page_token(client, url)
    before = _counts(app_ctx)
    for label in ("Familien Først", "Familien Anden", "Familien Anden"):
        data = {"label": label, "enrolment_date": "2026-01-15", "once_token": token}
        assert client.post(url, data=data).status_code == 302
    assert _grown(before, _counts(app_ctx))["family"] == 2
