"""Retention, erasure and subject access, through the service layer and the commands.

Jammerbugt is used because its local BIP form has a free-text question (core forms have
none), so there is identifying text to remove and coded answers to keep.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.collection.models import Submission
from app.collection.services import forms_for_wave, save_submission
from app.core.db import db
from app.families.models import Family, Member
from app.families.services import add_member
from app.plans.models import Goal, Plan
from app.plans.services import add_goal, create_plan
from app.privacy.services import REMOVED, ErasureError, erase_member
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.forms import valid_formdata

TODAY = date(2026, 2, 1)


def _submit_adult_forms(municipality, family, adult):
    wave = next(w for w in family.waves if w.kind == "intake")
    for version in forms_for_wave(municipality, wave):
        if version.level != "adult":
            continue
        raw = valid_formdata(version.form, TODAY)
        if "birth_year" in raw:
            raw["birth_year"] = "1990"  # as the CPR number below says: the forms check it
        if "bip_note" in raw:
            raw["bip_note"] = f"Har talt med {adult.name} om job"
        save_submission(
            municipality,
            wave,
            version,
            adult,
            raw,
            submit=True,
            seen_lock_version=None,
            actor_id=None,
            today=TODAY,
        )


@pytest.fixture
def jammerbugt_families(municipalities, make_family):
    """An old family that left in 2020 and a recent one, each with an adult's CPR number,
    a free-text answer and a plan goal."""
    jammerbugt = municipalities["jammerbugt"]
    made = {}
    for key, enrolled, exited in (
        ("old", date(2019, 1, 10), date(2020, 6, 30)),
        ("recent", date(2025, 9, 1), date(2025, 12, 31)),
    ):
        family = make_family("jammerbugt", adults=0, children=1, enrolment=enrolled, label=key)
        with tenant_scope(jammerbugt):
            family = db.session.get(Family, family.id)
            adult = add_member(family, "adult", f"Voksen {key}", enrolled, cpr="010190-1234")
            _submit_adult_forms(jammerbugt, family, adult)
            plan = db.session.scalar(
                select(Plan).where(Plan.family_id == family.id)
            ) or create_plan(jammerbugt, family)
            add_goal(plan, 1, "work_education", f"{adult.name} søger tre job", None)
            family.exit_date = exited
            family.status = "exited"
            db.session.commit()
            made[key] = (family.id, adult.id)
    return jammerbugt, made


def _note(member_id: int) -> str | None:
    submission = db.session.scalar(
        select(Submission).where(
            Submission.member_id == member_id, Submission.form_id == "jammerbugt.bip"
        )
    )
    return submission.answers.get("bip_note"), submission.answers.get("bip_job_belief")


def test_purge_removes_names_after_the_retention_period_and_keeps_the_answers(
    app_ctx, jammerbugt_families
):
    jammerbugt, made = jammerbugt_families
    runner = app_ctx.test_cli_runner()

    dry = runner.invoke(args=["privacy", "purge", "--dry-run", "--today", "2026-02-01"])
    assert dry.exit_code == 0, dry.output
    old_id, old_adult = made["old"]
    recent_id, recent_adult = made["recent"]
    assert f"family {old_id}: exit 2020-06-30, due 2025-06-30" in dry.output
    assert f"family {recent_id}" not in dry.output
    assert "nothing was changed" in dry.output
    db.session.expire_all()
    with tenant_scope(jammerbugt):
        assert db.session.get(Family, old_id).label == "old"

    done = runner.invoke(args=["privacy", "purge", "--today", "2026-02-01"])
    assert done.exit_code == 0, done.output
    assert "1 families anonymised" in done.output
    db.session.expire_all()
    with tenant_scope(jammerbugt):
        old = db.session.get(Family, old_id)
        assert old.label == f"{REMOVED} #{old_id}" and old.anonymised_at is not None
        for member in old.members:
            assert member.name.startswith(REMOVED) and member.cpr is None
        note, belief = _note(old_adult)
        assert note is None, "free text removed"
        assert belief is not None, "the coded answer stays for the evaluation"
        goals = db.session.scalars(select(Goal).join(Plan).where(Plan.family_id == old_id))
        assert [g.description for g in goals] == [REMOVED]
        # The recent family is untouched.
        recent = db.session.get(Family, recent_id)
        assert recent.label == "recent"
        assert db.session.get(Member, recent_adult).cpr == "010190-1234"
        assert _note(recent_adult)[0] == "Har talt med Voksen recent om job"
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "privacy.anonymised")
        ).all()
    assert [(e.object_id, e.details["members"]) for e in events] == [(str(old_id), 2)]

    again = runner.invoke(args=["privacy", "purge", "--today", "2026-02-01"])
    assert "0 families anonymised" in again.output


def test_a_shorter_retention_period_in_the_settings_is_honoured(app_ctx, jammerbugt_families):
    jammerbugt, made = jammerbugt_families
    with tenant_scope(jammerbugt):
        jammerbugt.settings = {**jammerbugt.settings, "privacy": {"retention_months": 1}}
        db.session.commit()
    result = app_ctx.test_cli_runner().invoke(
        args=[
            "privacy",
            "purge",
            "--dry-run",
            "--municipality",
            "jammerbugt",
            "--today",
            "2026-02-01",
        ]
    )
    assert f"family {made['recent'][0]}: exit 2025-12-31, due 2026-01-31" in result.output


def test_erasure_leaves_a_tombstone_and_an_audit_event(app_ctx, jammerbugt_families, make_user):
    jammerbugt, made = jammerbugt_families
    officer = make_user(jammerbugt, "admin")
    _family_id, adult_id = made["recent"]
    runner = app_ctx.test_cli_runner()
    args = ["privacy", "erase", "--municipality", "jammerbugt", "--member", str(adult_id)]

    asked = runner.invoke(args=[*args, "--reason", "sag 2026-17"])
    assert "Add --yes" in asked.output
    db.session.expire_all()
    with tenant_scope(jammerbugt):
        assert db.session.get(Member, adult_id).erased_at is None

    done = runner.invoke(args=[*args, "--reason", "sag 2026-17", "--by", officer.email, "--yes"])
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    with tenant_scope(jammerbugt):
        adult = db.session.get(Member, adult_id)
        assert adult.erased_at is not None
        assert adult.name == f"{REMOVED} #{adult_id}" and adult.cpr is None
        note, belief = _note(adult_id)
        assert note is None and belief is not None
        # The child of the same family keeps their name: erasure is of one person.
        child = next(m for m in adult.family.members if m.role == "child")
        assert not child.name.startswith(REMOVED)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.erased"))
        assert event.object_id == str(adult_id) and event.details["reason"] == "sag 2026-17"
        assert event.actor_id == officer.id
        with pytest.raises(ErasureError, match="already erased"):
            erase_member(adult, reason="again", actor_id=None)
        with pytest.raises(ErasureError, match="needs a reason"):
            erase_member(child, reason=" ", actor_id=None)
    twice = runner.invoke(args=[*args, "--reason", "again", "--yes"])
    assert twice.exit_code == 1 and "already erased" in twice.output


def test_subject_access_exports_everything_held_about_one_person(
    client, auth, app_ctx, jammerbugt_families, make_user, tmp_path
):
    jammerbugt, made = jammerbugt_families
    family_id, adult_id = made["recent"]
    staff = make_user(jammerbugt, "lead")
    auth.login(staff.email)
    assert client.get(f"/jammerbugt/families/{family_id}").status_code == 200

    out = tmp_path / "indsigt.json"
    result = app_ctx.test_cli_runner().invoke(
        args=[
            "privacy",
            "subject-access",
            "--municipality",
            "jammerbugt",
            "--member",
            str(adult_id),
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["about"]["name"] == "Voksen recent"
    assert document["about"]["cpr"] == "010190-1234"
    forms = {f["form"]: f for f in document["forms"]}
    assert "jammerbugt.bip" in forms and forms["jammerbugt.bip"]["about"] == "person"
    notes = [a["answer"] for a in forms["jammerbugt.bip"]["answers"]]
    assert "Har talt med Voksen recent om job" in notes
    # The child's own forms are someone else's data.
    assert all(f["about"] in ("person", "family") for f in document["forms"])
    assert not any(f["form"].startswith("child_") for f in document["forms"])
    assert document["joint_plan"][0]["goal"] == "Voksen recent søger tre job"
    assert [(r["action"], r["by"]) for r in document["readings_of_the_family"]] == [
        ("family.viewed", staff.name)
    ]
    with unscoped("test"):
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "privacy.subject_access")
        ).object_id == str(adult_id)


def test_an_admin_handles_a_persons_rights_from_the_family_page(
    client, auth, app_ctx, jammerbugt_families, make_user
):
    jammerbugt, made = jammerbugt_families
    family_id, adult_id = made["recent"]
    staff = make_user(jammerbugt, "staff")
    admin = make_user(jammerbugt, "admin")

    auth.login(staff.email)
    assert client.get(f"/jammerbugt/privacy/members/{adult_id}").status_code == 403
    auth.logout()

    auth.login(admin.email)
    family_page = client.get(f"/jammerbugt/families/{family_id}").get_data(as_text=True)
    assert f"/jammerbugt/privacy/members/{adult_id}" in family_page
    download = client.get(f"/jammerbugt/privacy/members/{adult_id}/subject-access.json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert download.json["about"]["cpr"] == "010190-1234"

    unconfirmed = client.post(f"/jammerbugt/privacy/members/{adult_id}", data={"reason": "sag 9"})
    assert unconfirmed.status_code == 400
    html = unconfirmed.get_data(as_text=True)
    assert "Sæt kryds for at bekræfte" in html and 'value="sag 9"' in html
    db.session.expire_all()
    with tenant_scope(jammerbugt):
        assert db.session.get(Member, adult_id).erased_at is None

    done = client.post(
        f"/jammerbugt/privacy/members/{adult_id}", data={"reason": "sag 9", "confirm": "y"}
    )
    assert done.status_code == 302
    db.session.expire_all()
    with tenant_scope(jammerbugt):
        assert db.session.get(Member, adult_id).cpr is None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.erased"))
        assert event.actor_id == admin.id
