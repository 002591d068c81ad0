"""PDF reports rendered in the background, with progress the page can show.

The web worker records the job and asks the queue for it in the same transaction
(:mod:`app.core.jobs`); a worker process computes the figures (SQL aggregates) and hands
the HTML to the limited PDF process (:mod:`app.reports.render`). Progress is written on a
connection of its own, outside the job's transaction. A renderer's refusal (too slow, too
large) is final; any other failure is retried by the queue, and only the last attempt's
is recorded as the job's.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from app.audit.services import record
from app.auth.models import User
from app.core import jobs
from app.core.background import cancel_row, end_read, output_dir, update_row
from app.core.db import db, utcnow
from app.reports.figures import Report, municipality_report, study_report
from app.reports.models import ReportJob
from app.reports.render import RenderError, render_document, render_pdf
from app.research.models import Study
from app.tenancy.models import Municipality
from app.tenancy.scoping import Scope, restored_scope, tenant_scope, unscoped


def reports_dir(app: Flask) -> Path:
    return output_dir(app, "reports")


#: The queue's name for the task.
TASK = "reports.render"


def job_key(job_id: int) -> str:
    return f"report_job:{job_id}"


def _progress(job_id: int, **values: object) -> None:
    update_row(ReportJob, job_id, **values)


def figures_for(job: ReportJob, actor: User) -> Report:
    """The job's figures, read within the boundary its kind allows.

    The read is audited first, in a transaction of its own, so it is on record whatever
    happens to the PDF; the figures are then read in one that writes nothing
    (:mod:`app.core.background`).
    """
    if job.municipality_id is not None:
        municipality = db.session.get(Municipality, job.municipality_id)
        with tenant_scope(municipality, actor.id):
            record(
                "report.rendered",
                actor_id=actor.id,
                municipality_id=municipality.id,
                object_type="report",
                object_id=job.id,
                details={"language": job.language},
            )
            db.session.commit()
            report = municipality_report(municipality)
            end_read()
        return report
    study = db.session.get(Study, job.study_id)
    with unscoped("researcher: a study's comparison report", actor_id=actor.id, study_id=study.id):
        record(
            "report.rendered",
            actor_id=actor.id,
            object_type="study",
            object_id=study.id,
            details={"job": job.id, "language": job.language},
        )
        db.session.commit()
        report = study_report(study)
        end_read()
    return report


@jobs.task(TASK)
def run_job(app: Flask, scope: Scope, job_id: int) -> None:
    with app.app_context(), restored_scope(scope):
        job = db.session.get(ReportJob, job_id)
        actor = db.session.get(User, job.user_id)
        name = f"helhed-report-{job.id}-{job.language}.pdf"
        try:
            _progress(job_id, status="running", progress="figures")
            report = figures_for(job, actor)
            document = render_document(report, job.language)
            jobs.test_delay(app)
            _progress(job_id, progress="pdf")
            (reports_dir(app) / name).write_bytes(render_pdf(document))
        except jobs.Cancelled:
            db.session.rollback()
            raise
        except Exception as exc:  # the page must learn that it failed, whatever the cause
            db.session.rollback()
            current_app.logger.exception("report job %s failed", job_id)
            final = isinstance(exc, RenderError) or jobs.last_attempt()
            if not final:
                _progress(job_id, status="queued", progress="")
                raise  # the queue tries again
            # A code, not the message: the page says it in its reader's language.
            code = exc.code if isinstance(exc, RenderError) else "error"
            _progress(job_id, status="failed", progress=code, finished_at=utcnow())
            return
        finally:
            db.session.remove()
        _progress(job_id, status="done", progress="", file_name=name, finished_at=utcnow())


def start_job(
    user: User,
    language: str,
    *,
    municipality: Municipality | None = None,
    study: Study | None = None,
) -> ReportJob:
    job = ReportJob(
        user_id=user.id,
        language=language,
        municipality_id=municipality.id if municipality else None,
        study_id=study.id if study else None,
    )
    db.session.add(job)
    db.session.flush()
    jobs.enqueue(TASK, key=job_key(job.id), job_id=job.id)
    db.session.commit()
    return job


def cancel_job(job: ReportJob) -> bool:
    """Cancel *job* if it has not finished; the caller commits."""
    return cancel_row(ReportJob, job.id, job_key(job.id))
