"""Waves: due dates from the enrolment date and the municipality's schedule; statuses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.collection.waves import start_exit
from app.core.db import db, utcnow
from app.families.models import Family, Wave
from app.families.services import (
    StaleFamily,
    add_months,
    correct_enrolment_date,
    enrol_family,
)
from app.tenancy.scoping import tenant_scope


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 15), 6, date(2026, 7, 15)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2026, 11, 30), 18, date(2028, 5, 30)),
    ],
)
def test_add_months_keeps_the_day_or_the_months_last(start, months, expected):
    assert add_months(start, months) == expected


def waves_of(municipality, family_id: int) -> dict[str, Wave]:
    with tenant_scope(municipality):
        return {
            w.key: w
            for w in db.session.scalars(
                select(Wave).where(Wave.family_id == family_id).order_by(Wave.due_date)
            )
        }


def test_enrolment_schedules_intake_and_follow_ups(municipalities, forms_published):
    vejle = municipalities["vejle"]  # interval 6 months, window 30 days, 3 follow-ups
    with tenant_scope(vejle):
        family = enrol_family(vejle, "Familien Dato", date(2026, 1, 31))
        db.session.commit()
        assert family.team_model == "single_entry"
    waves = waves_of(vejle, family.id)
    assert list(waves) == ["intake", "follow_up_6", "follow_up_12", "follow_up_18"]
    assert waves["intake"].due_date == date(2026, 1, 31)
    assert (waves["intake"].window_start, waves["intake"].window_end) == (
        date(2026, 1, 31),
        date(2026, 3, 2),
    )
    assert waves["follow_up_6"].due_date == date(2026, 7, 31)
    assert waves["follow_up_12"].due_date == date(2027, 1, 31)
    assert (waves["follow_up_6"].window_start, waves["follow_up_6"].window_end) == (
        date(2026, 7, 1),
        date(2026, 8, 30),
    )


def test_wave_statuses(municipalities, forms_published):
    brondby = municipalities["brondby"]
    with tenant_scope(brondby):
        family = enrol_family(brondby, "Familien Status", date(2026, 1, 15))
        db.session.commit()
    wave = waves_of(brondby, family.id)["follow_up_6"]  # due 15 July, window ±30 days
    assert wave.status(date(2026, 6, 14)) == "upcoming"
    assert wave.status(date(2026, 6, 15)) == "due"
    assert wave.status(date(2026, 7, 15)) == "due"
    assert wave.status(date(2026, 7, 16)) == "due"
    assert wave.status(date(2026, 8, 14)) == "due"
    assert wave.status(date(2026, 8, 15)) == "overdue"
    assert wave.status(date(2027, 8, 15)) == "overdue"  # it never disappears by itself
    wave.missed_reason = "moved"
    assert wave.status(date(2026, 8, 15)) == "missed"
    wave.completed_at = utcnow()
    assert wave.status(date(2026, 8, 15)) == "completed"


def test_a_corrected_enrolment_date_recomputes_the_waves(municipalities, forms_published):
    brondby = municipalities["brondby"]
    with tenant_scope(brondby):
        family = enrol_family(brondby, "Familien Ret", date(2026, 1, 15))
        db.session.commit()
        ids = {w.key: w.id for w in family.waves}
        correct_enrolment_date(brondby, family, date(2026, 2, 1), family.lock_version)
        db.session.commit()
    waves = waves_of(brondby, family.id)
    assert {k: w.id for k, w in waves.items()} == ids  # same waves, new dates
    assert waves["intake"].due_date == date(2026, 2, 1)
    assert waves["follow_up_6"].due_date == date(2026, 8, 1)
    assert waves["follow_up_24"].due_date == date(2028, 2, 1)


def test_a_stale_correction_is_refused(municipalities, forms_published):
    brondby = municipalities["brondby"]
    with tenant_scope(brondby):
        family = enrol_family(brondby, "Familien Gammel", date(2026, 1, 15))
        db.session.commit()
        seen = family.lock_version
        correct_enrolment_date(brondby, family, date(2026, 1, 20), seen)
        db.session.commit()
        with pytest.raises(StaleFamily):
            correct_enrolment_date(brondby, family, date(2026, 3, 1), seen)
        db.session.rollback()
        assert db.session.get(Family, family.id).enrolment_date == date(2026, 1, 20)


def test_exit_drops_unanswered_later_follow_ups(municipalities, forms_published):
    brondby = municipalities["brondby"]
    with tenant_scope(brondby):
        family = enrol_family(brondby, "Familien Ud", date(2026, 1, 15))
        db.session.commit()
        start_exit(brondby, family, date(2026, 9, 1))
        db.session.commit()
    waves = waves_of(brondby, family.id)
    assert set(waves) == {"intake", "follow_up_6", "exit"}
    assert waves["exit"].due_date == date(2026, 9, 1)
    assert waves["exit"].window_end == date(2026, 9, 1) + timedelta(days=30)


def test_enrolment_and_corrections_through_the_pages(
    client, auth, municipalities, make_user, forms_published
):
    rodovre = municipalities["rodovre"]
    user = make_user(rodovre, "staff")
    auth.login(user.email)
    missing = client.post("/rodovre/families/new", data={"label": "", "enrolment_date": "x"})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 200
    assert 'id="label-error"' in html and 'id="enrolment_date-error"' in html
    assert 'value="x"' in html
    created = client.post(
        "/rodovre/families/new", data={"label": "Familien Side", "enrolment_date": "15-01-2026"}
    )
    assert created.status_code == 302
    family_url = created.location
    page = client.get(family_url).get_data(as_text=True)
    assert "Familien Side" in page and "Én indgang" in page and "15. januar 2026" in page
    assert "Opfølgning efter 6 måneder" in page

    with tenant_scope(rodovre):
        lock = db.session.scalar(select(Family.lock_version))
    moved = client.post(
        family_url + "/enrolment", data={"enrolment_date": "2026-02-01", "lock_version": str(lock)}
    )
    assert moved.status_code == 302
    assert "1. august 2026" in client.get(family_url).get_data(as_text=True)
    stale = client.post(
        family_url + "/enrolment", data={"enrolment_date": "2026-03-01", "lock_version": str(lock)}
    )
    assert stale.status_code == 302
    assert "En anden har ændret familien imens" in client.get(family_url).get_data(as_text=True)


def test_members_are_added_and_end_with_dates(client, auth, municipalities, make_user, make_family):
    assens = municipalities["assens"]
    user = make_user(assens, "lead")
    family = make_family("assens", adults=0, children=0)
    auth.login(user.email)
    url = f"/assens/families/{family.id}"
    assert (
        client.post(url + "/members/new", data={"role": "child", "name": "Lille Ida"}).status_code
        == 302
    )
    with tenant_scope(assens):
        member = db.session.get(Family, family.id).members[0]
        assert member.role == "child" and member.start_date == date(2026, 1, 15)
        member_id = member.id
    ended = client.post(f"{url}/members/{member_id}/end", data={"end_date": "2026-05-01"})
    assert ended.status_code == 302
    with tenant_scope(assens):
        family_row = db.session.get(Family, family.id)
        assert family_row.members[0].end_date == date(2026, 5, 1)
        follow_up_6 = next(w for w in family_row.waves if w.key == "follow_up_6")
        # Ida left before the 6-month follow-up: it expects no child form for her.
        assert family_row.active_members(follow_up_6.due_date, "child") == []
