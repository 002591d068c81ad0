"""``GET /api/v1/<slug>/waves?status=…``: the same waves as the work list pages, on a
generated data set, with what each still misses; bad parameters are problems, not errors."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.api.tokens import create_token
from app.auth.models import Membership
from app.casework.missed import record_missed
from app.collection.models import Submission
from app.core import dates
from app.core.db import db
from app.demo.generate import generate
from app.families.models import Assignment, Family, Wave
from app.teams.services import assign
from app.tenancy.scoping import tenant_scope


def token_of(user, municipality) -> str:
    with tenant_scope(municipality, user.id):
        _, plain = create_token(user, municipality, "test", 30)
        db.session.commit()
    return plain


def api_waves(client, token: str, status: str) -> list[dict]:
    items, page = [], 1
    while True:
        answer = client.get(
            f"/api/v1/brondby/waves?status={status}&page={page}&per_page=200",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        body = answer.json
        items += body["items"]
        if page * body["per_page"] >= body["total"]:
            assert len(items) == body["total"]
            return items
        page += 1


def page_waves(client, name: str) -> list[int]:
    ids, page = [], 1
    while True:
        answer = client.get(f"/brondby/work/{name}?page={page}")
        if answer.status_code == 404:
            return ids
        assert answer.status_code == 200
        found = [int(i) for i in re.findall(r'#wave-(\d+)"', answer.get_data(as_text=True))]
        if not found:
            return ids
        ids += found
        page += 1


def test_the_api_agrees_with_the_pages_on_generated_data(
    app_ctx, client, auth, municipalities, forms_published, make_user
):
    brondby = municipalities["brondby"]
    lead = make_user(brondby, "lead")
    staff = make_user(brondby, "staff")
    generate(brondby, 80, seed=5)
    db.session.commit()
    make_user(municipalities["vejle"], "lead")
    generate(municipalities["vejle"], 20, seed=5)
    db.session.commit()
    today = dates.today()
    with tenant_scope(brondby):
        overdue = db.session.scalars(
            select(Wave).where(Wave.status_is("overdue", today)).order_by(Wave.id)
        ).all()
        assert len(overdue) > 3
        record_missed(overdue[0], "declined")
        membership = db.session.scalar(select(Membership).where(Membership.user_id == staff.id))
        for wave in overdue[1:3]:
            assign(brondby, wave.family, membership)
        db.session.commit()
        missed_id = overdue[0].id

    auth.login(lead.email)
    token = token_of(lead, brondby)
    for status in ("overdue", "due", "upcoming"):
        items = api_waves(client, token, status)
        assert [i["wave_id"] for i in items] == page_waves(client, status), status
        assert all(i["status"] == status for i in items)
    items = api_waves(client, token, "overdue")
    assert missed_id not in {i["wave_id"] for i in items}
    missed = api_waves(client, token, "missed")
    with tenant_scope(brondby):
        # The generated data records reasons too; the one recorded above is among them.
        recorded = {
            (w.id, w.missed_reason)
            for w in db.session.scalars(
                select(Wave).where(
                    Wave.missed_reason.is_not(None),
                    Wave.completed_at.is_(None),
                    Wave.family.has(Family.status == "active"),
                )
            )
        }
    assert {(i["wave_id"], i["missed_reason"]) for i in missed} == recorded
    assert (missed_id, "declined") in recorded
    assert api_waves(client, token, "completed")
    # What is missing agrees with the submissions of each wave.
    with tenant_scope(brondby):
        for item in items[:20]:
            submitted = {
                tuple(row)
                for row in db.session.execute(
                    select(Submission.form_id, Submission.member_id).where(
                        Submission.wave_id == item["wave_id"], Submission.status == "submitted"
                    )
                )
            }
            assert item["missing_forms"]
            for form in item["missing_forms"]:
                assert (form["form_id"], form["member_id"]) not in submitted

    # Staff see their own families only, on both sides.
    auth.logout()
    auth.login(staff.email)
    staff_token = token_of(staff, brondby)
    own = api_waves(client, staff_token, "overdue")
    assert {i["wave_id"] for i in own} <= {i["wave_id"] for i in items}
    assert [i["wave_id"] for i in own] == page_waves(client, "overdue")
    with tenant_scope(brondby):
        # The generator gives families to the municipality's staff too: theirs, counted
        # independently of the lists, are what staff see.
        theirs = set(
            db.session.scalars(
                select(Assignment.family_id).where(
                    Assignment.user_id == staff.id, Assignment.active
                )
            )
        )
        expected_own = {
            w.id
            for w in db.session.scalars(
                select(Wave).where(Wave.family_id.in_(theirs), Wave.status_is("overdue", today))
            )
            if w.family.status == "active"
        }
    assert own and {i["wave_id"] for i in own} == expected_own

    for bad in ("status=nope", "", "status=overdue&page=0", "status=due&per_page=999"):
        answer = client.get(
            f"/api/v1/brondby/waves?{bad}", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 422, bad
        assert answer.mimetype == "application/problem+json"
