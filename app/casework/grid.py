"""The status grid's page and its CSV download, under ``/<slug>/work/``.

The blueprint's prefix is ``/work`` with the fixed paths ``/grid`` and ``/grid.csv``, which
the URL map prefers to any ``/work/<name>`` route: "grid" is not a work list's name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from app.audit.services import record
from app.auth.permissions import permission_required
from app.casework.status_grid import (
    PAGE_SIZE,
    Cell,
    build,
    columns,
    csv_rows,
    parse_sort,
    parse_status,
)
from app.core import csvfile, dates
from app.core.db import db
from app.families.labels import WAVE_STATUS_LABELS, wave_key_label
from app.families.models import WAVE_STATUSES
from app.tenancy.request import TenantBlueprint, current_municipality

bp = TenantBlueprint("grid", __name__, url_prefix="/work")

#: Far beyond any municipality's families; keeps the offset a small integer.
MAX_PAGE = 100_000
#: A symbol beside each status's word, so the status never rests on colour alone.
SYMBOLS = {"upcoming": "○", "due": "◐", "overdue": "!", "missed": "×", "completed": "✓"}


def _page_number(raw: str) -> int:
    if raw.isascii() and raw.isdigit() and len(raw) <= 9 and 1 <= int(raw) <= MAX_PAGE:
        return int(raw)
    abort(404)


@bp.route("/grid")
@permission_required("families.grid")
def page() -> str:
    status = parse_status(request.args.get("status"))
    sort = parse_sort(request.args.get("sort"))
    number = _page_number(request.args.get("page", "1"))
    grid = build(current_municipality(), dates.today(), status=status, sort=sort, page=number)
    return render_template(
        "casework/grid.html",
        grid=grid,
        status=status,
        sort=sort,
        page=number,
        pages=max((grid.total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        statuses=WAVE_STATUSES,
        symbols=SYMBOLS,
        missing_text=missing_text,
    )


def missing_text(cell: Cell) -> str:
    if cell.status == "completed" or not cell.missing:
        return ""
    return ngettext("%(num)s form missing", "%(num)s forms missing", cell.missing)


def cell_text(cell: Cell | None) -> str:
    """A cell as the CSV writes it: the status's word, then what is missing."""
    if cell is None:
        return ""
    word = str(WAVE_STATUS_LABELS[cell.status])
    missing = missing_text(cell)
    return f"{word}, {missing}" if missing else word


@bp.route("/grid.csv")
@permission_required("families.grid")
@csvfile.serves_csv
def csv() -> Response:
    municipality = current_municipality()
    status = parse_status(request.args.get("status"))
    sort = parse_sort(request.args.get("sort"))
    keys = columns(municipality)
    rows = list(csv_rows(municipality, dates.today(), status=status, sort=sort))
    # The labels are identifying: every family in the file is a family read, audited as
    # the family page's reads are.
    for row in rows:
        record(
            "family.viewed",
            municipality_id=municipality.id,
            object_type="family",
            object_id=row.family_id,
            details={"via": "grid.csv"},
        )
    db.session.commit()

    def lines() -> Iterator[list[Any]]:
        yield [_("Family"), _("Enrolled"), *(wave_key_label(key) for key in keys)]
        for row in rows:
            yield [
                row.label,
                row.enrolment_date.isoformat(),
                *(cell_text(row.cells.get(key)) for key in keys),
            ]

    return csvfile.response(lines(), f"helhed-{municipality.slug}-status.csv")
