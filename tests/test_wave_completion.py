"""A wave's completion agrees with its rows: the status stored on the wave, the status and
form rows on the family page, and the dashboard's counts, whatever the municipality does
with its local forms (switched on, off, on again) and however far the family has got."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from html import unescape

import pytest
from flask import g
from sqlalchemy import select

from app.admin.services import update_settings
from app.auth.models import Membership
from app.casework.dashboard import build
from app.collection.services import forms_for_wave, save_submission
from app.core.db import db
from app.families.models import MEMBER_ROLES, Family, Wave
from app.families.services import add_member
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope
from tests.support.answers import answer_wave
from tests.support.checks import warning_ids
from tests.support.forms import valid_formdata

LOCAL = "jammerbugt.bip"
#: What the municipality does with its local form, step by step, from where it starts.
SWITCHES = [("on",), ("on", "off"), ("on", "off", "on"), ("off", "on"), ("off", "on", "off")]
#: How far the family's intake got before the switching: its core forms, its local form.
CORE = ["all submitted", "one missing"]
LOCAL_ANSWER = ["submitted", "draft", "missing"]


def switch(municipality: Municipality, state: str) -> None:
    """Switch the local form on or off the way the admin settings page does."""
    update_settings(
        municipality,
        municipality.team_model,
        {},
        [LOCAL] if state == "on" else [],
    )
    db.session.commit()


def answer(municipality, family, wave, today, core: str, local: str) -> None:
    for version in forms_for_wave(municipality, wave):
        if version.form.is_local:
            if local == "missing":
                continue
            submit = local == "submitted"
        else:
            if core == "one missing" and version.form_id == "adult_intake":
                continue
            submit = True
        subjects = [None] if version.level == "family" else family.active_members(wave.due_date)
        for member in subjects:
            if version.level != "family" and member.role != version.level:
                continue
            save_submission(
                municipality,
                wave,
                version,
                member,
                valid_formdata(version.form, today),
                submit=submit,
                seen_lock_version=None,
                actor_id=None,
                today=today,
                confirmed=warning_ids(version.form),
            )
    db.session.commit()


def page_of(client, slug: str, family_id: int, wave_id: int) -> tuple[str, list[str]]:
    """The wave's status on the family page and the status of each of its form rows."""
    html = unescape(client.get(f"/{slug}/families/{family_id}").get_data(as_text=True))
    section = html.split(f'id="wave-{wave_id}"', 1)[1].split("</section>", 1)[0]
    status = re.search(r'class="status status-(\w+)"', section).group(1)
    rows = re.findall(r"<tr>\s*<td>.*?</td>\s*<td>.*?</td>\s*<td>(.*?)</td>", section, re.S)
    return status, rows


@pytest.mark.parametrize("switches", SWITCHES, ids="-".join)
def test_a_waves_completion_agrees_with_its_rows_and_the_dashboard(
    app_ctx, client, auth, municipalities, make_user, make_family, switches
):
    jammerbugt = municipalities["jammerbugt"]
    # Two days ago: the intake's window is open on the server's date and Copenhagen's.
    enrolment = date.today() - timedelta(days=2)
    today = date.today()
    lead = make_user(jammerbugt, "lead")
    with tenant_scope(jammerbugt):
        switch(jammerbugt, switches[0])
    families = {
        combination: make_family(
            "jammerbugt",
            adults=1,
            children=1,
            enrolment=enrolment,
            label=f"Familien {' '.join(combination)}",
        ).id
        for combination in itertools.product(CORE, LOCAL_ANSWER)
    }
    with tenant_scope(jammerbugt):
        for (core, local), family_id in families.items():
            family = db.session.get(Family, family_id)
            intake = next(w for w in family.waves if w.kind == "intake")
            answer(jammerbugt, family, intake, today, core, local)
    auth.login(lead.email)

    # The rule (docs/forms.md, "Waves and what they expect"): a wave completes once its
    # core forms and the local forms switched on are submitted; once complete it stays so.
    # A local form switched off at the start was never there to answer.
    answered_local = {c: c[1] if switches[0] == "on" else "missing" for c in families}
    expected_complete = dict.fromkeys(families, False)
    for step, state in enumerate(switches):
        if step:
            with tenant_scope(jammerbugt):
                switch(jammerbugt, state)
        for (core, local), was in expected_complete.items():
            expected_complete[(core, local)] = was or (
                core == "all submitted"
                and (state == "off" or answered_local[(core, local)] == "submitted")
            )
        completed = 0
        for combination, family_id in families.items():
            where = (switches[: step + 1], combination)
            with tenant_scope(jammerbugt):
                wave = db.session.scalar(
                    select(Wave).where(Wave.family_id == family_id, Wave.kind == "intake")
                )
                stored, wave_id = wave.status(today), wave.id
            shown, rows = page_of(client, "jammerbugt", family_id, wave_id)
            assert shown == stored, where
            assert rows, where
            # Completed exactly when every row the page lists is submitted.
            assert (stored == "completed") == all(r == "Indsendt" for r in rows), (where, rows)
            assert (stored == "completed") == expected_complete[combination], (where, rows)
            completed += stored == "completed"

        with app_ctx.test_request_context(), tenant_scope(jammerbugt, lead.id):
            g.municipality = jammerbugt
            g.membership = db.session.scalar(
                select(Membership).where(Membership.user_id == lead.id)
            )
            board = build(today)
        intake = {k: (total, done) for k, total, done in board.completeness}["intake"]
        assert intake == (len(families), completed), switches[: step + 1]
        assert board.due_count == len(families) - completed


@pytest.mark.parametrize("role", MEMBER_ROLES)
def test_a_member_who_belonged_on_the_due_date_reopens_a_completed_wave(
    app_ctx, client, auth, municipalities, make_user, make_family, role
):
    brondby = municipalities["brondby"]
    enrolment = date.today() - timedelta(days=2)
    today = date.today()
    lead = make_user(brondby, "lead")
    family_id = make_family("brondby", adults=1, children=1, enrolment=enrolment).id
    with tenant_scope(brondby):
        family = db.session.get(Family, family_id)
        intake = next(w for w in family.waves if w.kind == "intake")
        answer_wave(brondby, family, intake, today=today)
        db.session.commit()
        assert intake.status(today) == "completed"
        wave_id = intake.id
    auth.login(lead.email)

    def agree() -> str:
        with tenant_scope(brondby):
            stored = db.session.get(Wave, wave_id).status(today)
        shown, rows = page_of(client, "brondby", family_id, wave_id)
        assert shown == stored
        assert (stored == "completed") == all(r == "Indsendt" for r in rows), rows
        return stored

    assert agree() == "completed"
    with tenant_scope(brondby):
        family = db.session.get(Family, family_id)
        # Joined at enrolment, recorded later: the intake asks about them too.
        member = add_member(family, role, f"Ny {role}", enrolment)
        db.session.commit()
        member_id = member.id
    assert agree() == "due"
    with tenant_scope(brondby):
        family = db.session.get(Family, family_id)
        wave = db.session.get(Wave, wave_id)
        member = next(m for m in family.members if m.id == member_id)
        for version in forms_for_wave(brondby, wave):
            if version.level == role:
                save_submission(
                    brondby,
                    wave,
                    version,
                    member,
                    valid_formdata(version.form, today),
                    submit=True,
                    seen_lock_version=None,
                    actor_id=None,
                    today=today,
                    confirmed=warning_ids(version.form),
                )
        db.session.commit()
    assert agree() == "completed"
