"""Follow-up windows that mean something: a form opened outside its wave's window says so,
and submitting it there asks for a reason and a confirmation, on the page and through the
API alike, stored with the submission and carried into the research package.

Every wave kind is tried on the day before its window opens (three days before), its
first day, its last day and after it has closed (five days after), with the clock moved
by ``time-machine`` to that day in Copenhagen.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask_babel import force_locale
from sqlalchemy import select

from app.api.tokens import create_token
from app.collection.labels import WINDOW_REASON_LABELS
from app.collection.models import Submission
from app.collection.services import forms_for_wave
from app.collection.waves import start_exit
from app.collection.windows import WINDOW_REASONS
from app.core.db import db
from app.families.models import Family, Wave
from app.research.services import export_package
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.checks import warning_ids
from tests.support.forms import valid_formdata
from tests.support.research import grant_and_approve, make_study

ENROLMENT = date(2026, 3, 2)
EXIT_DUE = date(2026, 11, 16)
KINDS = ("intake", "follow_up", "exit")
#: The day tried, from the wave's window: (name, which end, days from it, outside?).
DAYS = {
    "before": ("window_start", -3, True),
    "first_day": ("window_start", 0, False),
    "last_day": ("window_end", 0, False),
    "after": ("window_end", 5, True),
}
FAMILY_FORMS = {"intake": "family_intake", "follow_up": "family_follow_up", "exit": "family_exit"}


def test_every_reason_has_a_label_in_both_languages(app_ctx) -> None:
    assert list(WINDOW_REASON_LABELS) == list(WINDOW_REASONS)
    for code in WINDOW_REASONS:
        with force_locale("da"):
            danish = str(WINDOW_REASON_LABELS[code])
        with force_locale("en"):
            english = str(WINDOW_REASON_LABELS[code])
        assert danish and english and danish != english, code


def _family_with_wave(municipality, make_family, kind: str, label: str, team=()) -> tuple[int, int]:
    family = make_family(
        municipality.slug, adults=1, children=0, enrolment=ENROLMENT, label=label, team=team
    )
    with tenant_scope(municipality):
        row = db.session.get(Family, family.id)
        if kind == "exit":
            start_exit(municipality, row, EXIT_DUE)
            db.session.expire(row, ["waves"])
        wave = next(w for w in row.waves if w.kind == kind)
        db.session.commit()
        return family.id, wave.id


def _the_day(wave_id: int, day: str) -> date:
    end, offset, _ = DAYS[day]
    with unscoped("test: the wave's window"):
        return getattr(db.session.get(Wave, wave_id), end) + timedelta(days=offset)


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)  # 11 or 12 in Copenhagen


def _answers(municipality, wave_id: int, form_id: str, today: date, language: str = "da"):
    with tenant_scope(municipality):
        wave = db.session.get(Wave, wave_id)
        version = next(v for v in forms_for_wave(municipality, wave) if v.form_id == form_id)
        return valid_formdata(version.form, today, language=language), version.form


def _stored(wave_id: int, form_id: str) -> Submission | None:
    db.session.rollback()
    with unscoped("test: read the submission"):
        return db.session.scalar(
            select(Submission).where(Submission.wave_id == wave_id, Submission.form_id == form_id)
        )


def _typed(data: dict[str, Any]) -> dict[str, Any]:
    """The page's strings as the JSON an API client sends."""
    typed: dict[str, Any] = {}
    for name, value in data.items():
        if value in ("true", "false"):
            typed[name] = value == "true"
        elif isinstance(value, str) and value.isdigit():
            typed[name] = int(value)
        else:
            typed[name] = value
    return typed


