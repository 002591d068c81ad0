"""Family pages: the list, enrolment, the family page, members, corrections and exit."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from werkzeug.wrappers import Response
from wtforms import HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from app.auth.permissions import can, permission_required, require
from app.casework import search
from app.casework.overview import plan_summary, waves_of
from app.casework.reopen import REOPEN_REASON_LABELS, REOPEN_REASONS, can_reopen, reopen_family
from app.casework.timeline import MOST as TIMELINE_MOST
from app.casework.timeline import PAGE as TIMELINE_PAGE
from app.casework.timeline import timeline
from app.collection.waves import dropped_by_exit, start_exit
from app.core import dates
from app.core.db import db
from app.core.forms import OneTimeForm, seen_version
from app.families.access import family_or_404, member_or_404
from app.families.forms import CorrectEnrolmentForm, EndMemberForm, EnrolForm, ExitForm, MemberForm
from app.families.services import (
    FamilyError,
    StaleFamily,
    add_member,
    correct_enrolment_date,
    end_member,
    enrol_family,
    record_reading,
)
from app.plans.views import GOAL_STATUS_LABELS, LIFE_AREA_LABELS
from app.teams.services import active_team, assign
from app.tenancy.models import TEAM_MODELS
from app.tenancy.once import lands_on, repeat_of
from app.tenancy.request import TenantBlueprint, current_municipality

bp = TenantBlueprint("families", __name__, url_prefix="/families")

#: Far beyond any municipality's families (5 million); keeps the offset a small integer.
MAX_PAGE = 100_000


@bp.route("/", methods=["GET", "POST"])
@permission_required("families.list")
def index() -> str | Response:
    """The list, found by GET for a label or a name (a link that can be kept) and by POST
    for a CPR number, which is never put in an address: it would sit in the browser's
    history and in every access log the request passes. The search form posts; a POST
    that is no CPR search is sent on to its GET address, a CPR search is answered at once.
    """
    scopes = search.scopes_for_member()
    if request.method == "POST":
        wanted = search.Search.from_args(request.form.to_dict(), scopes)
        if not wanted.by_cpr:
            return redirect(url_for("families.index", **_kept(wanted)))
        return _list(wanted, page=1)
    wanted = search.Search.from_args(request.args.to_dict(), scopes)
    if wanted.by_cpr:
        # An address written by hand, or kept from before: the number is not searched for
        # from an address, and the answer's address leaves it out.
        flash(
            _(
                "Search for a CPR number with the search field. A CPR number is not "
                "searched for from a web address, so that it is not kept in the "
                "browser's history."
            ),
            "info",
        )
        return redirect(url_for("families.index", **{**_kept(wanted), "q": None}))
    return _list(wanted, page=_page_number(request.args.get("page", "1")))


def _kept(wanted: search.Search) -> dict[str, str | None]:
    """The search as the GET address and the links of the pager carry it: never a CPR."""
    return {
        "q": None if wanted.by_cpr else wanted.query or None,
        "scope": wanted.scope,
        "status": wanted.status or None,
        "team_model": wanted.team_model or None,
        "sort": wanted.sort,
    }


def _list(wanted: search.Search, page: int) -> str:
    rows, total = search.run(wanted, current_municipality(), page)
    db.session.commit()
    return render_template(
        "families/index.html",
        rows=rows,
        page=page,
        total=total,
        # A CPR search is one page of exact matches (a number belongs to a person or two):
        # it has no pager, whose links could only carry the number.
        pages=1 if wanted.by_cpr else max((total + search.PAGE_SIZE - 1) // search.PAGE_SIZE, 1),
        search=wanted,
        scopes=search.scopes_for_member(),
        kept=_kept(wanted),
        statuses=search.STATUSES,
        team_models=TEAM_MODELS,
        sorts=search.SORTS,
        filtered=bool(wanted.query or wanted.status or wanted.team_model) or wanted.scope != "team",
    )


def _page_number(raw: str) -> int:
    """A page of the list, 1 to :data:`MAX_PAGE`; anything else is a page that does not
    exist (404). int() alone took 10^21, whose offset overflowed the databases' integers."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 9 and 1 <= int(raw) <= MAX_PAGE:
        return int(raw)
    abort(404)


