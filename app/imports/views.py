"""The import pages of a municipality's admin (``families.import``): upload a file, see
what it would create and every problem, confirm, and follow the job to its end."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select, update

from app.audit.services import record
from app.auth.permissions import permission_required, require
from app.core import dates, jobs
from app.core.db import db, utcnow
from app.core.forms import OneTimeForm
from app.core.language import current_language
from app.core.limits import takes_files
from app.imports.jobs import TASK, encode, job_key
from app.imports.layout import SHEET_LABELS, UnreadableFile, intake_forms, write_template
from app.imports.models import FamilyImport
from app.imports.services import check_content
from app.tenancy.once import lands_on, repeat_of
from app.tenancy.request import TenantBlueprint, current_municipality, get_or_404

bp = TenantBlueprint("imports", __name__, url_prefix="/admin/import")

#: The largest file taken: a workbook of 10,000 rows is about 1 MB.
MAX_FILE_BYTES = 20 * 1024 * 1024
#: An upload never confirmed is emptied after this long: its names should not linger.
KEEP_UNCONFIRMED = timedelta(hours=24)
#: New families listed by reference on the preview; the rest are counted.
PREVIEW_FAMILIES = 200
FORMATS = {".xlsx": "xlsx", ".csv": "csv"}

STATUS_LABELS = {
    "checked": _l("Checked, waiting for confirmation"),
    "queued": _l("Waiting for its turn"),
    "running": _l("Importing"),
    "done": _l("Imported"),
    "failed": _l("Not imported"),
}


class UploadForm(OneTimeForm):
    file = FileField(_l("File (.xlsx or .csv)"), validators=[FileRequired(_l("Choose a file."))])


@bp.route("/", methods=["GET", "POST"])
@permission_required("families.import")
@takes_files(MAX_FILE_BYTES)
def upload() -> str | Response:
    form = UploadForm()
    municipality = current_municipality()
    if form.validate_on_submit():
        name = (form.file.data.filename or "").lower()
        kind = next((k for suffix, k in FORMATS.items() if name.endswith(suffix)), None)
        if kind is None:
            form.file.errors = [_("Choose an .xlsx or a .csv file.")]
        else:
            content = form.file.data.read()
            try:
                checked = check_content(municipality, content, kind, dates.today())
            except UnreadableFile as exc:
                form.file.errors = [str(exc)]
            else:
                if (repeat := repeat_of(form, url_for("imports.upload"))) is not None:
                    return repeat
                _forget_unconfirmed()
                row = FamilyImport(
                    municipality_id=municipality.id,
                    user_id=current_user.id,
                    file_format=kind,
                    content=encode(content) if checked.ok and checked.families else None,
                    status="checked" if checked.ok else "failed",
                    language=current_language(),
                    rows_total=checked.rows,
                    problems=[p.as_dict() for p in checked.problems],
                    summary={
                        "counts": checked.counts(),
                        "families": [
                            {
                                "ref": f.ref,
                                "enrolment_date": f.enrolment_date.isoformat(),
                                "adults": sum(m.role == "adult" for m in f.members),
                                "children": sum(m.role == "child" for m in f.members),
                            }
                            for f in checked.families[:PREVIEW_FAMILIES]
                        ],
                        "present": checked.present[:PREVIEW_FAMILIES],
                    },
                )
                db.session.add(row)
                db.session.flush()
                record(
                    "families.import_checked",
                    municipality_id=municipality.id,
                    object_type="family_import",
                    object_id=row.id,
                    details={"rows": checked.rows, "problems": len(checked.problems)},
                )
                target = lands_on(url_for("imports.status", import_id=row.id))
                db.session.commit()
                return redirect(target)
    recent = db.session.scalars(
        select(FamilyImport).order_by(FamilyImport.id.desc()).limit(10)
    ).all()
    return render_template("imports/upload.html", form=form, recent=recent, labels=STATUS_LABELS)


def _forget_unconfirmed() -> None:
    db.session.execute(
        update(FamilyImport)
        .where(
            FamilyImport.status == "checked",
            FamilyImport.created_at < utcnow() - KEEP_UNCONFIRMED,
        )
        .values(status="failed", content=None, finished_at=utcnow())
    )


@bp.route("/template.xlsx")
@permission_required("families.import")
def template() -> Response:
    municipality = current_municipality()
    content = write_template(intake_forms(municipality), dates.today())
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="helhed-import-{municipality.slug}.xlsx"'
        },
    )


@bp.route("/<int:import_id>")
def status(import_id: int) -> str:
    row = get_or_404(FamilyImport, import_id)
    require("families.import")
    families = [
        {**f, "enrolment_date": date.fromisoformat(f["enrolment_date"])}
        for f in row.summary.get("families", [])
    ]
    return render_template(
        "imports/status.html",
        row=row,
        families=families,
        labels=STATUS_LABELS,
        sheet_labels=SHEET_LABELS,
        form=FlaskForm(),
        shown=PREVIEW_FAMILIES,
    )


@bp.route("/<int:import_id>/confirm", methods=["POST"])
def confirm(import_id: int) -> Response:
    row = get_or_404(FamilyImport, import_id)
    require("families.import")
    if not FlaskForm().validate_on_submit():
        abort(400)
    # Conditional on the row still waiting: of two sends (a double click) only one queues
    # the job; the other finds it queued and goes to the same page.
    taken = db.session.execute(
        update(FamilyImport)
        .where(
            FamilyImport.id == row.id,
            FamilyImport.status == "checked",
            # A file with nothing new is not kept: there is nothing to confirm.
            FamilyImport.content.is_not(None),
        )
        .values(status="queued")
    ).rowcount
    target = url_for("imports.status", import_id=row.id)
    if not taken:
        db.session.rollback()
        flash(_("This import was already confirmed, so it runs once."), "info")
        return redirect(target)
    record(
        "families.import_confirmed",
        municipality_id=row.municipality_id,
        object_type="family_import",
        object_id=row.id,
        details={"rows": row.rows_total},
    )
    jobs.enqueue(TASK, key=job_key(row.id), import_id=row.id)
    db.session.commit()
    return redirect(target)