@pytest.mark.parametrize("day", list(DAYS))
@pytest.mark.parametrize("kind", KINDS)
def test_the_page_says_so_and_asks_for_a_reason_exactly_outside_the_window(
    client, auth, municipalities, make_user, make_family, kind: str, day: str
) -> None:
    brondby = municipalities["brondby"]
    user = make_user(brondby, "staff")
    _, wave_id = _family_with_wave(
        brondby, make_family, kind, f"Familien {kind} {day}", team=[user]
    )
    today = _the_day(wave_id, day)
    outside = DAYS[day][2]
    form_id = FAMILY_FORMS[kind]
    url = f"/brondby/waves/{wave_id}/forms/{form_id}"
    with time_machine.travel(_noon(today), tick=False):
        assert auth.login(user.email).status_code == 302
        page = client.get(url).get_data(as_text=True)
        assert ('class="window-notice"' in page) == outside
        assert ('name="window_reason"' in page) == outside
        if outside:
            days = DAYS[day][1]
            expected = f"Det åbner om {-days} dage." if days < 0 else f"lukkede for {days} dage"
            assert expected in page
            assert ("Før vinduet" if days < 0 else "Efter vinduet") in page
        data, form = _answers(brondby, wave_id, form_id, today)
        data.update({"lock_version": "0", "confirm_check": warning_ids(form)})
        # A draft is never asked for a reason.
        draft = client.post(url, data={**data, "save_draft": "1"})
        assert draft.status_code == 302, draft.get_data(as_text=True)[:2000]
        lock = str(_stored(wave_id, form_id).lock_version)
        data["lock_version"] = lock
        submitted = client.post(url, data={**data, "submit": "1"})
        if not outside:
            assert submitted.status_code == 302, submitted.get_data(as_text=True)[:3000]
            stored = _stored(wave_id, form_id)
            assert stored.status == "submitted" and stored.window_reason is None
            assert stored.window_confirmed_at is None
            return
        refused = submitted.get_data(as_text=True)
        assert submitted.status_code == 422
        assert 'href="#window_reason"' in refused and 'href="#window_confirmed"' in refused
        assert "Vælg, hvorfor skemaet indsendes uden for vinduet." in refused
        assert 'id="window_reason-error"' in refused
        text_fields = [k for k, v in data.items() if isinstance(v, str) and len(v) > 2]
        for name in text_fields[:5]:  # what was typed is kept
            assert f'value="{data[name]}"' in refused or data[name] in refused, name
        assert _stored(wave_id, form_id).status == "draft"
        # A reason without the confirmation is still refused, and the reason kept.
        half = client.post(url, data={**data, "submit": "1", "window_reason": "other"})
        assert half.status_code == 422
        half_html = half.get_data(as_text=True)
        assert re.search(r'value="other"\s+selected', half_html)
        assert 'href="#window_confirmed"' in half_html and 'href="#window_reason"' not in half_html
        accepted = client.post(
            url,
            data={
                **data,
                "submit": "1",
                "window_reason": "contact_delayed",
                "window_confirmed": "1",
            },
        )
        assert accepted.status_code == 302, accepted.get_data(as_text=True)[:3000]
        stored = _stored(wave_id, form_id)
        assert stored.status == "submitted" and stored.window_reason == "contact_delayed"
        assert stored.window_confirmed_by_id == user.id
        assert stored.window_confirmed_at is not None
        # Once submitted, the form is not asked again when it is corrected.
        again = client.get(url).get_data(as_text=True)
        assert 'class="window-notice"' in again and 'name="window_reason"' not in again


@pytest.mark.parametrize("day", list(DAYS))
@pytest.mark.parametrize("kind", KINDS)
def test_the_api_refuses_a_submission_outside_the_window_without_a_reason(
    client, municipalities, make_user, make_family, kind: str, day: str
) -> None:
    vejle = municipalities["vejle"]
    lead = make_user(vejle, "lead")
    family_id, wave_id = _family_with_wave(vejle, make_family, kind, f"Familien {kind} {day}")
    today = _the_day(wave_id, day)
    outside = DAYS[day][2]
    form_id = FAMILY_FORMS[kind]
    with time_machine.travel(_noon(today), tick=False):
        with tenant_scope(vejle, lead.id):
            _, token = create_token(lead, vejle, "test", 30)
            db.session.commit()
        headers = {"Authorization": f"Bearer {token}"}
        data, form = _answers(vejle, wave_id, form_id, today, language="en")
        data.pop("confirm_check", None)
        body = {
            "form_id": form_id,
            "answers": _typed(data),
            "status": "submitted",
            "confirmed_checks": warning_ids(form),
        }
        url = f"/api/v1/vejle/families/{family_id}/waves/{wave_id}/submissions"
        response = client.post(url, headers=headers, json=body)
        if not outside:
            assert response.status_code == 201, response.get_json()
            assert response.get_json()["window_reason"] is None
            assert _stored(wave_id, form_id).window_reason is None
            return
        assert response.status_code == 422, response.get_json()
        problem = response.get_json()
        assert {e["field"] for e in problem["errors"]} == {"window_reason", "window_confirmed"}
        assert _stored(wave_id, form_id) is None  # nothing written
        bad = client.post(url, headers=headers, json={**body, "window_reason": "because"})
        assert bad.status_code == 422
        assert [e["field"] for e in bad.get_json()["errors"]] == ["window_reason"]
        reasoned = {**body, "window_reason": "family_unavailable", "window_confirmed": True}
        response = client.post(url, headers=headers, json=reasoned)
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["window_reason"] == "family_unavailable"
        stored = _stored(wave_id, form_id)
        assert stored.window_reason == "family_unavailable"
        assert stored.window_confirmed_by_id == lead.id


