"""Building a package in a worker process, reporting progress to the database.

The web worker records the job and asks the queue for it in the same transaction
(:mod:`app.core.jobs`), then returns; the page polls. A failure is retried by the queue,
and only the last attempt's is recorded as the job's. Progress is written on a
connection of its own, so the export's own transaction is untouched until it commits.
The steps are :func:`app.research.services.export_package`'s, each in a transaction of its
own: the crossing of the tenant boundary is on record before anything is read, the
package is read in a transaction that writes nothing, and its records are written after
(:mod:`app.core.background` says why).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from app.auth.models import User
from app.core import jobs
from app.core.background import cancel_row, end_read, output_dir, update_row
from app.core.db import db, utcnow
from app.research.models import ExportJob, Study
from app.research.package import write_package
from app.research.services import check_exporter, record_export
from app.tenancy.scoping import Scope, restored_scope, unscoped


def exports_dir(app: Flask) -> Path:
    return output_dir(app)


#: The queue's name for the task.
TASK = "research.export"


def job_key(job_id: int) -> str:
    return f"export_job:{job_id}"


def _report(job_id: int, **values: object) -> None:
    update_row(ExportJob, job_id, **values)


def _step(app: Flask, job_id: int, table: str, rows: int) -> None:
    jobs.test_delay(app)
    _report(job_id, progress=f"{table}: {rows}")


@jobs.task(TASK)
def run_job(app: Flask, scope: Scope, job_id: int) -> None:
    with app.app_context(), restored_scope(scope):
        job = db.session.get(ExportJob, job_id)
        study = db.session.get(Study, job.study_id)
        user = db.session.get(User, job.user_id)
        name = f"helhed-study-{study.id}-{job.id}.zip"
        try:
            _report(job_id, status="running", progress="")
            check_exporter(study, user)
            with unscoped("research export", actor_id=user.id, study_id=study.id):
                db.session.commit()
                result = write_package(
                    study,
                    exports_dir(app) / name,
                    progress=lambda table, rows: _step(app, job_id, table, rows),
                )
                end_read()
                record_export(study, user, result)
                db.session.commit()
        except jobs.Cancelled:
            db.session.rollback()
            raise
        except Exception as exc:  # the page must learn that it failed, whatever the cause
            db.session.rollback()
            current_app.logger.exception("export job %s failed", job_id)
            if not jobs.last_attempt():
                _report(job_id, status="queued", progress="")
                raise  # the queue tries again
            _report(job_id, status="failed", progress=str(exc)[:200], finished_at=utcnow())
            return
        finally:
            db.session.remove()
        _report(
            job_id,
            status="done",
            progress="",
            file_name=name,
            checksum=result.checksum,
            finished_at=utcnow(),
        )


def start_job(study: Study, user: User) -> ExportJob:
    job = ExportJob(study_id=study.id, user_id=user.id)
    db.session.add(job)
    db.session.flush()
    jobs.enqueue(TASK, key=job_key(job.id), job_id=job.id)
    db.session.commit()
    return job


def cancel_job(job: ExportJob) -> bool:
    """Cancel *job* if it has not finished; the caller commits."""
    return cancel_row(ExportJob, job.id, job_key(job.id))
