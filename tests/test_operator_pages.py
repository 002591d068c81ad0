"""The operator's pages: create a study, add and remove its researchers, reset a person's
two-factor sign-in; each audited, each refused to everyone but the operator."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.core.db import db
from app.research.models import Study, StudyResearcher


def _token(html: str) -> str:
    match = re.search(r'name="once_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="once_token"', html
    )
    assert match, html
    return match.group(1)


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def operator(make_user):
    return make_user(platform_role="operator")


def test_the_operator_creates_a_study_once_however_often_the_form_is_sent(client, auth, operator):
    auth.login(operator.email)
    home = client.get("/operator/").get_data(as_text=True)
    assert "/operator/studies/" in home and "/operator/two-factor/" in home
    page = client.get("/operator/studies/").get_data(as_text=True)
    assert "Ingen undersøgelser endnu" in page
    data = {
        "title": "Helhed og beskæftigelse",
        "purpose": "Effekten af indsatsen",
        "legal_basis": "Art. 6(1)(e)",
        "suppression_k": "5",
        "once_token": _token(page),
    }
    first = client.post("/operator/studies/", data=data)
    again = client.post("/operator/studies/", data=data)
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Study)) == 1
    assert len(_events("study.created")) == 1
    assert _events("study.created")[0].actor_id == operator.id


def test_bad_input_is_answered_in_danish_and_kept(client, auth, operator):
    auth.login(operator.email)
    page = client.get("/operator/studies/").get_data(as_text=True)
    answer = client.post(
        "/operator/studies/",
        data={
            "title": "Min titel",
            "legal_basis": "",
            "suppression_k": "0",
            "once_token": _token(page),
        },
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Skriv behandlingens retsgrundlag." in html
    assert "Skriv et helt tal fra 1 til 100." in html
    assert 'value="Min titel"' in html
    assert db.session.scalar(select(func.count()).select_from(Study)) == 0


def test_the_operator_adds_and_removes_a_researcher(client, auth, operator, make_user):
    researcher = make_user(platform_role="researcher")
    auth.login(operator.email)
    page = client.get("/operator/studies/").get_data(as_text=True)
    client.post(
        "/operator/studies/",
        data={"title": "S", "legal_basis": "L", "suppression_k": "5", "once_token": _token(page)},
    )
    study = db.session.scalar(select(Study))
    page = client.get(f"/operator/studies/{study.id}").get_data(as_text=True)
    assert researcher.email in page
    data = {"user_id": str(researcher.id), "once_token": _token(page)}
    assert client.post(f"/operator/studies/{study.id}", data=data).status_code == 302
    assert client.post(f"/operator/studies/{study.id}", data=data).status_code in (200, 302)
    rows = db.session.scalars(select(StudyResearcher).where(StudyResearcher.study_id == study.id))
    assert [r.user_id for r in rows] == [researcher.id]
    assert len(_events("study.researcher_added")) == 1
    removed = client.post(f"/operator/studies/{study.id}/researchers/{researcher.id}/remove")
    assert removed.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(StudyResearcher)) == 0
    assert [e.details for e in _events("study.researcher_removed")] == [{"user_id": researcher.id}]
    # A non-researcher cannot be chosen.
    staff_like = make_user(platform_role=None)
    page = client.get(f"/operator/studies/{study.id}").get_data(as_text=True)
    client.post(
        f"/operator/studies/{study.id}",
        data={"user_id": str(staff_like.id), "once_token": _token(page)},
    )
    assert db.session.scalar(select(func.count()).select_from(StudyResearcher)) == 0
    assert client.get("/operator/studies/999999").status_code == 404


def test_the_operator_resets_two_factor_after_a_confirmation(client, auth, operator, make_user):
    person = make_user(platform_role="researcher")
    assert person.totp_secret is not None
    auth.login(operator.email)
    page = client.get("/operator/two-factor/").get_data(as_text=True)
    token = _token(page)
    unknown = client.post(
        "/operator/two-factor/", data={"email": "nobody@example.test", "once_token": token}
    )
    assert "Ingen logger ind med denne e-mailadresse" in unknown.get_data(as_text=True)
    asked = client.post("/operator/two-factor/", data={"email": person.email, "once_token": token})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Det kan ikke fortrydes" in html
    db.session.refresh(person)
    assert person.totp_secret is not None and not _events("auth.two_factor_reset")
    data = {"email": person.email, "confirm": "y", "once_token": _token(html)}
    assert client.post("/operator/two-factor/", data=data).status_code == 302
    # Sent twice: nothing more to reset, and no second event.
    assert client.post("/operator/two-factor/", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).totp_secret is None
    events = _events("auth.two_factor_reset")
    assert len(events) == 1 and events[0].actor_id == operator.id
    assert events[0].object_id == str(person.id)


@pytest.mark.parametrize("role", ["admin", "lead", "staff", "external", "researcher"])
def test_only_the_operator_reaches_these_pages(
    app_ctx, client, auth, municipalities, make_user, role
):
    platform = role == "researcher"
    user = make_user(
        None if platform else municipalities["jammerbugt"],
        None if platform else role,
        platform_role="researcher" if platform else None,
    )
    study = Study(title="S", purpose="", legal_basis="L", pseudonym_key="k")
    db.session.add(study)
    db.session.commit()
    auth.login(user.email)
    rules = [r for r in app_ctx.url_map.iter_rules() if r.endpoint.startswith("operator.")]
    assert len(rules) >= 7
    for rule in rules:
        values = {"study_id": study.id, "user_id": user.id}
        url = rule.build({a: values[a] for a in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(url, method=method)
            assert answer.status_code == 403, (rule.endpoint, method)
    assert db.session.scalar(select(func.count()).select_from(StudyResearcher)) == 0
