"""Research pages: researchers' studies and exports; a municipality's grants, sign-off and
the list of what left it."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.audit.services import record
from app.auth.permissions import permission_required, require
from app.core import csvfile
from app.core.db import MAX_ID, db
from app.definitions.model import WAVES
from app.families.models import Wave
from app.research.jobs import cancel_job, exports_dir, start_job
from app.research.models import ExportJob, ExportRecord, Grant, Study, WaveApproval
from app.research.scope import active_grants
from app.research.services import (
    WAVE_KEY_RE,
    ResearchError,
    UnknownFormError,
    grant_study,
    grantable_forms,
    revoke_grant,
    set_wave_approval,
    studies_of,
)
from app.research.summary import release_summary
from app.tenancy.request import TenantBlueprint, current_municipality, get_or_404
from app.tenancy.scoping import unscoped

platform = Blueprint("research", __name__)
tenant = TenantBlueprint("municipal_research", __name__, url_prefix="/research")


# -- researchers (platform pages) -----------------------------------------------------------


@platform.before_request
@login_required
def _researchers_only() -> None:
    require("studies.view")


def _study_or_404(study_id: int) -> Study:
    study = db.session.get(Study, study_id) if 0 < study_id <= MAX_ID else None
    if study is None or study not in studies_of(current_user):
        abort(404)
    return study


def _grants(study: Study) -> list[Grant]:
    """The study's grants: rows of several municipalities, read the one audited way across."""
    with unscoped("researcher: the grants of a study", actor_id=current_user.id, study_id=study.id):
        grants = list(db.session.scalars(active_grants(study.id)))
        # Detached with their values loaded: a commit would expire them, and reading them
        # again outside the crossing would (rightly) find nothing under row-level security.
        for grant in grants:
            db.session.expunge(grant)
    db.session.commit()
    return grants


@platform.route("/")
def studies() -> str:
    rows = [(study, _grants(study)) for study in studies_of(current_user)]
    return render_template("research/studies.html", rows=rows)


@platform.route("/studies/<int:study_id>", methods=["GET", "POST"])
def study(study_id: int) -> str | Response:
    the_study = _study_or_404(study_id)
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        job = start_job(the_study, current_user)
        return redirect(url_for("research.job", study_id=the_study.id, job_id=job.id))
    jobs = db.session.scalars(
        select(ExportJob)
        .where(ExportJob.study_id == the_study.id, ExportJob.user_id == current_user.id)
        .order_by(ExportJob.id.desc())
        .limit(10)
    ).all()
    grants = _grants(the_study)
    return render_template("research/study.html", study=the_study, jobs=jobs, grants=grants)


def _job_or_404(study: Study, job_id: int) -> ExportJob:
    job = db.session.get(ExportJob, job_id) if 0 < job_id <= MAX_ID else None
    if job is None or job.study_id != study.id or job.user_id != current_user.id:
        abort(404)
    return job


@platform.route("/studies/<int:study_id>/exports/<int:job_id>")
def job(study_id: int, job_id: int) -> str:
    the_job = _job_or_404(_study_or_404(study_id), job_id)
    return render_template("research/job.html", job=the_job, study=the_job.study)


