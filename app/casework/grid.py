"""The status grid's page and its CSV download, under ``/<slug>/work/``.

The blueprint's prefix is ``/work`` with the fixed paths ``/grid`` and ``/grid.csv``, which
the URL map prefers to any ``/work/<name>`` route: "grid" is not a work list's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from app.audit.services import record_each
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
    # Each cell's link and words made once here: 350 cells through url_for and gettext in
    # the template cost more than the page's queries.
    words = {code: str(WAVE_STATUS_LABELS[code]) for code in WAVE_STATUSES}
    missing: dict[int, str] = {}
    rows = []
    for row in grid.rows:
        href = url_for("families.detail", family_id=row.family_id)
        cells = []
        for key in grid.columns:
            cell = row.cells.get(key)
            if cell is None:
                cells.append(None)
                continue
            if cell.missing not in missing:
                missing[cell.missing] = missing_text(cell.missing)
            text = "" if cell.status == "completed" else missing[cell.missing]
            cells.append((cell.status, f"{href}#wave-{cell.wave_id}", words[cell.status], text))
        rows.append((row, href, cells))
    return render_template(
        "casework/grid.html",
        grid=grid,
        rows=rows,
        status=status,
        sort=sort,
        page=number,
        pages=max((grid.total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        statuses=WAVE_STATUSES,
        symbols=SYMBOLS,
    )


def missing_text(count: int) -> str:
    if not count:
        return ""
    return ngettext("%(num)s form missing", "%(num)s forms missing", count)


def cell_texts() -> Callable[[Cell | None], str]:
    """A cell as the CSV writes it: the status's word, then what is missing; each text
    translated once per download, not once per cell."""
    words = {code: str(WAVE_STATUS_LABELS[code]) for code in WAVE_STATUSES}
    missing: dict[int, str] = {}

    def text(cell: Cell | None) -> str:
        if cell is None:
            return ""
        if cell.status == "completed" or not cell.missing:
            return words[cell.status]
        if cell.missing not in missing:
            missing[cell.missing] = missing_text(cell.missing)
        return f"{words[cell.status]}, {missing[cell.missing]}"

    return text


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
    record_each(
        "family.viewed",
        municipality_id=municipality.id,
        object_type="family",
        object_ids=[row.family_id for row in rows],
        details={"via": "grid.csv"},
    )
    db.session.commit()

    cell_text = cell_texts()

    def lines() -> Iterator[list[Any]]:
        yield [_("Family"), _("Enrolled"), *(wave_key_label(key) for key in keys)]
        for row in rows:
            yield [
                row.label,
                row.enrolment_date.isoformat(),
                *(cell_text(row.cells.get(key)) for key in keys),
            ]

    return csvfile.response(lines(), f"helhed-{municipality.slug}-status.csv")
