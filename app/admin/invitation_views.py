"""The invited person's side: their open invitations, and their answer to each.

Outside any municipality (the person is not a member yet), under ``/account/``: what they
see is only their own invitations (app.admin.invitations), and another's id is 404.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.admin.invitations import (
    InvitationError,
    answer,
    own_open_invitation,
    own_open_invitations,
)
from app.core.db import db
from app.core.language import current_language

bp = Blueprint("invitations", __name__, url_prefix="/account/invitations")


@bp.app_context_processor
def _waiting_invitations() -> dict[str, Any]:
    # A callable, so only the pages that show the notice (base.html) ask the database.
    return {
        "own_open_invitations": lambda: (
            own_open_invitations(current_user) if current_user.is_authenticated else []
        )
    }


@bp.route("/")
@login_required
def index() -> str:
    return render_template("admin/invitations.html", invitations=own_open_invitations(current_user))


@bp.route("/<int:invitation_id>", methods=["POST"])
@login_required
def respond(invitation_id: int) -> Response:
    invitation = own_open_invitation(current_user, invitation_id)
    if invitation is None:
        abort(404)
    choice = request.form.get("answer")
    if choice not in ("accept", "decline") or not FlaskForm().validate_on_submit():
        abort(400)
    name = invitation.municipality.name(current_language())
    slug = invitation.municipality.slug
    try:
        answer(invitation, current_user, accept=choice == "accept")
    except InvitationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("invitations.index"))
    db.session.commit()
    if choice == "accept":
        flash(_("You now have a role in %(municipality)s.", municipality=name), "success")
        return redirect(url_for("tenancy.home", slug=slug))
    flash(
        _("You have declined the invitation from %(municipality)s.", municipality=name), "success"
    )
    return redirect(url_for("invitations.index"))
