"""Retention, erasure and subject access: what the data-protection rules ask of the data.

*Identifying* data is what names a person: a family's label, a member's name and CPR
number, and every answer to a free-text or identifying question, and a plan goal's words.
*Pseudonymised* data is the rest: coded answers, dates, waves. Retention removes the
first kind a municipality-set number of months after a family's exit and keeps the
second for the evaluation; erasure does the same for one person at once, on request.
Neither deletes rows: the pseudonymised answers still point at them, and the row itself
is the tombstone that says the data was removed, when, and (in the audit trail) by whom.

Every function runs inside one municipality's scope and flushes; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.services import record
from app.auth.models import User
from app.collection.models import Submission
from app.collection.typed import store_typed
from app.core.db import db, utcnow
from app.definitions.compile import display_value
from app.definitions.model import FieldDef
from app.families.models import Family, Member
from app.families.services import add_months
from app.plans.models import Goal, Plan
from app.privacy import journal
from app.teams.services import active_team
from app.tenancy.models import Municipality
from app.tenancy.settings_spec import setting_value

#: What replaces a removed name; the id keeps rows apart on screen.
REMOVED = "—"


def retention_months(municipality: Municipality) -> int:
    return int(setting_value(municipality.settings, "privacy", "retention_months"))


def _removes(field: FieldDef) -> bool:
    """Answers that can name someone: the same rule research exports withhold by."""
    return field.privacy is not None


def _strip_answers(submission: Submission) -> list[str]:
    form = submission.form_version.form
    removed = [
        f.name for f in form.fields if _removes(f) and submission.answers.get(f.name) is not None
    ]
    if removed:
        # A new dict, so the JSON column is seen as changed.
        submission.answers = {
            k: (None if k in removed else v) for k, v in submission.answers.items()
        }
        # The typed copy loses the same answers (a removed answer has no row).
        store_typed(db.session, submission.id, submission.municipality_id, form, submission.answers)
    return removed


@dataclass(frozen=True)
class DueFamily:
    family_id: int
    exit_date: date
    due_since: date


def due_for_anonymisation(municipality: Municipality, today: date) -> list[DueFamily]:
    """Families whose retention period after exit has run out and who still hold names."""
    months = retention_months(municipality)
    rows = db.session.execute(
        select(Family.id, Family.exit_date)
        .where(Family.exit_date.is_not(None), Family.anonymised_at.is_(None))
        .order_by(Family.exit_date, Family.id)
    )
    due = []
    for family_id, exit_date in rows:
        ends = add_months(exit_date, months)
        if ends <= today:
            due.append(DueFamily(family_id, exit_date, ends))
    return due


def anonymise_family(family: Family, *, reason: str) -> dict[str, int]:
    """Remove the family's identifying data; keep the pseudonymised answers."""
    counts = blank_family(family)
    # Journalled before the caller commits: see app.privacy.journal.
    journal.append(
        "anonymisation",
        municipality_id=family.municipality_id,
        family_id=family.id,
        member_id=None,
        created_at=family.created_at,
        reason="retention",
    )
    record(
        "privacy.anonymised",
        municipality_id=family.municipality_id,
        object_type="family",
        object_id=family.id,
        details={"reason": reason, **counts},
    )
    return counts


def blank_family(family: Family) -> dict[str, int]:
    """The data side of an anonymisation, without its journal entry and audit event."""
    counts = {"members": 0, "answers": 0, "goals": 0}
    family.label = f"{REMOVED} #{family.id}"
    # The reference of the system the family was imported from leads back to its case.
    family.external_ref = None
    family.anonymised_at = utcnow()
    for member in family.members:
        _blank_member(member)
        counts["members"] += 1
    for submission in db.session.scalars(
        select(Submission).where(Submission.family_id == family.id)
    ):
        counts["answers"] += len(_strip_answers(submission))
    goals = db.session.scalars(select(Goal).join(Plan).where(Plan.family_id == family.id))
    for goal in goals:
        goal.description = REMOVED
        goal.family_words = REMOVED if goal.family_words else None
        # What the goal said before an edit or its deletion is the family's words too.
        for revision in goal.revisions:
            revision.description = REMOVED
            revision.family_words = REMOVED if revision.family_words else None
        counts["goals"] += 1
    db.session.flush()
    return counts


def _blank_member(member: Member) -> None:
    member.name = f"{REMOVED} #{member.id}"
    member.cpr = None


def purge(municipality: Municipality, today: date, *, dry_run: bool) -> list[DueFamily]:
    """Anonymise every family of *municipality* that is due; with *dry_run*, only list them."""
    due = due_for_anonymisation(municipality, today)
    if not dry_run:
        for item in due:
            family = db.session.get(Family, item.family_id)
            assert family is not None
            anonymise_family(family, reason=f"retention {retention_months(municipality)} months")
    return due


