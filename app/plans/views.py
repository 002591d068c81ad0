"""The joint plan page: goals per phase and life area, and their status at each follow-up.

External contact persons may read it (with the family's contacts); only those with
``plans.edit`` change it. Whoever lacks ``plans.view_hidden_goals`` (the external contact
persons) never sees a goal hidden from them: not on the page, not in its counts.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.auth.models import User
from app.auth.permissions import can, require
from app.core import dates
from app.core.db import db
from app.core.forms import DateField, OneTimeForm, seen_version
from app.core.language import current_language
from app.families.access import PLAN, family_or_404
from app.families.models import Family, Wave
from app.families.services import record_reading
from app.plans.models import CHILD_AREAS, GOAL_STATUSES, LIFE_AREAS, Goal, Plan
from app.plans.phases import Phase, plan_phases
from app.plans.services import (
    GoalFields,
    PlanError,
    StaleGoal,
    add_goal,
    delete_goal,
    edit_goal,
    set_goal_status,
    visible_goals,
)
from app.teams.services import active_team
from app.tenancy.models import Department, Membership
from app.tenancy.once import lands_on, repeat_of
from app.tenancy.request import TenantBlueprint, current_municipality, get_or_404

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
    family_words = TextAreaField(
        _l("The family's own words (optional)"), validators=[Optional(), Length(max=2000)]
    )
    target_date = DateField(_l("Target date (optional)"), validators=[Optional()])
    responsible_user_id = SelectField(_l("Responsible person"), coerce=int, validators=[Optional()])
    department_id = SelectField(_l("Responsible department"), coerce=int, validators=[Optional()])
    hidden_from_external = BooleanField(_l("Not for external contact persons"))
    #: Set by the page's script when it keeps the box in step with the life area; without
    #: it (no JavaScript) a goal in a children's area is hidden, as the default says.
    visibility_chosen = HiddenField()
    lock_version = HiddenField()


class StatusForm(FlaskForm):
    wave_id = SelectField(
        _l("Follow-up"), coerce=int, validators=[InputRequired(_l("Choose a follow-up."))]
    )
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", "–")]
        + [SelectChoice(k, v) for k, v in GOAL_STATUS_LABELS.items()],
        validators=[InputRequired(_l("Choose a status."))],
    )


class ConfirmForm(OneTimeForm):
    lock_version = HiddenField()


def _plan_for(family_id: int) -> Plan:
    plan = db.session.scalar(select(Plan).where(Plan.family_id == family_id))
    if plan is None:
        abort(404)
    return plan


def _responsible_choices(family: Family) -> list[SelectChoice]:
    """The family's team first, then everyone else with a membership here."""
    team = [a.user for a in active_team(family)]
    seen = {u.id for u in team}
    others = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id).order_by(User.name)
    ).all()
    people = team + [u for u in others if u.id not in seen]
    unique = list({u.id: u for u in people}.values())
    return [SelectChoice(0, "–")] + [SelectChoice(u.id, u.name) for u in unique]


def _phase_label(period: Phase, language: str) -> str:
    focus = period.focus_text(language)
    label = str(_l("Phase %(n)s", n=period.number))
    return f"{label}: {focus}" if focus else label


def _goal_form(plan: Plan, family: Family, **data: object) -> GoalForm:
    language = current_language()
    periods = plan_phases(plan, family.enrolment_date, current_municipality().settings)
    # A new goal starts in the phase the family is in now (before the plan: the first;
    # after it: the last).
    today = dates.today()
    outside = periods[-1] if today > periods[-1].ends else periods[0]
    current = next((p for p in periods if p.holds(today)), outside)
    form = GoalForm(**{"phase": current.number, **data})
    form.responsible_user_id.choices = _responsible_choices(family)
    form.phase.choices = [SelectChoice(p.number, _phase_label(p, language)) for p in periods]
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
    goal_form = _goal_form(the_plan, family)
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
                add_goal(the_plan, **_fields(goal_form, department).__dict__)
            except PlanError as exc:
                goal_form.phase.errors = [str(exc)]
            else:
                target = lands_on(url_for("plans.plan", family_id=family.id))
                db.session.commit()
                flash(_("The goal is added to the plan."), "success")
                return redirect(target)
    waves = _follow_ups(family.id)
    status_choices = [SelectChoice(w.id, w.key) for w in waves]
    sees_hidden = can("plans.view_hidden_goals")
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
        goals=visible_goals(the_plan, sees_hidden),
        editable=editable,
        today=dates.today(),
        child_areas=sorted(CHILD_AREAS),
        waves=waves,
        status_choices=status_choices,
        team=active_team(family),
        life_area_labels=LIFE_AREA_LABELS,
        goal_status_labels=GOAL_STATUS_LABELS,
        goal_statuses=GOAL_STATUSES,
        life_areas=LIFE_AREAS,
        phases=plan_phases(the_plan, family.enrolment_date, current_municipality().settings),
    )


