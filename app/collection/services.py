"""Publishing form versions and saving submissions. Each function flushes and audits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from app.audit.services import record
from app.collection import published
from app.collection.models import FormVersion, Submission
from app.collection.self_reported import keep_self_reported
from app.collection.typed import store_typed
from app.collection.waves import refresh_completion
from app.collection.windows import OutsideWindow, WindowAnswer, window_missing
from app.core.db import db, utcnow
from app.definitions.checks import CheckContext, cpr_birth_date
from app.definitions.loader import CORE_FORMS, Catalogue, earlier_content_hash
from app.definitions.model import FormDef
from app.definitions.validation import Result, validate_answers
from app.families.models import Family, Member, Wave
from app.families.services import expected_forms, on_members_changed
from app.tenancy.models import Municipality
from app.tenancy.scoping import unscoped


class PublishError(ValueError):
    """A published version that has answers would change in place."""


@dataclass
class PublishReport:
    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    #: Answered versions whose snapshot had lost attributes of value 0 (``min: 0``).
    restored: list[str] = field(default_factory=list)
    #: Versions whose questions are unchanged and whose data-quality checks changed.
    checks_updated: list[str] = field(default_factory=list)


def publish_catalogue(catalogue: Catalogue) -> PublishReport:
    """Store a snapshot of every checked definition version.

    A version nobody has answered yet may be replaced; an answered one never is: its
    change belongs in a new version (and ``forms check`` says so as F017). The one
    exception is a snapshot stored when a value of 0 was dropped from the definition
    (``min: 0`` read as no bound): it is the same file, so its lost attributes are
    restored in place, audited, and its answers keep their version.
    """
    report = PublishReport()
    # A snapshot changed in place is published anew: its time tells the processes holding
    # a copy of the versions that theirs is old (app.collection.published).
    now = utcnow()
    existing = {(v.form_id, v.version): v for v in db.session.scalars(select(FormVersion))}
    answered = answered_versions()
    for (form_id, version), form in sorted(catalogue.forms.items()):
        key = f"{form_id} v{version}"
        stored = existing.get((form_id, version))
        if stored is None:
            db.session.add(
                FormVersion(
                    form_id=form_id,
                    version=version,
                    level=form.level,
                    content_hash=form.content_hash,
                    definition=form.data,
                )
            )
            report.created.append(key)
        elif stored.content_hash == form.content_hash:
            if stored.form.checks_hash != form.checks_hash:
                # Checks judge new saves only (see app.definitions.checks): they may change
                # in a version that has answers, and the change is audited below.
                stored.definition = form.data
                stored.published_at = now
                report.checks_updated.append(key)
            else:
                report.unchanged.append(key)
        elif stored.content_hash == earlier_content_hash(form):
            stored.definition = form.data
            stored.content_hash = form.content_hash
            stored.published_at = now
            report.restored.append(key)
        elif stored.id in answered:
            raise PublishError(
                f"{key} has answers and cannot change in place; publish the change as "
                f"v{version + 1}"
            )
        else:
            stored.definition = form.data
            stored.content_hash = form.content_hash
            stored.level = form.level
            stored.published_at = now
            report.replaced.append(key)
    db.session.flush()
    if report.created or report.replaced or report.restored or report.checks_updated:
        details = {"created": report.created, "replaced": report.replaced}
        if report.restored:
            details["restored"] = report.restored
        if report.checks_updated:
            details["checks_updated"] = report.checks_updated
        record("forms.published", details=details)
    return report


def answered_versions() -> set[int]:
    """Ids of form versions with at least one submission, in any municipality."""
    with unscoped("publishing forms: which versions have answers"):
        return set(db.session.scalars(select(Submission.form_version_id).distinct()))


def published_state() -> dict[tuple[str, int], tuple[str, bool]]:
    """(form id, version) -> (content hash, answered?) for ``forms check``."""
    answered = answered_versions()
    return {
        (v.form_id, v.version): (v.content_hash, v.id in answered)
        for v in db.session.scalars(select(FormVersion))
    }


def latest_versions(form_ids: list[str] | None = None) -> dict[str, FormVersion]:
    """The newest published version of each form (new answers use it).

    From the process's copy when the request has read its stamp (app.collection.published).
    """
    cached = published.cached_latest(_read_latest, form_ids)
    if cached is not None:
        return cached
    return _read_latest(form_ids)


def _read_latest(form_ids: list[str] | None = None) -> dict[str, FormVersion]:
    newest = (
        select(FormVersion.form_id, func.max(FormVersion.version).label("version"))
        .group_by(FormVersion.form_id)
        .subquery()
    )
    statement = select(FormVersion).join(
        newest,
        (FormVersion.form_id == newest.c.form_id) & (FormVersion.version == newest.c.version),
    )
    if form_ids is not None:
        statement = statement.where(FormVersion.form_id.in_(form_ids))
    return {v.form_id: v for v in db.session.scalars(statement)}


def forms_for_wave(
    municipality: Municipality,
    wave: Wave,
    *,
    latest: dict[str, FormVersion] | None = None,
) -> list[FormVersion]:
    """Core forms for the wave's kind, then the municipality's enabled local forms.

    *latest* is :func:`latest_versions` read once by a caller asking for many waves (a
    page of a work list), instead of once per wave."""
    local = list(municipality.settings.get("local_forms", []))
    versions = latest if latest is not None else latest_versions([*CORE_FORMS, *local])
    core = [versions[f] for f in CORE_FORMS if f in versions]
    extra = [versions[f] for f in local if f in versions]
    return [v for v in core + extra if wave.kind in v.form.waves]


@dataclass(frozen=True)
class ExpectedForm:
    """One row of a wave: a form version it asks for, for the family (member None) or one
    member. The family page lists these rows and the wave is complete when all are in."""

    version: FormVersion
    member: Member | None


def submitted_in(wave: Wave) -> set[tuple[str, int | None]]:
    """(form id, member id) of every submitted form of the wave."""
    return {
        (form_id, member_id)
        for form_id, member_id in db.session.execute(
            select(Submission.form_id, Submission.member_id).where(
                Submission.wave_id == wave.id, Submission.status == "submitted"
            )
        )
    }


def expected_in_wave(
    municipality: Municipality,
    wave: Wave,
    submitted: set[tuple[str, int | None]],
    *,
    latest: dict[str, FormVersion] | None = None,
) -> list[ExpectedForm]:
    """What the wave expects: the one definition behind its rows and its completion.

    Every core form of the wave's kind counts. A local form counts where it is switched
    on and the wave is still open, and wherever its answer was submitted in the wave: a
    wave completed before a local form was switched on stays complete (it was finished as
    it was asked), and a local form switched off stops holding open waves back, while
    answers already given stay part of the wave.
    """
    asked = forms_for_wave(municipality, wave, latest=latest)
    enabled = set(municipality.settings.get("local_forms", []))
    still_asked = wave.completed_at is None
    result: list[ExpectedForm] = []
    for expected in expected_forms(wave, [(v.form_id, v.level) for v in asked]):
        version = next(v for v in asked if v.form_id == expected.form_id)
        pair = (expected.form_id, expected.member.id if expected.member else None)
        if (
            not version.form.is_local
            or (still_asked and version.form_id in enabled)
            or pair in submitted
        ):
            result.append(ExpectedForm(version, expected.member))
    return result


def refresh_wave(municipality: Municipality, wave: Wave) -> None:
    """Mark the wave complete, or open again, by :func:`expected_in_wave`."""
    submitted = submitted_in(wave)
    expected = [
        (e.version.form_id, e.member.id if e.member else None)
        for e in expected_in_wave(municipality, wave, submitted)
    ]
    refresh_completion(wave, expected, submitted)


@on_members_changed
def refresh_family_waves(family: Family) -> None:
    """Re-decide each of the family's waves: a member who belonged to the family on a due
    date, recorded after the wave was completed, opens it again until their forms are in."""
    if all(w.completed_at is None for w in family.waves) and not _any_submitted(family):
        # With nothing submitted no wave can be complete (refresh_completion), and none is
        # complete to be opened again: a family being enrolled or imported costs one query
        # here, not one per wave.
        return
    municipality = db.session.get_one(Municipality, family.municipality_id)
    for wave in family.waves:
        refresh_wave(municipality, wave)


def _any_submitted(family: Family) -> bool:
    return (
        db.session.scalar(
            select(Submission.id)
            .where(Submission.family_id == family.id, Submission.status == "submitted")
            .limit(1)
        )
        is not None
    )


def refresh_open_waves(municipality: Municipality) -> None:
    """Re-decide every open wave with a submitted form, after the local forms changed: one
    switched off may have been all an open wave still waited for."""
    waves = db.session.scalars(
        select(Wave).where(
            Wave.municipality_id == municipality.id,
            Wave.completed_at.is_(None),
            Wave.id.in_(select(Submission.wave_id).where(Submission.status == "submitted")),
        )
    )
    for wave in waves:
        refresh_wave(municipality, wave)


class Conflict(Exception):
    """The submission changed since the user opened it; nothing was written."""

    def __init__(self, current: Submission):
        self.current = current
        super().__init__(f"submission {current.id} is at version {current.lock_version}")


class Invalid(Exception):
    def __init__(self, result: Result):
        self.result = result
        super().__init__(", ".join(result.errors))


def find_submission(wave: Wave, form_id: str, member: Member | None) -> Submission | None:
    subject = Submission.member_id == member.id if member else Submission.member_id.is_(None)
    return db.session.scalar(
        select(Submission).where(
            Submission.wave_id == wave.id, Submission.form_id == form_id, subject
        )
    )


def answered_version(
    municipality: Municipality, wave: Wave, form_id: str, member: Member | None
) -> FormVersion | None:
    """The version a form of *wave* answers: the one already answered, else the newest
    published that the wave asks of the member's level (None if it asks no such form)."""
    existing = find_submission(wave, form_id, member)
    if existing is not None:
        return existing.form_version
    level = member.role if member else "family"
    for version in forms_for_wave(municipality, wave):
        if version.form_id == form_id and version.level == level:
            return version
    return None