@platform.route("/studies/<int:study_id>/exports/<int:job_id>/cancel", methods=["POST"])
def cancel(study_id: int, job_id: int) -> Response:
    the_job = _job_or_404(_study_or_404(study_id), job_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    cancel_job(the_job)  # a job that finished meanwhile stays as it is: the page shows which
    db.session.commit()
    return redirect(url_for("research.job", study_id=study_id, job_id=the_job.id))


@platform.route("/studies/<int:study_id>/exports/<int:job_id>/download")
@csvfile.serves_csv  # a zip of the package's CSV files
def download(study_id: int, job_id: int) -> Response:
    the_job = _job_or_404(_study_or_404(study_id), job_id)
    if the_job.status != "done" or not the_job.file_name:
        abort(404)
    record(
        "export.downloaded",
        object_type="study",
        object_id=study_id,
        details={"job": the_job.id, "checksum": the_job.checksum},
    )
    db.session.commit()
    return send_file(
        exports_dir(current_app) / the_job.file_name,
        as_attachment=True,
        download_name=the_job.file_name,
        mimetype="application/zip",
    )


# -- a municipality's side (tenant pages) -------------------------------------------------------


@tenant.route("/", methods=["GET"])
@permission_required("research.view")
def overview() -> str:
    municipality = current_municipality()
    keys = sorted(
        set(db.session.scalars(select(Wave.key).distinct())),
        key=lambda k: (
            k != "intake",
            k == "exit",
            int(k.rsplit("_", 1)[1]) if k.startswith("follow_up_") else 0,
        ),
    )
    approvals = {a.wave_key: a for a in db.session.scalars(select(WaveApproval))}
    grants = {g.study_id: g for g in db.session.scalars(active_grants())}
    exports = db.session.scalars(
        select(ExportRecord).order_by(ExportRecord.created_at.desc()).limit(50)
    ).all()
    return render_template(
        "research/municipality.html",
        wave_keys=keys,
        approvals=approvals,
        studies=db.session.scalars(select(Study).order_by(Study.id)).all(),
        grants=grants,
        exports=exports,
        form_ids=grantable_forms(municipality),
        wave_kinds=WAVES,
    )


def _wave_key_or_404(wave_key: str) -> str:
    if not (wave_key in ("intake", "exit") or WAVE_KEY_RE.fullmatch(wave_key)):
        abort(404)
    return wave_key


@tenant.route("/waves/<wave_key>/summary")
@permission_required("research.view")
def release(wave_key: str) -> str:
    """What approving the wave releases; a lead confirms the sign-off from here."""
    approval = db.session.scalar(
        select(WaveApproval).where(WaveApproval.wave_key == _wave_key_or_404(wave_key))
    )
    return render_template(
        "research/approve.html",
        summary=release_summary(current_municipality(), wave_key),
        approved=bool(approval and approval.approved),
    )


@tenant.route("/waves/<wave_key>", methods=["POST"])
@permission_required("research.approve")
def approve(wave_key: str) -> Response:
    """The sign-off (shown first by :func:`release`), or with approve=0 its withdrawal."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        set_wave_approval(
            current_municipality(), wave_key, request.form.get("approve") == "1", current_user.id
        )
    except ResearchError:
        abort(404)
    db.session.commit()
    flash(_("The sign-off is saved."), "success")
    return redirect(url_for("municipal_research.overview"))


@tenant.route("/studies/<int:study_id>/grant", methods=["POST"])
@permission_required("research.grant")
def grant(study_id: int) -> Response:
    study = db.session.get(Study, study_id) if 0 < study_id <= MAX_ID else None
    if study is None or not FlaskForm().validate_on_submit():
        abort(404)

    def day(name: str) -> date | None:
        try:
            return (
                date.fromisoformat(request.form.get(name, "")) if request.form.get(name) else None
            )
        except ValueError:
            return None

    try:
        grant_study(
            current_municipality(),
            study,
            forms=request.form.getlist("forms"),
            waves=request.form.getlist("waves"),
            period_from=day("period_from"),
            period_to=day("period_to"),
            free_text=request.form.get("free_text") == "1",
            actor_id=current_user.id,
        )
    except UnknownFormError as exc:
        # Only a changed page can post one: the page offers the municipality's forms.
        flash(_("The municipality has no form with the id %(form)s.", form=exc.form_id), "error")
        return redirect(url_for("municipal_research.overview"))
    except ResearchError:
        # The service's other reasons are written for the command line; both are this.
        flash(_("Choose at least one form and at least one wave."), "error")
        return redirect(url_for("municipal_research.overview"))
    db.session.commit()
    flash(_("The study has access."), "success")
    return redirect(url_for("municipal_research.overview"))


@tenant.route("/grants/<int:grant_id>/revoke", methods=["POST"])
def revoke(grant_id: int) -> Response:
    row = get_or_404(Grant, grant_id)
    require("research.grant")
    if FlaskForm().validate_on_submit():
        revoke_grant(row, current_user.id)
        db.session.commit()
        flash(_("The study's access is revoked."), "success")
    return redirect(url_for("municipal_research.overview"))
