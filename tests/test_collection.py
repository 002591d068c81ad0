"""Filling in the core forms through the pages: validation, drafts, submission, conflicts."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from sqlalchemy import select, text

from app.audit.models import AuditEvent
from app.collection.models import FormVersion, Submission
from app.collection.waves import start_exit
from app.core.db import db
from app.definitions.loader import CORE_FORMS
from app.families.models import Family, Wave
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.auth import log_in
from tests.support.checks import warning_ids
from tests.support.forms import valid_formdata
from tests.support.windows import LATE_PAGE

TODAY = date.today()


def fill_url(slug: str, wave: Wave, form_id: str, member_id: int | None) -> str:
    if member_id is None:
        return f"/{slug}/waves/{wave.id}/forms/{form_id}"
    return f"/{slug}/waves/{wave.id}/members/{member_id}/forms/{form_id}"


def expected_pages(municipality, family_id: int) -> list[tuple[Wave, str, int | None, object]]:
    """(wave, form id, member id, definition) for every core form of every open wave."""
    from app.collection.services import forms_for_wave
    from app.families.services import expected_forms

    result = []
    with tenant_scope(municipality):
        family = db.session.get(Family, family_id)
        for wave in family.waves:
            if wave.kind == "follow_up" and wave.month != 6:
                continue
            versions = {v.form_id: v for v in forms_for_wave(municipality, wave)}
            pairs = [(v.form_id, v.level) for v in versions.values() if v.form_id in CORE_FORMS]
            for expected in expected_forms(wave, pairs):
                result.append(
                    (
                        wave,
                        expected.form_id,
                        expected.member.id if expected.member else None,
                        versions[expected.form_id].form,
                    )
                )
    return result


def submission_for(wave_id: int, form_id: str, member_id: int | None) -> Submission | None:
    db.session.rollback()
    with unscoped("test: read a submission"):
        return db.session.scalar(
            select(Submission).where(
                Submission.wave_id == wave_id,
                Submission.form_id == form_id,
                Submission.member_id.is_(None)
                if member_id is None
                else Submission.member_id == member_id,
            )
        )


@pytest.mark.parametrize("language", ["da", "en"])
def test_every_core_form_renders_validates_and_saves(
    client, auth, municipalities, make_user, make_family, language
):
    brondby = municipalities["brondby"]
    user = make_user(brondby, "staff")
    family = make_family("brondby", adults=1, children=1, team=[user])
    with tenant_scope(brondby):
        start_exit(brondby, db.session.get(Family, family.id), TODAY)
        db.session.commit()
    auth.login(user.email)
    if language == "en":
        client.post("/language", data={"language": "en"})

    pages = expected_pages(brondby, family.id)
    assert {form_id for _, form_id, _, _ in pages} == set(CORE_FORMS)
    for wave, form_id, member_id, definition in pages:
        url = fill_url("brondby", wave, form_id, member_id)
        page = client.get(url)
        html = unescape(page.get_data(as_text=True))
        assert page.status_code == 200, url
        assert f'<html lang="{language}">' in html
        assert definition.title[language] in html
        for field in definition.fields:
            assert field.label[language] in html, (form_id, field.name)

        # Wrong input: the page names the field and keeps everything that was typed.
        data = valid_formdata(definition, TODAY, language=language)
        typed = [
            f.name
            for f in definition.fields
            # Numbers and dates: typed into a box, and refused when they are not.
            if f.kind.widget == "plain"
            and f.kind.privacy is None
            and not f.kind.needs_codelist
            and not f.condition
        ]
        if typed:
            broken_name = typed[0]
            data[broken_name] = "not-a-number-x"
        else:
            broken_name = next(f.name for f in definition.fields if f.required)
            del data[broken_name]
        data["submit"] = "1"
        rejected = client.post(url, data=data)
        html = rejected.get_data(as_text=True)
        assert rejected.status_code == 422, url
        assert f'id="{broken_name}-error"' in html
        assert f'href="#{broken_name}"' in html  # the error summary links to the field
        if typed:
            assert 'value="not-a-number-x"' in html
        choice = [
            f
            for f in definition.fields
            if f.kind.needs_codelist
            and not f.kind.multiple
            and f.name != broken_name
            and not f.condition
        ]
        for field in choice:
            code = data[field.name]
            assert re.search(
                rf'(checked|selected)[^>]*value="{code}"|value="{code}"[^>]*(checked|selected)',
                html,
            )
        assert submission_for(wave.id, form_id, member_id) is None

        data = valid_formdata(definition, TODAY, language=language)
        data["submit"] = "1"
        data["lock_version"] = "0"
        data["confirm_check"] = warning_ids(definition)
        data.update(LATE_PAGE)
        saved = client.post(url, data=data)
        assert saved.status_code == 302, (url, saved.get_data(as_text=True)[:3000])
        stored = submission_for(wave.id, form_id, member_id)
        assert stored is not None and stored.status == "submitted"
        assert stored.form_version.form_id == form_id

    with unscoped("test"):
        family_row = db.session.get(Family, family.id)
        assert family_row.status == "exited"
        intake = next(w for w in family_row.waves if w.kind == "intake")
        assert intake.completed_at is not None


def test_required_questions_are_only_required_on_submit(
    client, auth, municipalities, make_user, make_family
):
    brondby = municipalities["brondby"]
    user = make_user(brondby, "staff")
    family = make_family("brondby", adults=1, children=0, team=[user])
    auth.login(user.email)
    wave, form_id, member_id, _definition = next(
        p for p in expected_pages(brondby, family.id) if p[1] == "adult_intake"
    )
    url = fill_url("brondby", wave, form_id, member_id)
    draft = client.post(url, data={"birth_year": "1984", "save_draft": "1", "lock_version": "0"})
    assert draft.status_code == 302
    stored = submission_for(wave.id, form_id, member_id)
    assert stored.status == "draft" and stored.answers == {"birth_year": 1984}

    incomplete = client.post(
        url, data={"birth_year": "1984", "submit": "1", "lock_version": str(stored.lock_version)}
    )
    html = incomplete.get_data(as_text=True)
    assert incomplete.status_code == 422
    assert "Besvar spørgsmålet." in html and 'id="sex-error"' in html
    # The hidden follow-up question is not demanded while its trigger is unanswered.
    assert 'id="employment_activity_date-error"' not in html
    assert submission_for(wave.id, form_id, member_id).status == "draft"

    with unscoped("test"):
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "submission.saved")
        ).all()
    assert events and events[0].details["changed_fields"] == ["birth_year"]
    assert "1984" not in str(events[0].details)


def test_two_people_editing_the_same_submission_conflict(
    client, auth, municipalities, make_user, make_family
):
    brondby = municipalities["brondby"]
    first_user = make_user(brondby, "staff")
    second_user = make_user(brondby, "lead")
    family = make_family("brondby", adults=0, children=0, team=[first_user])
    wave, form_id, member_id, definition = next(
        p for p in expected_pages(brondby, family.id) if p[1] == "family_intake"
    )
    url = fill_url("brondby", wave, form_id, member_id)
    first = client
    second = client.application.test_client()
    log_in(first, first_user.email, "correct horse battery")
    log_in(second, second_user.email, "correct horse battery")

    base = valid_formdata(definition, TODAY)
    assert (
        first.post(
            url, data={**base, "n_plans": "3", "save_draft": "1", "lock_version": "0"}
        ).status_code
        == 302
    )

    def lock_version(page: str) -> str:
        return re.search(r'name="lock_version" type="hidden" value="(\d+)"', page).group(1)

    seen_by_first = lock_version(first.get(url).get_data(as_text=True))
    seen_by_second = lock_version(second.get(url).get_data(as_text=True))
    assert seen_by_first == seen_by_second

    assert (
        first.post(
            url, data={**base, "n_plans": "4", "save_draft": "1", "lock_version": seen_by_first}
        ).status_code
        == 302
    )
    late = second.post(
        url, data={**base, "n_plans": "7", "save_draft": "1", "lock_version": seen_by_second}
    )
    html = late.get_data(as_text=True)
    assert late.status_code == 409
    assert "Nogen har gemt skemaet" in html
    assert "<td>4</td><td>7</td>" in html.replace("\n", "")
    assert submission_for(wave.id, form_id, member_id).answers["n_plans"] == 4

    # The second person may then choose to save theirs, knowingly, over the current version.
    current = re.search(r'name="lock_version" value="(\d+)"', html).group(1)
    overwrite = second.post(
        url, data={**base, "n_plans": "7", "save_draft": "1", "lock_version": current}
    )
    assert overwrite.status_code == 302
    assert submission_for(wave.id, form_id, member_id).answers["n_plans"] == 7


def test_a_submission_renders_with_the_labels_of_its_version(
    client, auth, municipalities, make_user, make_family
):
    brondby = municipalities["brondby"]
    user = make_user(brondby, "staff")
    family = make_family("brondby", adults=0, children=0, team=[user])
    auth.login(user.email)
    wave, form_id, member_id, definition = next(
        p for p in expected_pages(brondby, family.id) if p[1] == "family_intake"
    )
    data = {**valid_formdata(definition, TODAY), "submit": "1", "lock_version": "0", **LATE_PAGE}
    client.post(fill_url("brondby", wave, form_id, member_id), data=data)
    stored = submission_for(wave.id, form_id, member_id)
    page = client.get(f"/brondby/submissions/{stored.id}").get_data(as_text=True)
    assert "Hvordan er husstanden sammensat?" in page
    assert "Enlig forsørger" in page  # the code's label, not the code


def test_cpr_is_encrypted_masked_and_not_checked_with_modulus_11(
    client, auth, municipalities, make_user, make_family
):
    brondby = municipalities["brondby"]
    user = make_user(brondby, "staff")
    family = make_family("brondby", adults=0, children=0, team=[user])
    auth.login(user.email)
    url = f"/brondby/families/{family.id}/members/new"
    bad = client.post(url, data={"role": "adult", "name": "Anna", "cpr": "12345"})
    assert bad.status_code == 200 and "DDMMÅÅ-SSSS" in bad.get_data(as_text=True)
    assert 'value="12345"' in bad.get_data(as_text=True)
    # 010190-1235 fails modulus 11; such numbers have been issued since 2007.
    ok = client.post(url, data={"role": "adult", "name": "Anna", "cpr": "0101901235"})
    assert ok.status_code == 302
    page = client.get(f"/brondby/families/{family.id}").get_data(as_text=True)
    assert "010190-••••" in page and "1235" not in page
    with db.engine.connect() as connection:
        stored = connection.execute(text("SELECT cpr FROM family_member")).scalar_one()
    assert stored.startswith("v1:") and "0101901235" not in stored and "1235" not in stored


def test_only_family_roles_open_forms(client, auth, municipalities, make_user, make_family):
    jammerbugt = municipalities["jammerbugt"]
    external = make_user(jammerbugt, "external")
    own = make_family("jammerbugt", label="Familien Egen", contact=external)
    other = make_family("jammerbugt", label="Familien Anden")
    auth.login(external.email)
    for family in (own, other):
        assert client.get(f"/jammerbugt/families/{family.id}").status_code == 403
    listing = client.get("/jammerbugt/families/").get_data(as_text=True)
    assert "Familien Egen" in listing and "Familien Anden" not in listing
    assert client.get(f"/jammerbugt/families/{own.id}/plan").status_code == 200
    assert client.get(f"/jammerbugt/families/{other.id}/plan").status_code == 403


def test_form_versions_are_shared_snapshots(app_ctx, forms_published):
    versions = db.session.scalars(select(FormVersion)).all()
    assert {v.form_id for v in versions} == set(CORE_FORMS) | {"jammerbugt.bip"}
    adult = next(v for v in versions if v.form_id == "adult_intake")
    assert adult.definition["codelists"]["income_support"]["codes"][0]["code"] == "a_dagpenge"
    assert len(adult.content_hash) == 64


def test_local_forms_appear_only_where_switched_on(
    client, auth, municipalities, make_user, make_family
):
    jammerbugt_family = make_family("jammerbugt", adults=1, children=0, label="Familien Nord")
    brondby_family = make_family("brondby", adults=1, children=0, label="Familien Vest")
    for slug, family, expected in (
        ("jammerbugt", jammerbugt_family, True),
        ("brondby", brondby_family, False),
    ):
        user = make_user(municipalities[slug], "lead")
        auth.login(user.email)
        page = client.get(f"/{slug}/families/{family.id}").get_data(as_text=True)
        assert ("Beskæftigelsesindikatorer (Jammerbugt)" in page) is expected
        wave_id = int(re.search(r'id="wave-(\d+)"', page).group(1))
        member_id = int(re.search(rf"/{slug}/waves/{wave_id}/members/(\d+)/forms", page).group(1))
        local = client.get(f"/{slug}/waves/{wave_id}/members/{member_id}/forms/jammerbugt.bip")
        assert local.status_code == (200 if expected else 404)
        auth.logout()
