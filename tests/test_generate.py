"""Synthetic data: bulk-inserted, valid against the forms, and shaped like the seeds."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.collection.models import Submission
from app.core.db import db
from app.definitions.validation import validate_answers
from app.demo.generate import generate
from app.families.models import Family, Member
from app.reports.cohort import Cohort
from app.reports.indicator_run import compute
from app.tenancy.scoping import tenant_scope


def test_generated_families_are_valid_and_realistic(municipalities, forms_published, app_ctx):
    vejle = municipalities["vejle"]
    result = generate(vejle, 300, seed=3)
    db.session.commit()
    assert result.families == 300 and result.members > 300 and result.submissions > 900
    with tenant_scope(vejle):
        assert db.session.scalar(select(func.count()).select_from(Family)) == 300
        assert db.session.scalar(select(func.count()).select_from(Member)) == result.members
        # Every answer set passes the form's own validation, as if staff had typed it.
        for submission in db.session.scalars(select(Submission).limit(400)):
            raw = {
                k: ("true" if v is True else "false" if v is False else v)
                for k, v in submission.answers.items()
                if k != "who5_score"
            }
            checked = validate_answers(
                submission.form_version.form, raw, complete=True, today=date.today()
            )
            assert checked.ok, (submission.form_id, checked.errors)
            assert checked.answers == submission.answers
        raw = compute(Cohort((vejle.id,), date.today()))
    n, on_support = raw["adults_income_support_intake"][(vejle.id, "single_entry")]
    assert 0.6 < on_support / n < 0.9  # the seeds' "three in four"
    n, active = raw["children_active_case_intake"][(vejle.id, "single_entry")]
    assert 0.75 < active / n < 0.93  # 84 %
