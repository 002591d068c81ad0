"""The joint plan page: goals per phase and life area, and their status at each follow-up.

External contact persons may read it (with the family's contacts); only those with
``plans.edit`` change it.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.auth.permissions import can, require
from app.core.db import db
from app.core.forms import OneTimeForm
from app.core.language import current_language
from app.families.access import PLAN, family_or_404
from app.families.models import Wave
from app.families.services import record_reading
from app.plans.models import GOAL_STATUSES, LIFE_AREAS, Goal, Plan
from app.plans.services import PlanError, add_goal, set_goal_status
from app.teams.services import active_team
from app.tenancy.models import Department
from app.tenancy.once import lands_on, repeat_of
from app.tenancy.request import TenantBlueprint, get_or_404

bp = TenantBlueprint("plans", __name__, url_prefix="/families")

LIFE_AREA_LABELS = {
    "work_education": _l("Work and education"),
    "children_school_wellbeing": _l("Children's school and wellbeing"),
    "economy": _l("Economy"),
    "health": _l("Health"),
    "housing": _l("Housing"),
    "everyday_structure": _l("Everyday structure"),
    "leisure": _l("Leisure"),
}
GOAL_STATUS_LABELS = {
    "achieved": _l("achieved"),
    "partly": _l("partly achieved"),
    "not_achieved": _l("not achieved"),
    "changed": _l("changed"),
    "dropped": _l("dropped"),
}


class GoalForm(OneTimeForm):
    phase = SelectField(_l("Phase"), coerce=int, validators=[DataRequired()])
    life_area = SelectField(
        _l("Life area"),
        choices=[SelectChoice(k, v) for k, v in LIFE_AREA_LABELS.items()],
        validators=[DataRequired()],
    )
    description = TextAreaField(
        _l("Goal"), validators=[DataRequired(_l("Describe the goal.")), Length(max=2000)]
    )
    department_id = SelectField(_l("Responsible department"), coerce=int, validators=[Optional()])


class StatusForm(FlaskForm):
    wave_id = SelectField(_l("Follow-up"), coerce=int, validators=[DataRequired()])
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(k, v) for k, v in GOAL_STATUS_LABELS.items()],
        validators=[DataRequired()],
    )


def _plan_for(family_id: int) -> Plan:
    plan = db.session.scalar(select(Plan).where(Plan.family_id == family_id))
    if plan is None:
        abort(404)
    return plan


def _goal_form(plan: Plan) -> GoalForm:
    form = GoalForm()
    form.phase.choices = [
        SelectChoice(n, _l("Phase %(n)s", n=n)) for n in range(1, plan.phases + 1)
    ]
    language = current_language()
    departments = db.session.scalars(select(Department).where(Department.active)).all()
    form.department_id.choices = [SelectChoice(0, "–")] + [
        SelectChoice(d.id, d.name(language)) for d in departments
    ]
    return form


def _follow_ups(family_id: int) -> list[Wave]:
    return list(
        db.session.scalars(
            select(Wave)
            .where(Wave.family_id == family_id, Wave.kind != "intake")
            .order_by(Wave.due_date)
        )
    )


@bp.route("/<int:family_id>/plan", methods=["GET", "POST"])
def plan(family_id: int) -> str | Response:
    family = family_or_404(family_id, PLAN)
    the_plan = _plan_for(family.id)
    editable = can("plans.edit")
    goal_form = _goal_form(the_plan)
    if goal_form.is_submitted():
        require("plans.edit")  # external contact persons read the plan; they do not edit it
        if goal_form.validate():
            repeat = repeat_of(goal_form, url_for("plans.plan", family_id=family.id))
            if repeat is not None:
                return repeat
            department = (
                get_or_404(Department, goal_form.department_id.data)
                if goal_form.department_id.data
                else None
            )
            try:
                add_goal(
                    the_plan,
                    goal_form.phase.data or 1,
                    goal_form.life_area.data or "",
                    goal_form.description.data or "",
                    department,
                )
            except PlanError as exc:
                goal_form.phase.errors = [str(exc)]
            else:
                target = lands_on(url_for("plans.plan", family_id=family.id))
                db.session.commit()
                flash(_("The goal is added to the plan."), "success")
                return redirect(target)
    waves = _follow_ups(family.id)
    status_choices = [SelectChoice(w.id, w.key) for w in waves]
    if not goal_form.is_submitted():
        # The goals are the family's data: reading them is recorded like its page (a form
        # sent back with errors shows the plan its sender has just read).
        record_reading(family, via="plan page")
        db.session.commit()
    return render_template(
        "plans/plan.html",
        family=family,
        plan=the_plan,
        goal_form=goal_form,
        editable=editable,
        waves=waves,
        status_choices=status_choices,
        team=active_team(family),
        life_area_labels=LIFE_AREA_LABELS,
        goal_status_labels=GOAL_STATUS_LABELS,
        goal_statuses=GOAL_STATUSES,
        life_areas=LIFE_AREAS,
    )


@bp.route("/<int:family_id>/plan/goals/<int:goal_id>/status", methods=["POST"])
def goal_status(family_id: int, goal_id: int) -> Response:
    family = family_or_404(family_id)
    goal = get_or_404(Goal, goal_id)
    if goal.plan.family_id != family.id:
        abort(404)
    form = StatusForm()
    form.wave_id.choices = [SelectChoice(w.id, w.key) for w in _follow_ups(family.id)]
    if form.validate_on_submit():
        wave = get_or_404(Wave, form.wave_id.data)
        try:
            set_goal_status(goal, wave, form.status.data or "", _actor())
        except PlanError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The goal's status is recorded."), "success")
    else:
        flash(_("Choose a follow-up and a status."), "error")
    return redirect(url_for("plans.plan", family_id=family.id) + f"#goal-{goal.id}")


def _actor() -> int | None:
    return current_user.id
