"""A confirmed import, written by a job worker (a file of 10,000 rows outlives a request).

The file is checked once more (another import may have brought the same families in since
the preview), then written in one transaction with the import row's outcome, so "done"
and the families appear together. Progress goes through its own connection
(:func:`app.core.background.update_row`) on PostgreSQL; SQLite has one writer, which is
the import's own transaction, so there the page says only that it is running.
"""

from __future__ import annotations

import base64
import logging

from flask import Flask
from flask_babel import force_locale

from app.core import jobs
from app.core.background import update_row
from app.core.dates import today
from app.core.db import db, utcnow
from app.imports.models import FamilyImport
from app.imports.services import ImportFailed, check_content, write_checked
from app.tenancy.models import Municipality
from app.tenancy.scoping import Scope, restored_scope

log = logging.getLogger("helhed.imports")

#: The queue's name for the task.
TASK = "imports.run"


def job_key(import_id: int) -> str:
    return f"family_import:{import_id}"


def encode(content: bytes) -> str:
    """A file as the text the encrypted column keeps."""
    return base64.b64encode(content).decode("ascii")


def decode(stored: str) -> bytes:
    return base64.b64decode(stored.encode("ascii"))


def _concurrent_progress() -> bool:
    return db.engine.dialect.name == "postgresql"


@jobs.task(TASK)
def run_import(app: Flask, scope: Scope, import_id: int) -> None:
    with app.app_context(), restored_scope(scope):
        row = db.session.get(FamilyImport, import_id)
        if row is None or row.status not in ("queued", "running") or row.content is None:
            return
        municipality = db.session.get_one(Municipality, row.municipality_id)
        content, file_format, actor_id = decode(row.content), row.file_format, row.user_id

        def progress(rows_done: int) -> None:
            if _concurrent_progress():
                update_row(FamilyImport, import_id, rows_done=rows_done)

        try:
            if _concurrent_progress():
                update_row(FamilyImport, import_id, status="running")
            with force_locale(row.language):
                day = today()
                checked = check_content(municipality, content, file_format, day)
                counts = write_checked(
                    municipality,
                    checked,
                    actor_id=actor_id,
                    today=day,
                    file_format=file_format,
                    progress=progress,
                )
            row.status = "done"
            row.rows_done = row.rows_total
            row.summary = {**row.summary, "counts": counts}
            row.content = None  # the names and CPR numbers are in their own rows now
            row.finished_at = utcnow()
            db.session.commit()
        except ImportFailed as exc:
            db.session.rollback()
            update_row(
                FamilyImport,
                import_id,
                status="failed",
                problems=[p.as_dict() for p in exc.problems],
                content=None,
                finished_at=utcnow(),
            )
        except Exception as exc:
            db.session.rollback()
            # The class only: a message (a key that exists already) may quote a cell.
            log.error("family import %s failed: %s", import_id, type(exc).__name__)
            if not jobs.last_attempt():
                update_row(FamilyImport, import_id, status="queued", rows_done=0)
                raise  # the queue tries again
            update_row(FamilyImport, import_id, status="failed", content=None, finished_at=utcnow())
        finally:
            db.session.remove()
