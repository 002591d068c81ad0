"""The audit trail for the people answerable for it: a municipality's admin sees the
municipality's own events; the operator sees the platform's (sign-ins, exports across
municipalities, crossings of the tenant boundary)."""

from __future__ import annotations

from datetime import date

from flask import Response, render_template, request

from app.admin.audit_events import EVENTS
from app.admin.audit_sentences import OBJECT_TYPE_TITLES
from app.admin.audit_trail import AuditFilter, csv_rows, events, lines
from app.audit.services import record
from app.auth.permissions import permission_required
from app.core import csvfile, dates
from app.core.db import db
from app.tenancy.request import TenantBlueprint, current_municipality

bp = TenantBlueprint("audit", __name__, url_prefix="/admin/audit")

PER_PAGE = 100
#: The query parameters of the filter form, which the page's links carry on.
FILTER_NAMES = ("action", "actor", "object_type", "object_id", "since", "until")


def _date(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _criteria() -> tuple[AuditFilter, list[str]]:
    problems = [
        name
        for name in ("since", "until")
        if request.args.get(name, "").strip() and _date(name) is None
    ]
    criteria = AuditFilter(
        action=request.args.get("action", "").strip()[:80],
        actor=request.args.get("actor", "").strip()[:254],
        object_type=request.args.get("object_type", "").strip()[:60],
        object_id=request.args.get("object_id", "").strip()[:60],
        since=_date("since"),
        until=_date("until"),
    )
    return criteria, problems


def _page() -> int:
    raw = request.args.get("page", "1")
    ok = raw.isascii() and raw.isdigit() and len(raw) <= 9  # "²" is a digit to isdigit()
    return max(1, min(int(raw), 10_000)) if ok else 1


def listing(template_endpoint: str, csv_endpoint: str) -> str:
    criteria, problems = _criteria()
    page = _page()
    rows = events(criteria, page=page, per_page=PER_PAGE)
    return render_template(
        "audit/log.html",
        rows=lines(rows[:PER_PAGE]),
        object_titles=[(k, str(v)) for k, v in OBJECT_TYPE_TITLES.items()],
        event_titles=sorted(((a, str(t.title)) for a, t in EVENTS.items()), key=lambda p: p[1]),
        page=page,
        has_next=len(rows) > PER_PAGE,
        criteria=criteria,
        problems=problems,
        endpoint=template_endpoint,
        csv_endpoint=csv_endpoint,
        # The filter only: any other parameter would reach url_for() as its own argument
        # in the page's links (_method=DELETE failed to build, a 500).
        args={k: v for k, v in request.args.items() if k in FILTER_NAMES},
    )


def download_csv(name: str, municipality_id: int | None) -> Response:
    criteria, _problems = _criteria()
    # Reading the trail is itself recorded, with the filter used.
    record(
        "audit.exported",
        municipality_id=municipality_id,
        object_type="audit",
        details={k: v for k, v in request.args.items() if v},
    )
    db.session.commit()
    return csvfile.response(csv_rows(criteria), name)


@bp.route("/")
@permission_required("audit.read")
def log() -> str:
    return listing("audit.log", "audit.download")


@bp.route("/audit.csv")
@permission_required("audit.read")
@csvfile.serves_csv
def download() -> Response:
    municipality = current_municipality()
    return download_csv(
        f"audit-{municipality.slug}-{dates.today().isoformat()}.csv", municipality.id
    )