def must_stay_complete(submission: Submission | None) -> bool:
    """A submitted form is never saved back into an incomplete state."""
    return submission is not None and submission.status == "submitted"


def save_submission(
    municipality: Municipality,
    wave: Wave,
    version: FormVersion,
    member: Member | None,
    raw: dict[str, Any],
    *,
    submit: bool,
    seen_lock_version: int | None,
    actor_id: int | None,
    today: date,
    confirmed: list[str] | None = None,
    window: WindowAnswer | None = None,
    new: bool = False,
    self_reported: tuple[str, ...] = (),
    then_refresh: bool = True,
) -> Submission:
    """Create or update the submission of *version* for *member* (or the family) in *wave*.

    *seen_lock_version* is the version the user's form was opened at (None for a new one).
    A different current version raises :class:`Conflict` and writes nothing; the database
    repeats the check in the UPDATE itself, so two requests racing cannot both win.
    *confirmed* names the warning checks the user confirmed; a confirmation stored before
    holds until the warning stops applying.

    *window* is what the person saving answered about the wave's window; the form page
    and the API always pass it. Submitting a form for the first time outside the window
    then needs a reason (one of WINDOW_REASONS) and the confirmation, else
    :class:`OutsideWindow` is raised and nothing is written; both are stored with the
    submission. Without *window* (answers brought in by code: tests, imports) nothing is
    asked and nothing is stored.

    *new* says the caller creates the submission (the API's POST): it is not looked for,
    and if it exists the unique index refuses the second at the flush (IntegrityError).

    *self_reported* names the fields the person the form is about answered themselves
    (app/selfreport); they are marked so, and a later save that would change them raises
    :class:`~app.collection.self_reported.SelfReported`.

    *then_refresh* false leaves deciding the wave to the caller, who saves several forms of
    one wave at once (an import) and calls :func:`refresh_wave` after the last.
    """
    form: FormDef = version.form
    submission = None if new else find_submission(wave, version.form_id, member)
    if submission is not None and seen_lock_version != submission.lock_version:
        raise Conflict(submission)
    if submission is None and seen_lock_version not in (None, 0):
        raise Conflict(Submission(form_id=version.form_id, answers={}, lock_version=0))
    previous = submission.answers if submission else {}
    if submission is not None and submission.form_version_id != version.id:
        form = submission.form_version.form  # a draft stays on the version it started on
    # A submitted form stays submitted when saved again, so it must stay complete: the
    # indicators and the wave's completion count it.
    complete = submit or must_stay_complete(submission)
    context = CheckContext(
        today=today,
        intake_date=wave.family.enrolment_date,
        wave_date=wave.due_date,
        birth_date=cpr_birth_date(member.cpr) if member else None,
    )
    raw = keep_self_reported(form, submission, raw, today, set(self_reported))
    already = set(submission.confirmed_checks or []) if submission else set()
    result = validate_answers(
        form,
        raw,
        complete=complete,
        today=today,
        previous=previous,
        context=context,
        confirmed=already | set(confirmed or []),
    )
    if not result.ok:
        raise Invalid(result)
    window_reason = None
    first_submit = submit and not must_stay_complete(submission)
    if first_submit and window is not None:
        position, missing = window_missing(wave, today, window.reason, window.confirmed)
        if missing:
            raise OutsideWindow(position, missing)
        window_reason = window.reason if position.outside else None

    now = utcnow()
    created = submission is None
    if submission is None:
        submission = Submission(
            municipality_id=municipality.id,
            family_id=wave.family_id,
            wave_id=wave.id,
            member_id=member.id if member else None,
            form_id=version.form_id,
            form_version_id=version.id,
            created_by_id=actor_id,
            created_at=now,
        )
        db.session.add(submission)
    changed = sorted(
        name
        for name in set(previous) | set(result.answers)
        if previous.get(name) != result.answers.get(name)
    )
    was_submitted = submission.status == "submitted"
    submission.answers = result.answers
    # Only confirmations of warnings that fire on these answers: one that no longer applies
    # would claim a decision about answers that are not there.
    submission.confirmed_checks = [f.check.id for f in result.fired if f.confirmed]
    if self_reported:
        submission.self_reported = sorted(set(submission.self_reported or []) | set(self_reported))
    submission.updated_at = now
    submission.updated_by_id = actor_id
    if submit:
        submission.status = "submitted"
        if submission.submitted_at is None:
            submission.submitted_at = now
            submission.submitted_by_id = actor_id
    if window_reason is not None:
        submission.window_reason = window_reason
        submission.window_confirmed_at = now
        submission.window_confirmed_by_id = actor_id
    db.session.flush()
    # The typed copy of the answers, in this transaction: readers by variable use it.
    store_typed(db.session, submission.id, municipality.id, form, result.answers, new=created)
    if version.form_id == "family_exit" and submit:
        _apply_exit(wave, result.answers)
    if then_refresh:
        refresh_wave(municipality, wave)
    action = "submission.submitted" if submit and not was_submitted else "submission.saved"
    # Field names only: the values are personal data and stay in the submission.
    record(
        action,
        municipality_id=municipality.id,
        object_type="submission",
        object_id=submission.id,
        details={
            "form": version.form_id,
            "wave": wave.key,
            "changed_fields": changed,
            "status": submission.status,
            "confirmed_checks": submission.confirmed_checks,
            **({"window_reason": window_reason} if window_reason else {}),
            **({"self_reported": sorted(self_reported)} if self_reported else {}),
        },
    )
    return submission


def _apply_exit(wave: Wave, answers: dict[str, Any]) -> None:
    family = wave.family
    exit_date = answers.get("exit_date")
    if exit_date:
        family.exit_date = date.fromisoformat(exit_date)
        family.status = "exited"


def record_reading(submission: Submission, *, via: str, actor_id: int | None = None) -> None:
    """Audit a reading of a submission's answers (a page, the edit form, the API)."""
    record(
        "submission.viewed",
        actor_id=actor_id,
        municipality_id=submission.municipality_id,
        object_type="submission",
        object_id=submission.id,
        details={
            "form": submission.form_id,
            "via": via,
            # A child's form holds child-welfare data: the log says so, so a
            # data-protection officer can find every reading of it.
            "child_welfare": submission.form_version.level == "child",
        },
    )