def test_the_api_document_describes_the_window_fields(client) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    for name in ("SubmissionCreate", "SubmissionUpdate"):
        properties = schemas[name]["properties"]
        assert properties["window_reason"]["enum"] == list(WINDOW_REASONS), name
        assert properties["window_confirmed"]["type"] == "boolean", name
    assert "window_reason" in schemas["Submission"]["properties"]


def test_the_package_carries_the_days_from_the_due_date_and_the_reason(
    client, auth, municipalities, make_user, make_family, tmp_path
) -> None:
    """Submitted 5 days after the 6-month window closed (35 days after the due date) with a
    reason, and the intake on its first day without one."""
    jammerbugt = municipalities["jammerbugt"]
    lead = make_user(jammerbugt, "lead")
    family_id, follow_up_id = _family_with_wave(jammerbugt, make_family, "follow_up", "Familien P")
    with unscoped("test: the waves"):
        intake_id = db.session.scalar(
            select(Wave.id).where(Wave.family_id == family_id, Wave.kind == "intake")
        )
        due = db.session.get(Wave, follow_up_id).due_date
    for wave_id, form_id, day, extra in (
        (intake_id, "family_intake", "first_day", {}),
        (
            follow_up_id,
            "family_follow_up",
            "after",
            {"window_reason": "rescheduled_by_family", "window_confirmed": "1"},
        ),
    ):
        today = _the_day(wave_id, day)
        with time_machine.travel(_noon(today), tick=False):
            assert auth.login(lead.email).status_code == 302
            data, form = _answers(jammerbugt, wave_id, form_id, today)
            data.update(
                {"lock_version": "0", "confirm_check": warning_ids(form), "submit": "1", **extra}
            )
            response = client.post(f"/jammerbugt/waves/{wave_id}/forms/{form_id}", data=data)
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
            auth.logout()
    researcher = make_user(platform_role="researcher", email="vindue-forsker@example.org")
    study = make_study(researcher)
    grant_and_approve(municipalities, study, slugs=("jammerbugt",), waves=("intake", "follow_up_6"))
    out = tmp_path / "package.zip"
    export_package(study, out, researcher)
    db.session.commit()
    with zipfile.ZipFile(out) as archive:

        def table(name: str) -> list[dict[str, str]]:
            return list(csv.DictReader(io.TextIOWrapper(archive.open(name), encoding="utf-8")))

        header = next(csv.reader(io.TextIOWrapper(archive.open("waves.csv"), encoding="utf-8")))
        waves = {r["wave"]: r for r in table("waves.csv")}
        codebook = {(r["variable"], r["table"]): r for r in table("codebook.csv")}
        package = json.loads(archive.read("datapackage.json"))
    # The existing columns keep their places; the new ones come last.
    assert header == [
        "family_id",
        "municipality_code",
        "team_model",
        "wave",
        "due_month",
        "completed",
        "on_time",
        "days_from_due",
        "window_reason",
    ]
    assert waves["follow_up_6"]["days_from_due"] == str(35)
    assert waves["follow_up_6"]["window_reason"] == "rescheduled_by_family"
    assert waves["intake"]["days_from_due"] == "0"  # the intake's window opens on its due day
    assert waves["intake"]["window_reason"] == ""
    assert due + timedelta(days=35) == _the_day(follow_up_id, "after")
    reason = codebook[("window_reason", "waves.csv")]
    for code in WINDOW_REASONS:
        assert f"{code} = " in reason["codes"], code
    assert (
        "rescheduled_by_family = Familien flyttede mødet / The family moved the meeting"
        in (reason["codes"])
    )
    assert ("days_from_due", "waves.csv") in codebook
    resource = next(r for r in package["resources"] if r["path"] == "waves.csv")
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert fields["days_from_due"]["type"] == "integer"
    assert fields["window_reason"]["constraints"]["enum"] == list(WINDOW_REASONS)
