"""The dashboard's figures, for a member who sees every family (a lead) and for one who
sees only their own (staff): the two take different query paths."""

from __future__ import annotations

from datetime import date

from flask import g
from sqlalchemy import select

from app.auth.models import Membership
from app.casework.dashboard import build
from app.core.db import db
from app.families.models import Family
from app.tenancy.scoping import tenant_scope
from tests.support.forms import save_family_draft


def test_the_dashboard_counts_what_each_member_sees(
    app_ctx, municipalities, make_user, make_family
):
    today = date.today()
    brondby = municipalities["brondby"]
    lead = make_user(brondby, "lead")
    staff = make_user(brondby, "staff")
    mine = make_family("brondby", enrolment=today, label="Min", team=[staff]).id
    other = make_family("brondby", enrolment=today, label="Anden").id
    gone = make_family("brondby", enrolment=today, label="Udskrevet").id
    make_family("vejle", enrolment=today, label="Vejle")
    with tenant_scope(brondby):
        for family_id in (mine, other, gone):
            save_family_draft(brondby, family_id, today)
        db.session.get(Family, gone).status = "exited"
        db.session.commit()

    def board_for(user):
        with app_ctx.test_request_context(), tenant_scope(brondby, user.id):
            g.municipality = brondby
            g.membership = db.session.scalar(
                select(Membership).where(Membership.user_id == user.id)
            )
            return build(today)

    seen_by_lead = board_for(lead)
    assert seen_by_lead.families == 2
    assert {f.label for _, f in seen_by_lead.due_waves} == {"Min", "Anden"}
    assert seen_by_lead.due_count == 2
    assert {f.label for _, f in seen_by_lead.drafts} == {"Min", "Anden"}
    assert seen_by_lead.draft_count == 2
    # Completeness counts every family's opened waves, the exited one's too.
    assert dict((k, (t, d)) for k, t, d in seen_by_lead.completeness)["intake"] == (3, 0)

    seen_by_staff = board_for(staff)
    assert seen_by_staff.families == 1
    assert [f.label for _, f in seen_by_staff.due_waves] == ["Min"]
    assert (seen_by_staff.due_count, seen_by_staff.draft_count) == (1, 1)
    assert dict((k, (t, d)) for k, t, d in seen_by_staff.completeness)["intake"] == (1, 0)
