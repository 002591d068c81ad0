"""The admin's pages for local questions from a file (``forms.import``): upload an XLSForm
or a REDCap dictionary, see every problem by sheet, row and column or a preview of the
form as staff will see it, and publish it as a new version on confirmation.

Nothing is kept between the pages: the preview carries the converted definition in a
signed token, and publishing checks it again, so a version published meanwhile or a
changed folder is noticed.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from app.auth.permissions import permission_required, require
from app.collection.models import FormVersion
from app.core import dates
from app.core.db import db
from app.core.forms import OneTimeForm
from app.core.language import current_language
from app.core.limits import takes_files
from app.definitions.compile import build_form_class
from app.definitions.field_checks import NAME_RE
from app.definitions.fields.choices import CheckboxesField
from app.definitions.model import LEVELS, WAVES
from app.families.labels import WAVE_KIND_LABELS
from app.formimport.build import Converted
from app.formimport.reading import UnreadableFile
from app.formimport.services import (
    SUFFIXES,
    Checked,
    check_converted,
    check_upload,
    publish,
    yaml_bundle,
)
from app.tenancy.once import lands_on, repeat_of
from app.tenancy.request import TenantBlueprint, current_municipality, get_or_404

bp = TenantBlueprint("localforms", __name__, url_prefix="/admin/local-forms")

#: A form definition is small; a workbook of a few hundred questions is well under this.
MAX_FILE_BYTES = 2 * 1024 * 1024
PUBLISH_PREFIX = "publish"
#: How long a preview may be published from.
TOKEN_MAX_AGE = 2 * 60 * 60
LEVEL_LABELS = dict(
    zip(LEVELS, (_l("The family"), _l("Each adult"), _l("Each child")), strict=True)
)
SHEET_LABELS = {"survey": "survey", "choices": "choices", "settings": "settings", "CSV": "CSV"}


class UploadForm(FlaskForm):
    file = FileField(
        _l("File (XLSForm .xlsx or REDCap data dictionary .csv)"),
        validators=[FileRequired(_l("Choose a file."))],
    )
    name = StringField(
        _l("The form's name"),
        # A file sent in place of the name is no name (and no length can be measured).
        filters=[lambda value: value if isinstance(value, str) or value is None else ""],
        validators=[
            DataRequired(_l("Give the form a name.")),
            Length(max=40),
            Regexp(NAME_RE.pattern, message=_l("Use lower-case letters, digits and _ only.")),
        ],
    )
    level = SelectField(
        _l("Who the form is about"),
        choices=[SelectChoice(k, v) for k, v in LEVEL_LABELS.items()],
        default=LEVELS[1],
    )
    waves = CheckboxesField(
        _l("When it is asked"),
        choices=[SelectChoice(w, WAVE_KIND_LABELS[w]) for w in WAVES],
        default=list(WAVES[:2]),
        validators=[DataRequired(_l("Choose at least one wave."))],
    )


class PublishForm(OneTimeForm):
    """Sent from the preview, beside the previewed questions: its fields' names carry a
    prefix with a hyphen, which no question's name can have."""

    token = HiddenField()
    confirm = BooleanField(
        _l("I have checked the preview. Publishing cannot be undone."),
        validators=[DataRequired(_l("Confirm that you have checked the preview."))],
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="helhed.formimport")


def _token(slug: str, checked: Checked) -> str:
    converted = checked.converted
    return _serializer().dumps(
        {
            "slug": slug,
            "source": converted.source,
            "definition": converted.definition,
            "codelists": converted.codelists,
            "same_labels": converted.same_labels,
        }
    )


def _from_token(token: str | None, slug: str) -> Converted | None:
    try:
        data: dict[str, Any] = _serializer().loads(token or "", max_age=TOKEN_MAX_AGE)
    except BadSignature:
        return None
    if data.get("slug") != slug:
        return None
    converted = Converted(data["source"], data["definition"], data["codelists"])
    converted.same_labels = bool(data.get("same_labels"))
    return converted


