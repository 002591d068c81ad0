"""The data-quality checks in the research package: which warnings were confirmed, and
what every check says.

Each answer table gets one column at its end, ``confirmed_warnings``: per row (a family or
person in a wave), the warnings a caseworker confirmed on the submissions merged into it,
as ``form_id.check_id`` separated by ``;`` (empty: none confirmed). Appended last, so no
existing column moves. ``codebook_checks.csv`` lists every check of every published version
in the package: what it tests, how severe it is and its message, so a researcher can read a
confirmed warning and knows which impossible combinations an error check kept out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from app.collection.models import FormVersion
from app.definitions.loader import CORE_FORMS
from app.tenancy.models import Municipality

COLUMN = "confirmed_warnings"

SCHEMA_FIELD = {
    "name": COLUMN,
    "type": "string",
    "description": "Warnings confirmed by the caseworker, form_id.check_id; … "
    "(see codebook_checks.csv) / Bekræftede advarsler",
}

CODEBOOK_FILE = "codebook_checks.csv"

CODEBOOK_FIELDS = [
    {"name": "form", "type": "string", "description": "Form id"},
    {"name": "check", "type": "string", "description": "Check id, as in confirmed_warnings"},
    {"name": "severity", "type": "string", "description": "error (refused) or warning"},
    {"name": "fields", "type": "string", "description": "The fields it is about"},
    {"name": "when", "type": "string", "description": "The condition; $names are context"},
    {"name": "message_da", "type": "string", "description": "Message in Danish"},
    {"name": "message_en", "type": "string", "description": "Message in English"},
    {"name": "versions", "type": "string", "description": "form:version that have it"},
]


def confirmed_cell(parts: Iterable[Any]) -> str:
    """The column's value for the submissions (rows with form_id and confirmed_checks)."""
    return ";".join(
        f"{part.form_id}.{check_id}" for part in parts for check_id in part.confirmed_checks or []
    )


def codebook_rows(
    versions: Iterable[FormVersion], municipalities: Iterable[Municipality]
) -> Iterator[list[Any]]:
    """One row per check of the core forms and the municipalities' local forms."""
    forms = set(CORE_FORMS)
    for municipality in municipalities:
        forms.update(municipality.settings.get("local_forms", []))
    rows: dict[tuple[str, str], list[Any]] = {}
    chosen = (v for v in versions if v.form_id in forms)
    for version in sorted(chosen, key=lambda v: (v.form_id, v.version)):
        for check in version.form.checks:
            row = rows.get((version.form_id, check.id))
            if row is None:
                row = rows[(version.form_id, check.id)] = [
                    version.form_id,
                    check.id,
                    check.severity,
                    ", ".join(check.fields),
                    check.when,
                    check.message.get("da", ""),
                    check.message.get("en", ""),
                    "",
                ]
            row[-1] = ", ".join(filter(None, [row[-1], f"{version.form_id}:{version.version}"]))
    yield from rows.values()
