"""Papers for the family and the file: the joint plan, and each form blank or filled, as
PDF files that Poppler opens, in Danish, with the goals and answers; reading them is
recorded, and another municipality's ids answer 404."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.collection.services import forms_for_wave
from app.core.db import db
from app.plans.models import Plan
from app.plans.services import add_goal
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.apps import missing_service
from tests.support.research import fill_wave

pytestmark = pytest.mark.slow


def poppler_text(data: bytes, tmp_path) -> str:
    """What Poppler's pdftotext reads from the file (it fails on a broken one)."""
    if shutil.which("pdftotext") is None:
        missing_service("poppler-utils (pdftotext) not installed")
    path = tmp_path / "paper.pdf"
    path.write_bytes(data)
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    assert not done.stderr, done.stderr
    return done.stdout.decode("utf-8")


@pytest.fixture
def family_with_answers(municipalities, make_user, make_family):
    brondby = municipalities["brondby"]
    staff = make_user(brondby, "staff")
    family = make_family("brondby", adults=1, children=1, enrolment=date.today(), team=[staff])
    with tenant_scope(brondby):
        fill_wave(brondby, family, family.waves[0])
        plan = db.session.scalar(select(Plan).where(Plan.family_id == family.id))
        add_goal(
            plan,
            1,
            "housing",
            "Finde en større bolig tæt på skolen",
            None,
            family_words="Vi vil have et værelse til hver",
        )
        db.session.commit()
        wave = family.waves[0]
        versions = [v.form_id for v in forms_for_wave(brondby, wave)]
        people = {m.role: m.id for m in family.members}
    return staff, family, versions, wave.id, people


def _read_events(action: str) -> int:
    with unscoped("test"):
        return len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_the_plan_as_pdf_has_the_goals_in_danish(client, auth, family_with_answers, tmp_path):
    staff, family, *_ = family_with_answers
    auth.login(staff.email)
    before = _read_events("family.viewed")
    response = client.get(f"/brondby/families/{family.id}/plan.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = poppler_text(response.data, tmp_path)
    for words in (
        "Vores fælles plan",
        "Fase 1",
        "Bolig",
        "Finde en større bolig",
        "værelse til hver",
    ):
        assert words in text, words
    assert _read_events("family.viewed") == before + 1


def test_every_form_of_the_wave_as_pdf_filled_and_blank(
    client, auth, family_with_answers, tmp_path
):
    staff, _family, form_ids, wave_id, people = family_with_answers
    auth.login(staff.email)
    for form_id in form_ids:
        level = form_id.split("_")[0]
        member_id = people.get(level)  # None for the family's own forms
        base = (
            f"/brondby/waves/{wave_id}/forms/{form_id}.pdf"
            if member_id is None
            else f"/brondby/waves/{wave_id}/members/{member_id}/forms/{form_id}.pdf"
        )
        filled = poppler_text(client.get(base).data, tmp_path)
        blank = poppler_text(client.get(base + "?blank=1").data, tmp_path)
        assert "Udskrevet" in filled and "☐" not in filled, form_id
        assert "Et tomt skema" in blank and "Et tomt skema" not in filled, form_id
        if form_id == "adult_intake":
            assert "Fødselsår" in filled and "På intet tidspunkt" in blank


def test_another_municipalitys_papers_answer_404(
    client, auth, family_with_answers, municipalities, make_user
):
    _, family, _, wave_id, _ = family_with_answers
    outsider = make_user(municipalities["vejle"], "staff")
    auth.login(outsider.email)
    for url in (
        f"/vejle/families/{family.id}/plan.pdf",
        f"/vejle/waves/{wave_id}/forms/family_intake.pdf",
        f"/brondby/families/{family.id}/plan.pdf",
    ):
        assert client.get(url).status_code == 404, url
