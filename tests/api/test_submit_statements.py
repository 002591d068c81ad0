"""One form submitted through the API costs a handful of SQL statements, on both databases.

The path is: the token and its membership in one query, the tenant scope once per
transaction, the form version and the municipality's settings from the process's cache,
the family and the wave, then the submission, its typed values, its audit event and the
wave's completion written together, and one commit. The statements are counted with a
listener on the application's engine (a count is behaviour, not timing); the answer is
checked too, so a shorter path cannot pass by doing less.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, func, select

from app.api.tokens import create_token
from app.collection.models import Submission
from app.collection.services import latest_versions
from app.collection.typed import AnswerValue, typed_rows
from app.core.db import db
from app.families.models import Member, Wave
from app.tenancy.scoping import tenant_scope

SLUG = "assens"
#: The most statements one API submission may cost, the commit not counted.
MOST_STATEMENTS = 8
TYPED_COLUMNS = ("municipality_id", "submission_id", "name", "number", "text", "day", "flag")


@contextmanager
def counted(app: Any) -> Iterator[list[str]]:
    """The statements the application's engine sends while the block runs."""
    statements: list[str] = []
    engine = db.engines[None]

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _intake_answers(today: date) -> dict[str, Any]:
    from app.definitions.validation import validate_answers

    form = latest_versions(["family_intake"])["family_intake"].form
    answers = {
        item.name: item.kind.sample(item, form, today) for item in form.fields if item.kind.input
    }
    assert validate_answers(form, answers, complete=True, today=today).ok
    return answers


@pytest.fixture
def world(municipalities, make_user, make_family) -> dict[str, Any]:
    municipality = municipalities[SLUG]
    staff = make_user(municipality, "staff")
    # Enrolled today, as the answers are dated: inside the intake's window. Without
    # members the family's form is all the intake asks, so the wave is completed by it
    # (one statement more); with members it stays open.
    families = [
        make_family(SLUG, adults=n, children=n, team=[staff], enrolment=date.today())
        for n in (0, 0, 1)
    ]
    with tenant_scope(municipality, staff.id):
        _, plain = create_token(staff, municipality, "Fagsystem")
        waves = [
            db.session.scalar(select(Wave).where(Wave.family_id == f.id, Wave.kind == "intake"))
            for f in families
        ]
        db.session.commit()
    return {
        "token": plain,
        "targets": [(f.id, w.id) for f, w in zip(families, waves, strict=True)],
        "answers": _intake_answers(date.today()),
    }


def test_one_api_submission_costs_at_most_eight_statements(app_ctx, client, municipalities, world):
    headers = {"Authorization": f"Bearer {world['token']}", "Content-Type": "application/json"}
    body = {"form_id": "family_intake", "status": "submitted", "answers": world["answers"]}

    def submit(family_id: int, wave_id: int) -> Any:
        url = f"/api/v1/{SLUG}/families/{family_id}/waves/{wave_id}/submissions"
        return client.post(url, json=body, headers=headers)

    # The first request fills the process's caches (form versions, settings); the rest
    # are what a running worker does.
    first_family, first_wave = world["targets"][0]
    assert submit(first_family, first_wave).status_code == 201
    for family_id, wave_id in world["targets"][1:]:
        with counted(app_ctx) as statements:
            response = submit(family_id, wave_id)
        assert response.status_code == 201, response.get_data(as_text=True)
        sent = [s for s in statements if s.upper() not in ("COMMIT", "ROLLBACK")]
        assert len(sent) <= MOST_STATEMENTS, "\n".join(sent)
        written = response.get_json()
        with tenant_scope(municipalities[SLUG]):
            stored = db.session.scalar(
                select(Submission)
                .where(Submission.id == written["id"])
                .execution_options(populate_existing=True)
            )
            assert (stored.family_id, stored.wave_id) == (family_id, wave_id)
            assert stored.status == "submitted" == written["status"]
            assert stored.answers == written["answers"] == world["answers"]
            assert stored.lock_version == written["lock_version"]
            assert stored.updated_at.isoformat() == written["updated_at"]
            assert response.headers["ETag"] == f'"{stored.lock_version}"'
            assert response.headers["Location"].endswith(f"/submissions/{stored.id}")
            typed = [
                {column: getattr(row, column) for column in TYPED_COLUMNS}
                for row in db.session.scalars(
                    select(AnswerValue)
                    .where(AnswerValue.submission_id == stored.id)
                    .order_by(AnswerValue.name)
                )
            ]
            form = latest_versions(["family_intake"])["family_intake"].form
            expected = typed_rows(stored.id, stored.municipality_id, form, world["answers"])
            assert typed == sorted(expected, key=lambda row: row["name"])
            wave = db.session.scalar(
                select(Wave).where(Wave.id == wave_id).execution_options(populate_existing=True)
            )
            members = db.session.scalar(
                select(func.count(Member.id)).where(Member.family_id == family_id)
            )
            assert (wave.completed_at is not None) == (members == 0)
        db.session.rollback()
