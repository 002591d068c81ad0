"""Writing a checked import: every family through the services a family enrolled on the
page goes through, in the caller's one transaction, then one audit event with the counts.

All or nothing: the caller commits once, after the last row, or rolls back on any
problem, so a file is either imported whole or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit.services import held, record
from app.collection.models import FormVersion
from app.collection.published import stamp_columns, use_stamp
from app.collection.services import Invalid, refresh_wave, save_submission
from app.core.db import db
from app.core.formatting import counted
from app.families.services import add_member, enrol_family, members_changed
from app.imports.check import Checked, FamilyPlan, Problem, check_file
from app.imports.layout import intake_forms, read_file
from app.tenancy.models import Municipality

#: How often (in families written) the progress callback is told.
PROGRESS_EVERY = 200


class ImportFailed(Exception):
    """The file had problems; nothing was written. ``problems`` lists every one."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(counted(len(problems), "problem"))


def check_content(
    municipality: Municipality, content: bytes, file_format: str, today: date
) -> Checked:
    """Read and check a file for *municipality*; writes nothing."""
    versions = intake_forms(municipality)
    return check_file(read_file(content, file_format), versions, today)


def write_checked(
    municipality: Municipality,
    checked: Checked,
    *,
    actor_id: int | None,
    today: date,
    file_format: str,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Create every family of *checked* with its members and intake answers; the counts.

    Raises :class:`ImportFailed` if a service refuses a row after all (the caller rolls
    back): the check and the services share their rules, so this is a safety net.
    """
    if not checked.ok:
        raise ImportFailed(checked.problems)
    # The process's parsed copy of the published forms, as a request with its stamp gets
    # it: every wave refreshed below would otherwise read and parse them again.
    use_stamp(*db.session.execute(select(*stamp_columns())).one())
    versions = {v.form_id: v for v in intake_forms(municipality)}
    problems: list[Problem] = []
    done_rows = 0
    for index, plan in enumerate(checked.families, 1):
        # A family's events (enrolled, each person added, each form saved) in one INSERT.
        with held():
            _write_family(municipality, plan, versions, actor_id, today, problems)
        done_rows += 1 + len(plan.members)
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(done_rows)
    if problems:
        raise ImportFailed(problems)
    counts = checked.counts()
    # Counts only: which families and who is in them stay in their own rows and events.
    record(
        "families.imported",
        actor_id=actor_id,
        municipality_id=municipality.id,
        object_type="municipality",
        object_id=municipality.id,
        details={**counts, "format": file_format},
    )
    return counts


def _write_family(
    municipality: Municipality,
    plan: FamilyPlan,
    versions: dict[str, FormVersion],
    actor_id: int | None,
    today: date,
    problems: list[Problem],
) -> None:
    """One family of the file: enrolled, its people added, their intake forms saved."""
    family = enrol_family(municipality, plan.label, plan.enrolment_date, external_ref=plan.ref)
    intake = next(w for w in family.waves if w.kind == "intake")
    subjects: list[tuple[Any, dict[str, dict[str, Any]], list[str]]] = [
        (None, plan.answers, plan.confirmed)
    ]
    for person in plan.members:
        member = add_member(
            family,
            person.role,
            person.name,
            plan.enrolment_date,
            person.cpr,
            then_refresh=False,
        )
        subjects.append((member, person.answers, person.confirmed))
    # Once for the whole family, not once per person: nobody has answered yet.
    members_changed(family)
    for member, answers, confirmed in subjects:
        for form_id, raw in answers.items():
            _save(
                municipality,
                intake,
                versions[form_id],
                member,
                raw,
                confirmed,
                actor_id=actor_id,
                today=today,
                plan_row=plan.row,
                problems=problems,
            )
    # Once the family's last intake form is in, not after each of them.
    refresh_wave(municipality, intake)


def _save(
    municipality: Municipality,
    wave: Any,
    version: FormVersion,
    member: Any,
    raw: dict[str, Any],
    confirmed: list[str],
    *,
    actor_id: int | None,
    today: date,
    plan_row: int,
    problems: list[Problem],
) -> None:
    try:
        save_submission(
            municipality,
            wave,
            version,
            member,
            raw,
            submit=True,
            seen_lock_version=None,
            actor_id=actor_id,
            today=today,
            confirmed=confirmed,
            new=True,
            then_refresh=False,
        )
    except Invalid as exc:
        sheet = (
            "families" if member is None else ("adults" if member.role == "adult" else "children")
        )
        for name in exc.result.errors or {"": ""}:
            problems.append(
                Problem(sheet, plan_row, name, str(_l("The form refused this answer.")))
            )
