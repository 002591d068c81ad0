"""The joint plan and a form as PDF, made by the report's renderer (WeasyPrint, tagged).

The plan's PDF is the family's own copy in plain words: each phase's goals with the
family's words beside them, who is responsible and how far each has come. A form's PDF is
its questions with the answers given (or blank lines and boxes to tick, ``?blank=1``, for
a meeting on paper). Reading the answers or the plan this way is recorded like reading the
page; a blank form holds no one's answers.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.auth.permissions import can
from app.collection.services import answered_version, find_submission, record_reading
from app.core.db import db
from app.core.language import current_language
from app.core.version import __version__
from app.definitions.compile import display_value
from app.families.access import PLAN, family_or_404, member_or_404, wave_or_404
from app.families.models import Member, Wave
from app.families.services import record_reading as record_family_reading
from app.plans.models import Plan
from app.plans.phases import plan_phases
from app.plans.services import visible_goals
from app.plans.views import GOAL_STATUS_LABELS, LIFE_AREA_LABELS
from app.reports.pdf_worker import html_to_pdf
from app.reports.render import STATIC_DIR
from app.teams.services import active_team
from app.tenancy.request import TenantBlueprint, current_municipality

bp = TenantBlueprint("papers", __name__)


def _pdf(template: str, name: str, **context: object) -> Response:
    language = current_language()
    with force_locale(language):
        document = render_template(
            template,
            lang=language,
            helhed_release=__version__,
            made=datetime.now(UTC),
            municipality=current_municipality(),
            **context,
        )
    # In this process: a plan or a form is a few pages, so the separate, limited process
    # the reports need (thousands of families) would only add its start-up to every paper.
    # The same renderer, with the same tagging and the same refusal of any outside asset.
    return Response(
        html_to_pdf(document, STATIC_DIR),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{name}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/families/<int:family_id>/plan.pdf")
def plan_pdf(family_id: int) -> Response:
    family = family_or_404(family_id, PLAN)
    plan = db.session.scalar(select(Plan).where(Plan.family_id == family.id))
    if plan is None:
        abort(404)
    goals = visible_goals(plan, can("plans.view_hidden_goals"))
    record_family_reading(family, via="plan pdf")
    db.session.commit()
    return _pdf(
        "pdf/plan.html",
        "plan",
        title=_("Our joint plan"),
        family=family,
        plan=plan,
        phases=plan_phases(plan, family.enrolment_date, current_municipality().settings),
        goals=goals,
        team=active_team(family),
        life_area_labels=LIFE_AREA_LABELS,
        goal_status_labels=GOAL_STATUS_LABELS,
    )


def _form_pdf(wave: Wave, form_id: str, member: Member | None) -> Response:
    version = answered_version(current_municipality(), wave, form_id, member)
    if version is None:
        abort(404)
    blank = request.args.get("blank") == "1"
    submission = None if blank else find_submission(wave, form_id, member)
    if submission is not None:
        record_reading(submission, via="pdf")
        db.session.commit()
    language = current_language()
    return _pdf(
        "pdf/form.html",
        form_id.replace(".", "-"),
        title=version.form.title[language],
        definition=version.form,
        version=version,
        wave=wave,
        family=wave.family,
        member=member,
        answers=submission.answers if submission else None,
        self_reported=set(submission.self_reported or []) if submission else set(),
        display_value=display_value,
        language=language,
    )


@bp.route("/waves/<int:wave_id>/forms/<form_id>.pdf")
def family_form_pdf(wave_id: int, form_id: str) -> Response:
    return _form_pdf(wave_or_404(wave_id), form_id, None)


@bp.route("/waves/<int:wave_id>/members/<int:member_id>/forms/<form_id>.pdf")
def member_form_pdf(wave_id: int, member_id: int, form_id: str) -> Response:
    wave = wave_or_404(wave_id)
    return _form_pdf(wave, form_id, member_or_404(wave.family, member_id))
