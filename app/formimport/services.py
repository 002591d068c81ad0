"""Converting an uploaded file, checking it as a file in ``forms/local`` is checked, and
publishing it as a new immutable version of the municipality's local form.

The published snapshot (``form_version``) is what counts: the server's package folder may
be read-only, so no file is written. The definition can be downloaded as YAML, with its
code lists, to be kept in version control (:func:`yaml_bundle`).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from flask import current_app
from sqlalchemy import func, select

from app.audit.services import record
from app.collection.models import FormVersion
from app.core.db import db
from app.definitions.loader import (
    Catalogue,
    DefinitionError,
    check_local_definition,
    load_catalogue,
)
from app.definitions.model import FormDef, questions_hash
from app.formimport.build import Converted
from app.formimport.problems import ImportProblem, checker_message
from app.formimport.reading import read_csv, read_workbook
from app.formimport.redcap import convert_redcap
from app.formimport.xlsform import convert_xlsform
from app.tenancy.models import Municipality

#: Which problem codes of the checker point at which attribute of the question's row.
_ATTRIBUTE_OF = {
    "F008": "label",
    "F010": "type",
    "F012": "type",
    "F013": "type",
    "F014": "show_if",
    "F015": "show_if",
    "F027": "show_if",
    "F018": "min",
}
#: The file suffix each source is read from.
SUFFIXES = {"xlsform": ".xlsx", "redcap": ".csv"}


@dataclass
class Checked:
    converted: Converted
    version: int
    form: FormDef | None = None
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.form is not None and not self.problems


def forms_catalogue() -> Catalogue:
    """The checked folder: its core variables and code lists are what a local form is
    checked against."""
    return load_catalogue(Path(current_app.config["FORMS_DIR"]))


def next_version(form_id: str, catalogue: Catalogue) -> int:
    """One more than any version published or in the folder: versions never change."""
    stored = db.session.scalar(select(func.max(FormVersion.version)).filter_by(form_id=form_id))
    in_files = [v for f, v in catalogue.forms if f == form_id]
    return max([stored or 0, *in_files]) + 1


def convert(
    content: bytes, source: str, slug: str, name: str, level: str, waves: list[str]
) -> Converted:
    """Read and convert *content*; raises :class:`~app.formimport.reading.UnreadableFile`."""
    if source == "xlsform":
        return convert_xlsform(read_workbook(content), slug, name, level, waves)
    header, rows = read_csv(content)
    return convert_redcap(header, rows, slug, name, level, waves)


def check_upload(
    municipality: Municipality,
    content: bytes,
    source: str,
    name: str,
    level: str,
    waves: list[str],
) -> Checked:
    """Convert and check a file for *municipality*; writes nothing."""
    converted = convert(content, source, municipality.slug, name, level, waves)
    return check_converted(converted, municipality.slug)


def check_converted(converted: Converted, slug: str) -> Checked:
    catalogue = forms_catalogue()
    version = next_version(
        f"{slug}.{converted.definition.get('form', '').split('.', 1)[-1]}", catalogue
    )
    checked = Checked(converted, version, problems=list(converted.problems))
    if checked.problems:
        return checked
    raw = {**converted.definition, "version": version}
    try:
        checked.form = check_local_definition(
            raw, slug, catalogue, converted.codelists, Path(current_app.config["FORMS_DIR"])
        )
    except DefinitionError as exc:
        checked.problems = [_placed(converted, p.code, p.where) for p in exc.problems]
    return checked


def _placed(converted: Converted, code: str, where: str) -> ImportProblem:
    """A checker's problem at the row and column of the file it came from."""
    place = converted.code_places.get(where)
    name = where.rsplit(" / ", 1)[-1]
    if place is None and " / " in where:
        place = converted.places.get(name)
    elif place is None:
        # A whole code list (its title, its codes): the row of its first choice.
        place = next((p for k, p in converted.code_places.items() if k.startswith(where)), None)
    if place is None:
        sheet = "survey" if converted.source == "xlsform" else "CSV"
        return ImportProblem(code, sheet, 1, "", checker_message(code, name))
    column = place.column(_ATTRIBUTE_OF.get(code, "name"))
    return ImportProblem(code, place.sheet, place.row, column, checker_message(code, name))


def publish(
    municipality: Municipality, checked: Checked, *, actor_id: int | None
) -> tuple[FormVersion, bool]:
    """Store the checked form as its new version; (the version, whether it is new).

    A form whose newest version has the same questions is not published again: sending
    the same file twice makes one version. Audited as ``forms.imported``.
    """
    form = checked.form
    if form is None:
        raise ValueError("only a checked form is published")
    newest = db.session.scalar(
        select(FormVersion)
        .filter_by(form_id=form.form_id)
        .order_by(FormVersion.version.desc())
        .limit(1)
    )
    # The version number is part of the hash: compare as if it were the newest's.
    if newest is not None and newest.content_hash == questions_hash(
        {**form.data, "version": newest.version}
    ):
        return newest, False
    version = FormVersion(
        form_id=form.form_id,
        version=form.version,
        level=form.level,
        content_hash=form.content_hash,
        definition=form.data,
    )
    db.session.add(version)
    db.session.flush()
    record(
        "forms.imported",
        municipality_id=municipality.id,
        object_type="form_version",
        object_id=version.id,
        details={
            "form": form.form_id,
            "version": form.version,
            "source": checked.converted.source,
            "questions": len(form.fields),
        },
    )
    return version, True


def raw_definition(definition: dict[str, Any]) -> dict[str, Any]:
    """A snapshot as the file that defines it: its code lists stay in their own files."""
    return {k: v for k, v in definition.items() if k != "codelists"}


def yaml_bundle(version: FormVersion) -> bytes:
    """A zip of the version's YAML, laid out as in ``forms/``: the form and its code lists.

    Unpacked into a checkout, ``forms check`` reads it as the snapshot it came from.
    """
    slug, name = version.form_id.split(".", 1)
    files = {
        f"forms/local/{slug}/{name}/v{version.version}.yaml": raw_definition(version.definition),
        **{
            f"forms/codelists/{list_name}.yaml": data
            for list_name, data in version.definition.get("codelists", {}).items()
        },
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
            archive.writestr(path, text)
    return buffer.getvalue()
