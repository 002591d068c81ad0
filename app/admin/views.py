"""Tenant admin pages: settings, departments and people (``settings.edit``,
``people.manage``; which roles hold them is app/auth/permissions.py)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from app.admin.invitations import InvitationError, withdraw
from app.admin.models import Invitation
from app.admin.services import (
    AdminError,
    add_department,
    add_person,
    remove_membership,
    update_department,
    update_membership,
    update_settings,
)
from app.admin.settings_form import LOCAL_FORMS_EFFECT, saved_effects, settings_form
from app.auth.labels import ROLE_LABELS
from app.auth.models import MEMBERSHIP_ROLES, ORGANISATION_TYPES, Membership, User
from app.auth.permissions import permission_required, require
from app.auth.reset_views import invitation_mail, role_offered_mail
from app.auth.services import EMAIL_FORBIDDEN_START
from app.collection.models import FormVersion
from app.core import mail
from app.core.db import db
from app.core.forms import OneTimeForm
from app.core.language import current_language
from app.tenancy.models import Department
from app.tenancy.once import lands_on, repeat_of
from app.tenancy.request import TenantBlueprint, current_municipality, get_or_404

bp = TenantBlueprint("admin", __name__, url_prefix="/admin")

ORGANISATION_TYPE_LABELS = {
    "social_enterprise": _l("Social-economic enterprise"),
    "association": _l("Association"),
    "other": _l("Other organisation"),
}


#: The names' column width (app.tenancy.models.Department).
DEPARTMENT_NAME_LENGTH = 120


class DepartmentForm(OneTimeForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name_da = StringField(_l("Name in Danish"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])


def _no_formula_start(form: FlaskForm, field: EmailField) -> None:
    if (field.data or "").strip().startswith(EMAIL_FORBIDDEN_START):
        raise ValidationError(_l("An e-mail address cannot begin with =, +, - or @."))


class PersonForm(OneTimeForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(),
            _no_formula_start,
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Write an e-mail address.")),
            Length(max=254),
        ],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(
        _l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in MEMBERSHIP_ROLES]
    )


class MembershipForm(FlaskForm):
    role = SelectField(
        _l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in MEMBERSHIP_ROLES]
    )
    department_id = SelectField(_l("Home department"), coerce=int, validators=[Optional()])
    joint_team = BooleanField(_l("Member of the programme's joint team"))
    organisation_name = StringField(
        _l("Organisation (external contact persons)"), validators=[Optional(), Length(max=200)]
    )
    organisation_type = SelectField(
        _l("Kind of organisation"),
        choices=[SelectChoice("", "–")]
        + [SelectChoice(t, ORGANISATION_TYPE_LABELS[t]) for t in ORGANISATION_TYPES],
        validators=[Optional()],
    )


def _local_forms() -> list[str]:
    slug = current_municipality().slug
    return sorted(
        set(db.session.scalars(select(FormVersion.form_id).where(FormVersion.local_to(slug))))
    )


@bp.route("/settings", methods=["GET", "POST"])
@permission_required("settings.edit")
def settings() -> str | Response:
    municipality = current_municipality()
    current = municipality.settings
    form = settings_form(municipality)
    available = _local_forms()
    if form.validate_on_submit():
        chosen = [f for f in request.form.getlist("local_forms") if f in available]
        try:
            changes = update_settings(
                municipality,
                form.team_model.data or "",
                form.settings(),
                chosen,
            )
        except AdminError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The settings are saved.") if changes else _("Nothing was changed."), "success")
            for setting, effect in saved_effects(changes):
                flash(_("%(setting)s: %(effect)s", setting=setting, effect=effect), "success")
            return redirect(url_for("admin.settings"))
    labels = {f.name: str(f.label.text) for f in form if f.name != "csrf_token"}
    return render_template(
        "admin/settings.html",
        form=form,
        field_labels={**labels, "csrf_token": _("The form")},
        available=available,
        enabled=set(current.get("local_forms", [])),
        local_forms_effect=LOCAL_FORMS_EFFECT,
    )


@bp.route("/departments", methods=["GET", "POST"])
@permission_required("settings.edit")
def departments() -> str | Response:
    municipality = current_municipality()
    form = DepartmentForm()
    if form.validate_on_submit():
        if (repeat := repeat_of(form, url_for("admin.departments"))) is not None:
            return repeat
        try:
            add_department(
                municipality, form.code.data or "", form.name_da.data or "", form.name_en.data or ""
            )
        except AdminError as exc:
            form.code.errors = [str(exc)]
        else:
            target = lands_on(url_for("admin.departments"))
            db.session.commit()
            flash(_("The department is added."), "success")
            return redirect(target)
    rows = db.session.scalars(select(Department).order_by(Department.id)).all()
    return render_template("admin/departments.html", form=form, departments=rows)


@bp.route("/departments/<int:department_id>", methods=["POST"])
def department(department_id: int) -> Response:
    row = get_or_404(Department, department_id)
    require("settings.edit")
    if FlaskForm().validate_on_submit():
        name_da = request.form.get("name_da", "").strip() or row.name_da
        name_en = request.form.get("name_en", "").strip() or row.name_en
        if max(len(name_da), len(name_en)) > DEPARTMENT_NAME_LENGTH:
            flash(
                _("A department's name has at most %(n)d characters.", n=DEPARTMENT_NAME_LENGTH),
                "error",
            )
            return redirect(url_for("admin.departments"))
        update_department(row, name_da, name_en, request.form.get("active") == "1")
        db.session.commit()
        flash(_("The department is saved."), "success")
    return redirect(url_for("admin.departments"))


@bp.route("/people/new", methods=["GET", "POST"])
@permission_required("people.manage")
def new_person() -> str | Response:
    form = PersonForm()
    if form.validate_on_submit():
        if (repeat := repeat_of(form, url_for("tenancy.people"))) is not None:
            return repeat
        try:
            added = add_person(
                current_municipality(),
                form.email.data or "",
                form.name.data or "",
                form.role.data or "",
                invited_by=current_user.id,
            )
        except AdminError as exc:
            form.email.errors = [str(exc)]
        else:
            lands_on(url_for("tenancy.people"))
            db.session.commit()
            if isinstance(added, Invitation):
                # A platform account is never shown the invitation, so it gets no mail; the
                # mail leaves from its own thread, so the answer takes as long either way.
                invitee = db.session.get(User, added.user_id)
                if invitee is not None and invitee.platform_role is None:
                    subject, body = role_offered_mail(invitee, current_municipality())
                    mail.send_soon(invitee.email, subject, body)
                # The same words whoever owns the address: only what the admin typed.
                flash(
                    _(
                        "An invitation is waiting for %(email)s; the person accepts it when "
                        "they sign in.",
                        email=added.email,
                    ),
                    "success",
                )
                return redirect(url_for("tenancy.people"))
            membership, secret = added
            subject, body = invitation_mail(membership.user, secret, current_municipality())
            try:
                mail.send(membership.user.email, subject, body)
            except OSError:  # smtplib's errors are OSErrors; the account stays
                flash(
                    _(
                        "The account is created, but the e-mail could not be sent. The "
                        'person can ask for a link under "Forgot your password?" on the '
                        "log-in page."
                    ),
                    "error",
                )
                return redirect(url_for("tenancy.people"))
            if mail.configured():
                flash(
                    _(
                        "The account is created. An e-mail with a link to choose a password "
                        "is sent to %(email)s.",
                        email=membership.user.email,
                    ),
                    "success",
                )
            else:
                flash(
                    _(
                        "The account is created. No mail server is set up, so the e-mail "
                        "with the link to choose a password was written to the server's log."
                    ),
                    "success",
                )
            return redirect(url_for("tenancy.people"))
    return render_template("admin/person_new.html", form=form)


@bp.route("/people/<int:membership_id>", methods=["GET", "POST"])
def person(membership_id: int) -> str | Response:
    membership = get_or_404(Membership, membership_id)
    require("people.manage")
    form = MembershipForm(obj=membership)
    language = current_language()
    form.department_id.choices = [SelectChoice(0, "–")] + [
        SelectChoice(d.id, d.name(language))
        for d in db.session.scalars(select(Department).where(Department.active))
    ]
    if request.method == "GET":
        form.department_id.data = membership.department_id or 0
        form.organisation_type.data = membership.organisation_type or ""
    if form.validate_on_submit():
        department = (
            get_or_404(Department, form.department_id.data) if form.department_id.data else None
        )
        try:
            update_membership(
                membership,
                form.role.data or "",
                department,
                bool(form.joint_team.data),
                form.organisation_name.data,
                form.organisation_type.data or None,
            )
        except AdminError as exc:
            form.role.errors = [str(exc)]
        else:
            db.session.commit()
            flash(_("The changes are saved."), "success")
            return redirect(url_for("tenancy.person", membership_id=membership.id))
    return render_template("admin/person_edit.html", form=form, membership=membership)


@bp.route("/people/<int:membership_id>/remove", methods=["POST"])
def remove_person(membership_id: int) -> Response:
    membership = get_or_404(Membership, membership_id)
    require("people.manage")
    if not FlaskForm().validate_on_submit():
        abort(400)
    name = membership.user.name
    try:
        remove_membership(membership)
    except AdminError as exc:
        flash(str(exc), "error")
        return redirect(url_for("tenancy.person", membership_id=membership.id))
    db.session.commit()
    flash(_("%(name)s no longer has access to the municipality.", name=name), "success")
    return redirect(url_for("tenancy.people"))


@bp.route("/invitations/<int:invitation_id>/withdraw", methods=["POST"])
def withdraw_invitation(invitation_id: int) -> Response:
    invitation = get_or_404(Invitation, invitation_id)
    require("people.manage")
    if not FlaskForm().validate_on_submit():
        abort(400)
    email = invitation.email
    try:
        withdraw(invitation)
    except InvitationError as exc:
        flash(str(exc), "error")
        return redirect(url_for("tenancy.people"))
    db.session.commit()
    flash(_("The invitation for %(email)s is withdrawn.", email=email), "success")
    return redirect(url_for("tenancy.people"))
