"""Filling in a form for a family or one of its members, and reading a submission."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app.audit.services import record
from app.collection.labels import WINDOW_REASON_LABELS
from app.collection.models import FormVersion, Submission
from app.collection.order import next_missing
from app.collection.services import (
    Conflict,
    Invalid,
    answered_version,
    find_submission,
    must_stay_complete,
    record_reading,
    save_submission,
)
from app.collection.windows import (
    CONFIRM_FIELD as WINDOW_CONFIRM_FIELD,
)
from app.collection.windows import (
    REASON_FIELD,
    WINDOW_REASONS,
    OutsideWindow,
    WindowAnswer,
    window_missing,
    window_position,
)
from app.core import dates
from app.core.db import db
from app.core.forms import seen_version
from app.core.language import current_language
from app.definitions.checks import Fired
from app.definitions.compile import answers_to_formdata, build_form_class, display_value
from app.families.access import member_or_404, owned_by_family_or_404, wave_or_404
from app.families.models import Member, Wave
from app.tenancy.request import TenantBlueprint, current_municipality

bp = TenantBlueprint("collection", __name__)

#: The checkbox a user ticks to confirm a warning check; its value is the check's id.
CONFIRM_FIELD = "confirm_check"


def _version_for(wave: Wave, form_id: str, member: Member | None) -> FormVersion:
    """The form version to show: the one already answered, else the newest published."""
    version = answered_version(current_municipality(), wave, form_id, member)
    if version is None:
        abort(404)
    return version


@bp.route("/waves/<int:wave_id>/forms/<form_id>", methods=["GET", "POST"])
def fill_family(wave_id: int, form_id: str) -> str | Response:
    wave = wave_or_404(wave_id)
    return _fill(wave, form_id, None)


@bp.route("/waves/<int:wave_id>/members/<int:member_id>/forms/<form_id>", methods=["GET", "POST"])
def fill_member(wave_id: int, member_id: int, form_id: str) -> str | Response:
    wave = wave_or_404(wave_id)
    member = member_or_404(wave.family, member_id)
    return _fill(wave, form_id, member)


def _fill(wave: Wave, form_id: str, member: Member | None) -> str | Response:
    version = _version_for(wave, form_id, member)
    submission = find_submission(wave, form_id, member)
    language = current_language()
    today = dates.today()
    previous = submission.answers if submission else {}
    # Answers the person gave themselves are shown, never edited here (app/selfreport).
    locked = submission.self_reported if submission else []
    form_class = build_form_class(version.form, language, today, previous, locked)

    if request.method == "GET":
        data = answers_to_formdata(version.form, previous, language)
        form = form_class(
            formdata=None, data=data, lock_version=submission.lock_version if submission else 0
        )
        if submission is not None:
            record_reading(submission, via="edit page")
            db.session.commit()
        return _render_fill(form, wave, member, version, submission)

    form = form_class()
    # "Save and go to the next form" submits too; it only lands elsewhere.
    go_on = "submit_next" in request.form
    submit = "submit" in request.form or go_on
    result = form.check(complete=submit or must_stay_complete(submission))
    if "csrf_token" in result.errors:
        abort(400)
    reason = request.form.get(REASON_FIELD) or None
    window_confirmed = request.form.get(WINDOW_CONFIRM_FIELD) == "1"
    missing: list[str] = []
    if submit and not must_stay_complete(submission):
        missing = window_missing(wave, today, reason, window_confirmed)[1]
    if not result.ok or missing:
        flash(_("The form has errors. Correct the fields marked below."), "error")
        return _render_fill(form, wave, member, version, submission, missing=missing), 422
    seen = seen_version(form.lock_version.data) or None
    confirmed = request.form.getlist(CONFIRM_FIELD)
    try:
        save_submission(
            current_municipality(),
            wave,
            version,
            member,
            form.raw_answers(),
            submit=submit,
            seen_lock_version=seen,
            actor_id=current_user.id,
            today=today,
            confirmed=confirmed,
            window=WindowAnswer(reason, window_confirmed),
        )
        db.session.commit()
    except OutsideWindow as exc:  # checked above; the window may have moved meanwhile
        db.session.rollback()
        flash(_("The form has errors. Correct the fields marked below."), "error")
        return _render_fill(form, wave, member, version, submission, missing=exc.missing), 422
    except Invalid as exc:  # the field checks passed above: these are the form's checks
        db.session.rollback()
        for name, message in exc.result.errors.items():
            if name in form:
                form[name].errors = [message]
        fired = exc.result.fired
        for item in fired:
            if item.check.severity == "error" and item.blocking:
                for name in item.check.fields:
                    if name in form and not form[name].errors:
                        form[name].errors = [item.message(language)]
        flash(
            _("Some answers do not fit together. Correct them, or confirm the warnings."), "error"
        )
        return _render_fill(form, wave, member, version, submission, fired), 422
    except Conflict as exc:
        db.session.rollback()
        return _conflict(form, wave, member, version, exc.current)
    except (IntegrityError, StaleDataError):
        # Someone saved between our check and our write; the database refused ours.
        db.session.rollback()
        current = find_submission(wave, form_id, member)
        if current is None:
            raise
        return _conflict(form, wave, member, version, current)
    if submit:
        flash(_("The form is submitted."), "success")
        subject = (form_id, member.id if member else None)
        following = next_missing(current_municipality(), wave, subject) if go_on else None
        if following is not None:
            return redirect(_fill_url(wave, following.version.form_id, following.member))
        return redirect(url_for("families.detail", family_id=wave.family_id) + f"#wave-{wave.id}")
    flash(_("The draft is saved."), "success")
    return redirect(_fill_url(wave, form_id, member))


def _fill_url(wave: Wave, form_id: str, member: Member | None) -> str:
    if member is None:
        return url_for("collection.fill_family", wave_id=wave.id, form_id=form_id)
    return url_for("collection.fill_member", wave_id=wave.id, member_id=member.id, form_id=form_id)


def _render_fill(
    form: Any,
    wave: Wave,
    member: Member | None,
    version: FormVersion,
    submission: Submission | None,
    fired: list[Fired] | None = None,
    missing: list[str] | None = None,
) -> str:
    # A warning is shown once, after the last of its fields in the form's order.
    order = {f.name: i for i, f in enumerate(version.form.fields)}
    warnings: dict[str, list[Fired]] = {}
    for item in fired or []:
        if item.check.severity == "warning":
            last = max(item.check.fields, key=lambda name: order.get(name, -1))
            warnings.setdefault(last, []).append(item)
    return render_template(
        "collection/fill.html",
        form=form,
        definition=version.form,
        version=version,
        wave=wave,
        family=wave.family,
        member=member,
        submission=submission,
        action=_fill_url(wave, version.form_id, member),
        language=current_language(),
        warnings=warnings,
        confirm_field=CONFIRM_FIELD,
        window=_window_context(wave, submission, missing or []),
        display_value=display_value,
    )


def _window_context(wave: Wave, submission: Submission | None, missing: list[str]) -> Any:
    """What the page says about the wave's window, and the reason it asks for when a form
    is submitted outside it (a form already submitted asks nothing again)."""
    position = window_position(wave, dates.today())
    messages = {
        REASON_FIELD: _("Choose why the form is submitted outside the window."),
        WINDOW_CONFIRM_FIELD: _("Confirm that the form is submitted outside the window."),
    }
    return {
        "position": position,
        "ask": position.outside and not must_stay_complete(submission),
        "reasons": [(code, WINDOW_REASON_LABELS[code]) for code in WINDOW_REASONS],
        "reason_field": REASON_FIELD,
        "confirm_field": WINDOW_CONFIRM_FIELD,
        "reason": request.form.get(REASON_FIELD, "") if request.method == "POST" else "",
        "confirmed": request.form.get(WINDOW_CONFIRM_FIELD) == "1",
        "errors": {name: [messages[name]] for name in missing},
        "labels": {
            REASON_FIELD: _("Reason for submitting outside the window"),
            WINDOW_CONFIRM_FIELD: _("Confirmation"),
        },
    }


def _conflict(
    form: Any, wave: Wave, member: Member | None, version: FormVersion, current: Submission
) -> tuple[str, int]:
    """Show both versions side by side; nothing of the user's was written."""
    language = current_language()
    definition = version.form
    mine = form.raw_answers()
    rows = []
    for field in definition.fields:
        if not field.kind.input:
            continue
        theirs_value = current.answers.get(field.name)
        my_value = mine.get(field.name)
        theirs = display_value(definition, field, theirs_value, language)
        mine_text = ", ".join(my_value) if isinstance(my_value, list) else (my_value or "")
        if field.codelist and my_value:
            codes = my_value if isinstance(my_value, list) else [my_value]
            mine_text = "; ".join(
                definition.codelists[field.codelist].label(c, language) for c in codes
            )
        elif (typed := field.kind.read_typed(my_value)) is not None:
            # Typed as 2026-05-22 or "true", read as the saved answer is: 22. maj 2026, Ja.
            mine_text = display_value(definition, field, typed, language)
        rows.append(
            {
                "field": field,
                "theirs": theirs,
                "mine": mine_text,
                "differs": (theirs or "") != (mine_text or ""),
            }
        )
    # The user's own input, to send again on purpose with the current version number.
    resend = MultiDict(
        [
            (k, v)
            for k, v in request.form.items(multi=True)
            if k not in ("csrf_token", "lock_version")
        ]
    )
    record(
        "submission.conflict",
        municipality_id=current.municipality_id,
        object_type="submission",
        object_id=current.id,
        details={"form": version.form_id, "wave": wave.key},
    )
    db.session.commit()
    return render_template(
        "collection/conflict.html",
        rows=rows,
        current=current,
        definition=definition,
        wave=wave,
        family=wave.family,
        member=member,
        action=_fill_url(wave, version.form_id, member),
        resend=resend,
        language=language,
    ), 409


@bp.route("/submissions/<int:submission_id>")
def view(submission_id: int) -> str:
    submission = owned_by_family_or_404(Submission, submission_id)
    record_reading(submission, via="page")
    db.session.commit()
    return render_template(
        "collection/view.html",
        submission=submission,
        definition=submission.form_version.form,
        family=submission.family,
        language=current_language(),
        display_value=display_value,
    )
