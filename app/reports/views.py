"""Report pages: a municipality's own report for its leads and admins, and a study's
comparison of its granted municipalities for the study's researchers."""

from __future__ import annotations

from itertools import chain

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from app.audit.services import record
from app.auth.permissions import permission_required, require
from app.core import csvfile
from app.core.db import db
from app.core.forms import OneTimeForm
from app.core.language import current_language
from app.reports.figures import (
    CSV_HEADER,
    Report,
    municipality_report,
    rows,
    study_report,
)
from app.reports.jobs import cancel_job, reports_dir, start_job
from app.reports.models import ReportJob
from app.reports.render import failure_text, render_body
from app.research.models import Study
from app.research.views import _researchers_only, _study_or_404
from app.tenancy.models import Municipality
from app.tenancy.once import lands_on, repeat_of
from app.tenancy.request import TenantBlueprint, current_municipality, get_or_404
from app.tenancy.scoping import unscoped

tenant = TenantBlueprint("reports", __name__, url_prefix="/reports")
platform = Blueprint("study_reports", __name__)


def _language() -> str:
    language = request.form.get("language") or current_language()
    if language not in current_app.config["LANGUAGES"]:
        abort(400)
    return language


def _csv(report: Report, name: str) -> Response:
    return csvfile.response(chain([CSV_HEADER], rows(report)), name)


def _download(job: ReportJob) -> Response:
    if job.status != "done" or not job.file_name:
        abort(404)
    return send_file(
        reports_dir(current_app) / job.file_name,
        as_attachment=True,
        download_name=job.file_name,
        mimetype="application/pdf",
    )


# -- a municipality's own report ------------------------------------------------------------


def _own_report() -> Report:
    municipality = current_municipality()
    # The read is recorded and committed first: on SQLite a write after the figures' read
    # (which fills a temporary table) is refused at once if anyone else wrote meanwhile.
    record("report.viewed", municipality_id=municipality.id, object_type="report")
    db.session.commit()
    return municipality_report(municipality)


@tenant.route("/")
@permission_required("reports.view")
def municipality() -> str:
    report = _own_report()
    return render_template(
        "reports/report.html",
        report=report,
        body=render_body(report, current_language()),
        pdf_action=url_for("reports.pdf", slug=current_municipality().slug),
        once_form=ReportForm(),
        csv_url=url_for("reports.indicators_csv", slug=current_municipality().slug),
        jobs=_my_jobs(ReportJob.municipality_id == current_municipality().id),
        job_url=lambda job: url_for("reports.job", slug=current_municipality().slug, job_id=job.id),
    )


@tenant.route("/indicators.csv")
@permission_required("reports.view")
@csvfile.serves_csv
def indicators_csv() -> Response:
    return _csv(_own_report(), f"helhed-{current_municipality().slug}-indicators.csv")


class ReportForm(OneTimeForm):
    """Asks for a PDF of the municipality's report (the language is the button pressed)."""


@tenant.route("/pdf", methods=["POST"])
@permission_required("reports.view")
def pdf() -> Response:
    form = ReportForm()
    if not form.validate_on_submit():
        abort(400)
    if (repeat := repeat_of(form, url_for("reports.municipality"))) is not None:
        return repeat
    # start_job commits the job (and the token's claim) before it starts the renderer; a
    # repeat in the moment before the landing is stored goes to the report page instead.
    job = start_job(current_user, _language(), municipality=current_municipality())
    target = lands_on(url_for("reports.job", slug=current_municipality().slug, job_id=job.id))
    db.session.commit()
    return redirect(target)


def _own_job(job_id: int) -> ReportJob:
    # Load first, then the role: another municipality's job is outside the tenant scope,
    # so it is 404 whatever the role.
    job = get_or_404(ReportJob, job_id)
    require("reports.view")
    if job.user_id != current_user.id:
        abort(404)  # a colleague's report job is theirs to fetch
    return job


@tenant.route("/jobs/<int:job_id>")
def job(job_id: int) -> str:
    the_job = _own_job(job_id)
    slug = current_municipality().slug
    return render_template(
        "reports/job.html",
        job=the_job,
        failure=failure_text(the_job.progress),
        back_url=url_for("reports.municipality", slug=slug),
        download_url=url_for("reports.download", slug=slug, job_id=the_job.id),
        cancel_url=url_for("reports.cancel", slug=slug, job_id=the_job.id),
    )


def _cancelled(job: ReportJob, job_url: str) -> Response:
    if not FlaskForm().validate_on_submit():
        abort(400)
    cancel_job(job)  # a job that finished meanwhile stays as it is: the page shows which
    db.session.commit()
    return redirect(job_url)


@tenant.route("/jobs/<int:job_id>/cancel", methods=["POST"])
def cancel(job_id: int) -> Response:
    the_job = _own_job(job_id)
    slug = current_municipality().slug
    return _cancelled(the_job, url_for("reports.job", slug=slug, job_id=the_job.id))