def _local_versions(slug: str) -> list[FormVersion]:
    """The municipality's local form versions."""
    return list(
        db.session.scalars(
            select(FormVersion)
            .where(FormVersion.local_to(slug))
            .order_by(FormVersion.form_id, FormVersion.version)
        )
    )


def _upload_page(form: UploadForm, problems: list[Any] | None = None) -> str:
    municipality = current_municipality()
    return render_template(
        "formimport/upload.html",
        form=form,
        problems=problems or [],
        sheet_labels=SHEET_LABELS,
        versions=_local_versions(municipality.slug),
    )


def _preview_page(checked: Checked, publish_form: PublishForm) -> str:
    form = checked.form
    assert form is not None
    language = current_language()
    compiled = build_form_class(form, language, dates.today())(meta={"csrf": False}, formdata=None)
    return render_template(
        "formimport/preview.html",
        definition=form,
        compiled=compiled,
        language=language,
        publish_form=publish_form,
        same_labels=checked.converted.same_labels,
        level_label=LEVEL_LABELS[form.level],
        wave_labels=[WAVE_KIND_LABELS[w] for w in form.waves],
    )


@bp.route("/", methods=["GET", "POST"])
@permission_required("forms.import")
@takes_files(MAX_FILE_BYTES)
def upload() -> str:
    form = UploadForm()
    if not form.validate_on_submit():
        return _upload_page(form)
    municipality = current_municipality()
    filename = (form.file.data.filename or "").lower()
    source = next((s for s, suffix in SUFFIXES.items() if filename.endswith(suffix)), None)
    if source is None:
        form.file.errors = [_("Choose an .xlsx file (XLSForm) or a .csv file (REDCap).")]
        return _upload_page(form)
    try:
        checked = check_upload(
            municipality,
            form.file.data.read(),
            source,
            form.name.data,
            form.level.data,
            form.waves.data,
        )
    except UnreadableFile as exc:
        form.file.errors = [str(exc)]
        return _upload_page(form)
    if not checked.ok:
        return _upload_page(form, checked.problems)
    publish_form = PublishForm(formdata=None, prefix=PUBLISH_PREFIX)
    publish_form.token.data = _token(municipality.slug, checked)
    return _preview_page(checked, publish_form)


@bp.route("/publish", methods=["POST"])
@permission_required("forms.import")
def publish_version() -> str | Response:
    municipality = current_municipality()
    publish_form = PublishForm(prefix=PUBLISH_PREFIX)
    converted = _from_token(publish_form.token.data, municipality.slug)
    if converted is None:
        flash(_("The preview is too old or was changed. Upload the file again."), "error")
        return redirect(url_for("localforms.upload"))
    checked = check_converted(converted, municipality.slug)
    if not checked.ok:
        flash(_("The form no longer passes the check. Upload the file again."), "error")
        return redirect(url_for("localforms.upload"))
    if not publish_form.validate_on_submit():
        return _preview_page(checked, publish_form)
    if (repeat := repeat_of(publish_form, url_for("localforms.upload"))) is not None:
        return repeat
    version, created = publish(municipality, checked, actor_id=current_user.id)
    if created:
        flash(
            _(
                "%(title)s is published as version %(version)s. "
                "Switch it on in the settings to ask it.",
                title=version.form.title.get(current_language()) or version.form_id,
                version=version.version,
            ),
            "success",
        )
    else:
        flash(
            _("This form was published already as version %(version)s.", version=version.version),
            "info",
        )
    target = lands_on(url_for("localforms.upload"))
    db.session.commit()
    return redirect(target)


@bp.route("/<int:version_id>.zip")
def download(version_id: int) -> Response:
    version = get_or_404(FormVersion, version_id)
    # Another municipality's form is not there (404), as its rows are not.
    if not version.is_local_to(current_municipality().slug):
        abort(404)
    require("forms.import")
    slug, name = version.form_id.split(".", 1)
    return Response(
        yaml_bundle(version),
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{slug}-{name}-v{version.version}.zip"'
        },
    )