@bp.route("/new", methods=["GET", "POST"])
@permission_required("families.enrol")
def new() -> str | Response:
    form = EnrolForm()
    if request.method == "GET" and not form.enrolment_date.data:
        form.enrolment_date.data = dates.today().isoformat()
    if form.validate_on_submit():
        if (repeat := repeat_of(form, url_for("families.index"))) is not None:
            return repeat
        family = enrol_family(
            current_municipality(), form.label.data or "", form.enrolment_date.date
        )  # type: ignore[arg-type]
        if not can("families.view_all"):
            # Whoever does not see every family (staff) takes the family they enrol on as
            # its coordinator, entry caseworker or first team member, else they could not
            # open it; the team page changes that.
            assign(current_municipality(), family, g.membership)
        target = lands_on(url_for("families.detail", family_id=family.id))
        db.session.commit()
        flash(_("The family is enrolled. Add its adults and children."), "success")
        return redirect(target)
    return render_template("families/new.html", form=form)


@bp.route("/<int:family_id>")
def detail(family_id: int) -> str:
    family = family_or_404(family_id)
    municipality = current_municipality()
    today = dates.today()
    waves = waves_of(municipality, family, today)
    next_wave = next((w for w in waves if w.status in ("upcoming", "due", "overdue")), None)
    events, more_events = timeline(family, _events_wanted(request.args.get("events", "")))
    record_reading(family, via="page")
    db.session.commit()
    return render_template(
        "families/detail.html",
        family=family,
        waves=waves,
        next_wave=next_wave,
        team=active_team(family),
        plan=plan_summary(family),
        events=events,
        more_events=more_events,
        events_shown=len(events),
        events_page=TIMELINE_PAGE,
        life_area_labels=LIFE_AREA_LABELS,
        goal_status_labels=GOAL_STATUS_LABELS,
        today=today,
        correct_form=CorrectEnrolmentForm(
            formdata=None,
            enrolment_date=family.enrolment_date.isoformat(),
            lock_version=family.lock_version,
        ),
        exit_form=ExitForm(formdata=None, exit_date=today.isoformat()),
        end_form=EndMemberForm(formdata=None),
        has_exit=any(w.kind == "exit" for w in family.waves),
    )


