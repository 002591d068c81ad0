"""The family's team page: who is around the family, by its team model."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.auth.models import Membership
from app.auth.permissions import roles_with
from app.core.db import db
from app.core.forms import OneTimeForm
from app.core.language import current_language
from app.families.access import family_or_404
from app.families.models import Assignment, Family
from app.teams.services import TEAM_MODEL_RULES, TeamError, active_team, assign, end_assignment
from app.tenancy.models import Department
from app.tenancy.once import lands_on, repeat_of
from app.tenancy.request import TenantBlueprint, current_municipality, get_or_404

bp = TenantBlueprint("teams", __name__, url_prefix="/families")


class AssignForm(OneTimeForm):
    membership_id = SelectField(_l("Person"), coerce=int, validators=[DataRequired()])
    department_id = SelectField(_l("Department"), coerce=int, validators=[Optional()])
    team_role = StringField(
        _l("Role around the family"),
        validators=[Length(max=120)],
        description=_l("For example: caseworker, family therapist."),
    )
    contact_person = BooleanField(_l("The family's chosen contact person"))


def _eligible(family: Family) -> list[Membership]:
    municipality = current_municipality()
    rules = TEAM_MODEL_RULES[family.team_model]
    roles = roles_with("teams.join")
    if rules["contact_person"] and municipality.settings.get("access", {}).get("external_contacts"):
        roles += roles_with("teams.join_as_contact")
    return list(
        db.session.scalars(
            select(Membership)
            .options(joinedload(Membership.user))
            .where(Membership.role.in_(roles))
            .order_by(Membership.id)
        )
    )


def _form(family: Family) -> AssignForm:
    form = AssignForm()
    people = _eligible(family)
    form.membership_id.choices = [
        SelectChoice(
            m.id, f"{m.user.name}" + (f" ({m.organisation_name})" if m.organisation_name else "")
        )
        for m in people
    ]
    departments = db.session.scalars(select(Department).where(Department.active)).all()
    language = current_language()
    form.department_id.choices = [SelectChoice(0, _l("Their home department"))] + [
        SelectChoice(d.id, d.name(language)) for d in departments
    ]
    return form


@bp.route("/<int:family_id>/team", methods=["GET", "POST"])
def team(family_id: int) -> str | Response:
    family = family_or_404(family_id)
    form = _form(family)
    if form.validate_on_submit():
        if (repeat := repeat_of(form, url_for("teams.team", family_id=family.id))) is not None:
            return repeat
        membership = get_or_404(Membership, form.membership_id.data)
        department = (
            get_or_404(Department, form.department_id.data) if form.department_id.data else None
        )
        try:
            assign(
                current_municipality(),
                family,
                membership,
                department=department,
                team_role=form.team_role.data,
                contact_person=bool(form.contact_person.data),
            )
        except TeamError as exc:
            form.membership_id.errors = [str(exc)]
        else:
            target = lands_on(url_for("teams.team", family_id=family.id))
            db.session.commit()
            flash(
                _("%(name)s is now part of the family's team.", name=membership.user.name),
                "success",
            )
            return redirect(target)
    return render_template(
        "teams/team.html",
        family=family,
        form=form,
        assignments=active_team(family),
        rules=TEAM_MODEL_RULES[family.team_model],
    )


@bp.route("/<int:family_id>/team/<int:assignment_id>/end", methods=["POST"])
def end(family_id: int, assignment_id: int) -> Response:
    family = family_or_404(family_id)
    assignment = get_or_404(Assignment, assignment_id)
    if assignment.family_id != family.id:
        abort(404)
    if FlaskForm().validate_on_submit():
        end_assignment(assignment)
        db.session.commit()
        flash(_("The person has left the family's team."), "success")
    return redirect(url_for("teams.team", family_id=family.id))
