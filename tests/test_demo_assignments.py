"""The demo's generated families are given to its staff and leads, so that after
``demo seed`` and ``demo generate`` a demo caseworker has families in every list."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from app.auth.services import find_user
from app.collection.models import Submission
from app.core import dates
from app.core.db import db
from app.definitions.loader import load_catalogue
from app.demo.generate import generate
from app.demo.services import DEFAULT_PASSWORD, seed_demo
from app.families.models import WAVE_STATUSES, Assignment, Family, Wave
from app.teams.services import TEAM_MODEL_RULES
from app.tenancy.config_files import load_directory
from app.tenancy.models import Municipality
from app.tenancy.scoping import tenant_scope


def test_generated_families_fill_the_demo_caseworkers_lists(app_ctx, client, auth):
    seed_demo(
        load_directory(Path(app_ctx.config["MUNICIPALITIES_DIR"])),
        DEFAULT_PASSWORD,
        load_catalogue(Path(app_ctx.config["FORMS_DIR"])),
    )
    db.session.commit()
    brondby = db.session.scalar(select(Municipality).filter_by(slug="brondby"))
    result = generate(brondby, 200, seed=5)
    db.session.commit()
    staff = find_user("staff@brondby.example")
    lead = find_user("lead@brondby.example")
    today = dates.today()
    with tenant_scope(brondby):
        kind = TEAM_MODEL_RULES[brondby.team_model]["kinds"][0]
        assigned = {
            user_id: set(ids)
            for user_id, ids in (
                (
                    u.id,
                    db.session.scalars(
                        select(Assignment.family_id).where(
                            Assignment.user_id == u.id, Assignment.active
                        )
                    ),
                )
                for u in (staff, lead)
            )
        }
        assert assigned[staff.id] and assigned[lead.id]
        assert set(db.session.scalars(select(Assignment.kind))) == {kind}
        # Some families are left for the leads' "unassigned" list.
        families = db.session.scalar(select(func.count()).select_from(Family))
        assert 0 < result.assigned < families == 200
        # The staff member's families have waves in every state and drafts.
        statuses = set(
            db.session.scalars(
                select(Wave.status_sql(today)).where(Wave.family_id.in_(assigned[staff.id]))
            )
        )
        assert statuses == set(WAVE_STATUSES)
        drafts = db.session.scalar(
            select(func.count())
            .select_from(Submission)
            .where(Submission.status == "draft", Submission.family_id.in_(assigned[staff.id]))
        )
        assert drafts > 0
        db.session.commit()
    mine = len(assigned[staff.id])
    auth.login(staff.email, DEFAULT_PASSWORD)
    home = client.get("/brondby/").get_data(as_text=True)
    assert f"Dine {mine} familier" in home
    due = re.search(r"Skemaer, der skal udfyldes nu \((\d+)\)", home)
    waiting = re.search(r"Kladder, der venter \((\d+)\)", home)
    assert due and int(due.group(1)) > 0, home
    assert waiting and int(waiting.group(1)) == drafts
    listing = client.get("/brondby/families/?scope=mine").get_data(as_text=True)
    assert f"{mine} familier" in listing
