"""A municipality admin's handling of a person's rights: see what is held, erase it.

The same services as ``flask privacy`` (app.privacy.services); only with ``privacy.manage``
(the admin role), and only inside their own municipality.
"""

from __future__ import annotations

import json

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from app.auth.permissions import require
from app.core.db import db
from app.core.language import current_language
from app.families.models import Member
from app.privacy.journal import JournalError
from app.privacy.services import ErasureError, erase_member, subject_access
from app.tenancy.request import TenantBlueprint, get_or_404

bp = TenantBlueprint("privacy", __name__, url_prefix="/privacy")


class ErasureForm(FlaskForm):
    reason = StringField(
        _l("Reason"),
        description=_l("For example the case number of the person's request. No names."),
        validators=[DataRequired(), Length(max=200)],
    )
    confirm = BooleanField(
        _l("I understand that the name, CPR number and free-text answers cannot be restored."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


def _person(member_id: int) -> Member:
    # The row first: another municipality's id is 404 for every role, as everywhere.
    person = get_or_404(Member, member_id)
    require("privacy.manage")
    return person


@bp.route("/members/<int:member_id>", methods=["GET", "POST"])
def member(member_id: int) -> str | Response | tuple[str, int]:
    person = _person(member_id)
    form = ErasureForm()
    if form.validate_on_submit():
        try:
            erase_member(person, reason=form.reason.data or "", actor_id=current_user.id)
        except ErasureError:
            db.session.rollback()
            abort(409)
        except JournalError:
            # Without its journal entry a restore would undo the erasure, so none is made.
            db.session.rollback()
            current_app.logger.exception("erasure refused: the privacy journal is not writable")
            flash(
                _(
                    "Nothing was erased: the erasure could not be recorded so that a restore of "
                    "a backup keeps it. Ask the operator to check the privacy journal."
                ),
                "error",
            )
            return render_template("privacy/member.html", person=person, form=form), 503
        db.session.commit()
        flash(_("The person's identifying data is erased."), "success")
        return redirect(url_for("families.detail", family_id=person.family_id))
    return render_template(
        "privacy/member.html", person=person, form=form
    ), 400 if form.errors else 200


@bp.route("/members/<int:member_id>/subject-access.json")
def download(member_id: int) -> Response:
    person = _person(member_id)
    document = subject_access(person, actor_id=current_user.id, language=current_language())
    db.session.commit()
    response = Response(
        json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json"
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="indsigt-person-{person.id}.json"'
    )
    return response