def _events_wanted(raw: str) -> int:
    """How many timeline events the address asks for; anything odd is the first page."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 4:
        return max(TIMELINE_PAGE, min(int(raw), TIMELINE_MOST))
    return TIMELINE_PAGE


@bp.route("/<int:family_id>/members/new", methods=["GET", "POST"])
def add_member_page(family_id: int) -> str | Response:
    family = family_or_404(family_id)
    form = MemberForm()
    if request.method == "GET":
        form.role.data = request.args.get("role", "adult")
    if form.validate_on_submit():
        if (repeat := repeat_of(form, url_for("families.detail", family_id=family.id))) is not None:
            return repeat
        try:
            add_member(
                family,
                form.role.data or "",
                form.name.data or "",
                form.start_date.date or family.enrolment_date,
                form.cpr.data,
            )
        except FamilyError as exc:
            form.cpr.errors = [str(exc)]
        else:
            target = lands_on(url_for("families.detail", family_id=family.id))
            db.session.commit()
            flash(_("%(name)s is added to the family.", name=form.name.data), "success")
            return redirect(target)
    return render_template("families/member_new.html", family=family, form=form)


@bp.route("/<int:family_id>/members/<int:member_id>/end", methods=["POST"])
def end_member_page(family_id: int, member_id: int) -> Response:
    family = family_or_404(family_id)
    member = member_or_404(family, member_id)
    form = EndMemberForm()
    if form.validate_on_submit():
        try:
            end_member(member, form.end_date.date)  # type: ignore[arg-type]
        except FamilyError:
            flash(_("The end date cannot be before the person joined."), "error")
        else:
            db.session.commit()
            flash(_("%(name)s has left the family's course.", name=member.name), "success")
    else:
        flash(_("Write the date the person left, as dd-mm-yyyy."), "error")
    return redirect(url_for("families.detail", family_id=family.id))


@bp.route("/<int:family_id>/enrolment", methods=["POST"])
def correct_enrolment(family_id: int) -> Response:
    family = family_or_404(family_id)
    form = CorrectEnrolmentForm()
    if not form.validate_on_submit():
        flash(_("Write the enrolment date as dd-mm-yyyy."), "error")
    else:
        try:
            correct_enrolment_date(
                current_municipality(),
                family,
                form.enrolment_date.date,  # type: ignore[arg-type]
                seen_version(form.lock_version.data),
            )
        except StaleFamily:
            flash(
                _("Someone else changed the family meanwhile. Check the dates and try again."),
                "error",
            )
        except FamilyError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The enrolment date is corrected and the due dates moved with it."), "success")
    return redirect(url_for("families.detail", family_id=family.id))


class ExitConfirmForm(OneTimeForm):
    exit_date = HiddenField()


class ReopenForm(OneTimeForm):
    reason = RadioField(
        _l("Why is the family reopened?"),
        choices=[SelectChoice(k, REOPEN_REASON_LABELS[k]) for k in REOPEN_REASONS],
        validators=[InputRequired(_l("Choose why the family is reopened."))],
    )


@bp.route("/<int:family_id>/exit", methods=["GET", "POST"])
def exit_family(family_id: int) -> str | Response:
    """GET: what the exit would do, on the date chosen, and a button to confirm; POST: do it."""
    family = family_or_404(family_id)
    back = url_for("families.detail", family_id=family.id)
    if any(w.kind == "exit" for w in family.waves):
        flash(_("The exit wave is already open."), "info")
        return redirect(back)
    form = ExitConfirmForm()
    typed = (form.exit_date.data if request.method == "POST" else None) or request.args.get(
        "exit_date", ""
    )
    exit_due = dates.parse_date(typed) if typed else dates.today()
    error = None
    if exit_due is None:
        error = _("Write the exit date as dd-mm-yyyy.")
    elif exit_due < family.enrolment_date:
        error = _("The exit date cannot be before enrolment.")
    if request.method == "POST" and error is None and form.validate_on_submit():
        if (repeat := repeat_of(form, back)) is not None:
            return repeat
        try:
            start_exit(current_municipality(), family, exit_due)  # type: ignore[arg-type]
        except FamilyError as exc:
            error = str(exc)
        else:
            target = lands_on(back)
            db.session.commit()
            flash(
                _("The exit wave is open: fill in the exit form and the last follow-ups."),
                "success",
            )
            return redirect(target)
    dropped = dropped_by_exit(family, exit_due) if error is None and exit_due else []
    record_reading(family, via="exit page")
    db.session.commit()
    form.exit_date.data = exit_due.isoformat() if exit_due else ""
    return render_template(
        "families/exit_confirm.html",
        family=family,
        form=form,
        typed=typed or (exit_due.isoformat() if exit_due else ""),
        exit_due=exit_due if error is None else None,
        error=error,
        dropped=dropped,
    )


@bp.route("/<int:family_id>/reopen", methods=["GET", "POST"])
def reopen(family_id: int) -> str | Response:
    """A lead reopens a family exited by mistake, after a confirmation page."""
    family = family_or_404(family_id)
    require("families.reopen")
    back = url_for("families.detail", family_id=family.id)
    form = ReopenForm()
    if request.method == "POST" and form.validate_on_submit():
        if (repeat := repeat_of(form, back)) is not None:
            return repeat
        try:
            made = reopen_family(
                current_municipality(), family, form.reason.data or "", g.membership.user_id
            )
        except FamilyError as exc:
            flash(str(exc), "error")
            return redirect(back)
        target = lands_on(back)
        db.session.commit()
        flash(
            ngettext(
                "The family is back in the programme; %(num)s follow-up is expected again.",
                "The family is back in the programme; %(num)s follow-ups are expected again.",
                len(made),
            ),
            "success",
        )
        return redirect(target)
    record_reading(family, via="reopen page")
    db.session.commit()
    exit_wave = next((w for w in family.waves if w.kind == "exit"), None)
    return render_template(
        "families/reopen_confirm.html",
        family=family,
        form=form,
        reopenable=can_reopen(family),
        exit_wave=exit_wave,
    )