@bp.route("/<int:family_id>/plan/goals/<int:goal_id>/status", methods=["POST"])
def goal_status(family_id: int, goal_id: int) -> Response:
    family = family_or_404(family_id)
    goal = get_or_404(Goal, goal_id)
    if goal.plan.family_id != family.id:
        abort(404)
    require("plans.edit")
    form = StatusForm()
    form.wave_id.choices = [SelectChoice(w.id, w.key) for w in _follow_ups(family.id)]
    if form.validate_on_submit():
        wave = get_or_404(Wave, form.wave_id.data)
        try:
            set_goal_status(goal, wave, form.status.data or "", _actor(), dates.today())
        except PlanError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The goal's status is recorded."), "success")
    elif not form.status.data:
        flash(_("Choose a status for the goal: none was chosen."), "error")
    else:
        flash(_("Choose a follow-up and a status."), "error")
    return redirect(url_for("plans.plan", family_id=family.id) + f"#goal-{goal.id}")


def _actor() -> int | None:
    return current_user.id


def _fields(form: GoalForm, department: Department | None) -> GoalFields:
    life_area = form.life_area.data or ""
    hidden: bool | None = bool(form.hidden_from_external.data)
    if not form.visibility_chosen.data and life_area in CHILD_AREAS:
        hidden = None  # no script kept the box in step: the life area's default holds
    return GoalFields(
        phase=form.phase.data or 1,
        life_area=life_area,
        description=form.description.data or "",
        department=department,
        target_date=form.target_date.date,
        responsible_user_id=form.responsible_user_id.data or None,
        family_words=form.family_words.data,
        hidden_from_external=hidden,
    )


def _goal_or_404(family: Family, goal_id: int, deleted_too: bool = False) -> Goal:
    goal = get_or_404(Goal, goal_id)
    if goal.plan.family_id != family.id or (goal.deleted_at is not None and not deleted_too):
        abort(404)
    return goal


@bp.route("/<int:family_id>/plan/goals/<int:goal_id>/edit", methods=["GET", "POST"])
def edit(family_id: int, goal_id: int) -> str | Response:
    family = family_or_404(family_id)
    goal = _goal_or_404(family, goal_id)
    require("plans.edit")
    the_plan = goal.plan
    if request.method == "GET":
        form = _goal_form(
            the_plan,
            family,
            formdata=None,
            phase=goal.phase,
            life_area=goal.life_area,
            description=goal.description,
            family_words=goal.family_words or "",
            target_date=goal.target_date,
            responsible_user_id=goal.responsible_user_id or 0,
            department_id=goal.responsible_department_id or 0,
            hidden_from_external=goal.hidden_from_external,
            visibility_chosen="1",
            lock_version=str(goal.lock_version),
        )
    else:
        form = _goal_form(the_plan, family)
        # What the editor sees is what they chose; the default applies to new goals only.
        form.visibility_chosen.data = "1"
    conflict = False
    back = url_for("plans.plan", family_id=family.id) + f"#goal-{goal.id}"
    if form.validate_on_submit():
        if (repeat := repeat_of(form, back)) is not None:
            return repeat
        department = (
            get_or_404(Department, form.department_id.data) if form.department_id.data else None
        )
        try:
            edit_goal(
                goal, _fields(form, department), seen_version(form.lock_version.data), _actor()
            )
        except StaleGoal as exc:
            db.session.rollback()
            conflict = True
            form.description.errors = [str(exc)]
            goal = _goal_or_404(family, goal_id)
        except PlanError as exc:
            form.phase.errors = [str(exc)]
        else:
            target = lands_on(back)
            db.session.commit()
            flash(_("The goal is changed. What it said before is kept."), "success")
            return redirect(target)
    else:
        record_reading(family, via="plan goal")
        db.session.commit()
    return render_template(
        "plans/goal_edit.html",
        family=family,
        goal=goal,
        form=form,
        conflict=conflict,
        life_area_labels=LIFE_AREA_LABELS,
        child_areas=sorted(CHILD_AREAS),
    )


@bp.route("/<int:family_id>/plan/goals/<int:goal_id>/delete", methods=["GET", "POST"])
def delete(family_id: int, goal_id: int) -> str | Response:
    family = family_or_404(family_id)
    goal = _goal_or_404(family, goal_id, deleted_too=request.method == "POST")
    require("plans.edit")
    form = ConfirmForm(formdata=None, lock_version=str(goal.lock_version))
    if request.method == "POST":
        form = ConfirmForm()
        if form.validate_on_submit():
            plan_page = url_for("plans.plan", family_id=family.id)
            if (repeat := repeat_of(form, plan_page)) is not None:
                return repeat
            try:
                delete_goal(goal, seen_version(form.lock_version.data), _actor())
            except StaleGoal as exc:
                flash(str(exc), "error")
                return redirect(url_for("plans.edit", family_id=family.id, goal_id=goal.id))
            target = lands_on(plan_page)
            db.session.commit()
            flash(_("The goal is deleted from the plan. Its history is kept."), "success")
            return redirect(target)
    record_reading(family, via="plan goal")
    db.session.commit()
    return render_template(
        "plans/goal_delete.html",
        family=family,
        goal=goal,
        form=form,
        life_area_labels=LIFE_AREA_LABELS,
        goal_status_labels=GOAL_STATUS_LABELS,
    )