class ErasureError(ValueError):
    """The erasure cannot be done as asked; the message says why."""


def erase_member(member: Member, *, reason: str, actor_id: int | None) -> dict[str, int]:
    """Erase one person's identifying data on request, leaving a tombstone and an event."""
    if not reason.strip():
        raise ErasureError("an erasure needs a reason (e.g. the request's case number)")
    if member.erased_at is not None:
        raise ErasureError(f"person {member.id} was already erased on {member.erased_at:%Y-%m-%d}")
    answers = blank_member_data(member)
    # Journalled before the caller commits: see app.privacy.journal.
    journal.append(
        "erasure",
        municipality_id=member.municipality_id,
        family_id=member.family_id,
        member_id=member.id,
        created_at=member.created_at,
        reason="request",
    )
    record(
        "privacy.erased",
        actor_id=actor_id,
        municipality_id=member.municipality_id,
        object_type="member",
        object_id=member.id,
        details={"reason": reason.strip()[:200], "answers_removed": answers},
    )
    return {"answers": answers}


def blank_member_data(member: Member) -> int:
    """The data side of an erasure: how many answers it removed."""
    _blank_member(member)
    member.erased_at = utcnow()
    answers = 0
    for submission in db.session.scalars(
        select(Submission).where(Submission.member_id == member.id)
    ):
        answers += len(_strip_answers(submission))
    db.session.flush()
    return answers


def subject_access(member: Member, *, actor_id: int | None, language: str = "da") -> dict[str, Any]:
    """Everything held about one person, for a request under GDPR article 15.

    The person's own record and answers, the family-level answers and the joint plan they
    share, who works with the family, and who has read the family's data (the log).
    Other members' own forms are left out: they are other people's data.
    """
    family = member.family
    submissions = db.session.scalars(
        select(Submission)
        .where(
            Submission.family_id == family.id,
            (Submission.member_id == member.id) | Submission.member_id.is_(None),
        )
        .order_by(Submission.id)
    )
    forms = []
    with force_locale(language):
        forms = [_form_answers(s, language, display_value) for s in submissions]
    plan = db.session.scalar(select(Plan).where(Plan.family_id == family.id))

    submission_ids = [str(s["id"]) for s in forms]
    reads = db.session.execute(
        select(AuditEvent.occurred_at, AuditEvent.action, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.action.in_(("family.viewed", "submission.viewed")),
            ((AuditEvent.object_type == "family") & (AuditEvent.object_id == str(family.id)))
            | ((AuditEvent.object_type == "submission") & AuditEvent.object_id.in_(submission_ids)),
        )
        .order_by(AuditEvent.id)
    )
    record(
        "privacy.subject_access",
        actor_id=actor_id,
        municipality_id=member.municipality_id,
        object_type="member",
        object_id=member.id,
    )
    db.session.flush()
    return {
        "about": {
            "name": member.name,
            "cpr": member.cpr,
            "role": member.role,
            "in_family_from": member.start_date.isoformat(),
            "in_family_until": member.end_date.isoformat() if member.end_date else None,
            "erased_at": _iso(member.erased_at),
        },
        "family": {
            "label": family.label,
            "enrolment_date": family.enrolment_date.isoformat(),
            "status": family.status,
            "exit_date": family.exit_date.isoformat() if family.exit_date else None,
            "team_model": family.team_model,
        },
        "works_with_the_family": [
            {"name": a.user.name, "kind": a.kind} for a in active_team(family)
        ],
        "forms": forms,
        "joint_plan": [
            {"phase": g.phase, "life_area": g.life_area, "goal": g.description}
            for g in (plan.goals if plan else [])
        ],
        "readings_of_the_family": [
            {"at": _iso(at), "action": action, "by": name} for at, action, name in reads
        ],
        "municipality": member.family.municipality_id,
        "produced_at": _iso(utcnow()),
    }


def _form_answers(submission: Submission, language: str, display_value: Any) -> dict[str, Any]:
    definition = submission.form_version.form
    return {
        "id": submission.id,
        "form": submission.form_id,
        "title": definition.title.get(language, submission.form_id),
        "wave": submission.wave.key,
        "about": "person" if submission.member_id else "family",
        "status": submission.status,
        "submitted_at": _iso(submission.submitted_at),
        "answers": [
            {
                "question": f.label.get(language, f.name),
                "answer": display_value(definition, f, submission.answers.get(f.name), language),
            }
            for f in definition.fields
            if submission.answers.get(f.name) is not None
        ],
    }


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


def municipalities_in_order() -> Iterator[Municipality]:
    yield from db.session.scalars(select(Municipality).order_by(Municipality.slug))
