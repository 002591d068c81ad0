"""Building a package in a background thread, reporting progress to the database.

The web worker only starts the job and returns; the page polls. Progress is written on a
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
from app.core.background import end_read, launch, output_dir, update_row
from app.core.db import db, utcnow
from app.research.models import ExportJob, Study
from app.research.package import write_package
from app.research.services import check_exporter, record_export
from app.tenancy.scoping import Scope, restored_scope, unscoped


def exports_dir(app: Flask) -> Path:
    return output_dir(app)


def _report(job_id: int, **values: object) -> None:
    update_row(ExportJob, job_id, **values)


def run_job(app: Flask, job_id: int, scope: Scope) -> None:
    with app.app_context(), restored_scope(scope):
        job = db.session.get(ExportJob, job_id)
        study = db.session.get(Study, job.study_id)
        user = db.session.get(User, job.user_id)
        name = f"helhed-study-{study.id}-{job.id}.zip"
        _report(job_id, status="running", progress="")
        try:
            check_exporter(study, user)
            with unscoped("research export", actor_id=user.id, study_id=study.id):
                db.session.commit()
                result = write_package(
                    study,
                    exports_dir(app) / name,
                    progress=lambda table, rows: _report(job_id, progress=f"{table}: {rows}"),
                )
                end_read()
                record_export(study, user, result)
                db.session.commit()
        except Exception as exc:  # the page must learn that it failed, whatever the cause
            db.session.rollback()
            _report(job_id, status="failed", progress=str(exc)[:200], finished_at=utcnow())
            current_app.logger.exception("export job %s failed", job_id)
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
    db.session.commit()
    launch(run_job, job.id)
    return job