@tenant.route("/jobs/<int:job_id>/download")
def download(job_id: int) -> Response:
    the_job = _own_job(job_id)
    record("report.downloaded", object_type="report", object_id=the_job.id)
    db.session.commit()
    return _download(the_job)


def _my_jobs(*where: object) -> list[ReportJob]:
    return list(
        db.session.scalars(
            select(ReportJob)
            .where(ReportJob.user_id == current_user.id, *where)  # type: ignore[arg-type]
            .order_by(ReportJob.id.desc())
            .limit(5)
        )
    )


# -- a study's comparison report (researchers) -------------------------------------------


# The same gate as the research pages: researchers and operators only.
platform.before_request(_researchers_only)


def _study_report(study: Study) -> Report:
    """The study's granted municipalities, or one of them (?municipality=slug)."""
    slug = request.args.get("municipality")
    with unscoped("researcher: a study's report", actor_id=current_user.id, study_id=study.id):
        if slug:
            chosen = db.session.scalar(select(Municipality).where(Municipality.slug == slug))
            report = study_report(study, only=[chosen.id] if chosen else [-1])
            if not report.municipalities:
                abort(404)  # not granted to this study (or no such municipality)
        else:
            report = study_report(study)
        record("report.viewed", object_type="study", object_id=study.id, details={"only": slug})
        db.session.flush()
    db.session.commit()
    return report


@platform.route("/studies/<int:study_id>/report")
def study(study_id: int) -> str:
    the_study = _study_or_404(study_id)
    report = _study_report(the_study)
    return render_template(
        "reports/report.html",
        report=report,
        study=the_study,
        body=render_body(report, current_language()),
        pdf_action=url_for("study_reports.pdf", study_id=the_study.id),
        # Only the one parameter the report reads: passed on whole, a query's study_id or
        # _scheme reached url_for() as its own arguments (a TypeError, a ValueError).
        csv_url=url_for(
            "study_reports.indicators_csv",
            study_id=the_study.id,
            **{k: v for k, v in request.args.items() if k == "municipality"},
        ),
        jobs=_my_jobs(ReportJob.study_id == the_study.id),
        job_url=lambda job: url_for("study_reports.job", study_id=the_study.id, job_id=job.id),
    )


@platform.route("/studies/<int:study_id>/report/indicators.csv", endpoint="indicators_csv")
@csvfile.serves_csv
def indicators_csv_for_study(study_id: int) -> Response:
    the_study = _study_or_404(study_id)
    return _csv(_study_report(the_study), f"helhed-study-{the_study.id}-indicators.csv")


@platform.route("/studies/<int:study_id>/report/pdf", methods=["POST"], endpoint="pdf")
def pdf_for_study(study_id: int) -> Response:
    the_study = _study_or_404(study_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    job = start_job(current_user, _language(), study=the_study)
    return redirect(url_for("study_reports.job", study_id=the_study.id, job_id=job.id))


def _study_job(study: Study, job_id: int) -> ReportJob:
    # Outside any municipality the scope shows only the platform's jobs (studies').
    job = get_or_404(ReportJob, job_id)
    if job.study_id != study.id or job.user_id != current_user.id:
        abort(404)
    return job


@platform.route("/studies/<int:study_id>/reports/<int:job_id>", endpoint="job")
def job_for_study(study_id: int, job_id: int) -> str:
    the_study = _study_or_404(study_id)
    the_job = _study_job(the_study, job_id)
    return render_template(
        "reports/job.html",
        job=the_job,
        failure=failure_text(the_job.progress),
        study=the_study,
        back_url=url_for("study_reports.study", study_id=the_study.id),
        download_url=url_for("study_reports.download", study_id=the_study.id, job_id=the_job.id),
        cancel_url=url_for("study_reports.cancel", study_id=the_study.id, job_id=the_job.id),
    )


@platform.route(
    "/studies/<int:study_id>/reports/<int:job_id>/cancel", methods=["POST"], endpoint="cancel"
)
def cancel_for_study(study_id: int, job_id: int) -> Response:
    the_study = _study_or_404(study_id)
    the_job = _study_job(the_study, job_id)
    return _cancelled(
        the_job, url_for("study_reports.job", study_id=the_study.id, job_id=the_job.id)
    )


@platform.route("/studies/<int:study_id>/reports/<int:job_id>/download", endpoint="download")
def download_for_study(study_id: int, job_id: int) -> Response:
    the_study = _study_or_404(study_id)
    the_job = _study_job(the_study, job_id)
    record(
        "report.downloaded",
        object_type="study",
        object_id=the_study.id,
        details={"job": the_job.id},
    )
    db.session.commit()
    return _download(the_job)
