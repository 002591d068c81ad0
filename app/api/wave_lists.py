"""``GET /api/v1/<slug>/waves?status=…``: the work lists' waves, with what they still miss.

The rows are the work lists' (:mod:`app.casework.worklists`), for the token's member, so
the API and the pages cannot disagree; the routes join the API's blueprint.
"""

from __future__ import annotations

from flask import Response, g, request
from sqlalchemy import func, select

from app.api.views import _int_arg, _invalid, _json, bp
from app.auth.permissions import require
from app.casework.missing import missing_forms
from app.casework.worklists import API_STATUSES, waves_with_status
from app.core import dates
from app.core.db import db


@bp.get("/waves")
def work_waves() -> Response:
    require("families.records")
    page = _int_arg("page", 1, 1, 100_000)
    per_page = _int_arg("per_page", 50, 1, 200)
    status = request.args.get("status")
    if status not in API_STATUSES:
        raise _invalid("status", "Give one of " + ", ".join(API_STATUSES) + ".")
    today = dates.today()
    statement = waves_with_status(status, today)
    total = (
        db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
        or 0
    )
    rows = [
        (wave, family)
        for wave, family in db.session.execute(
            statement.limit(per_page).offset((page - 1) * per_page)
        )
    ]
    missing = missing_forms(g.municipality, rows)
    return _json(
        {
            "items": [
                {
                    "family_id": family.id,
                    "wave_id": wave.id,
                    "key": wave.key,
                    "due_date": wave.due_date.isoformat(),
                    "window_start": wave.window_start.isoformat(),
                    "window_end": wave.window_end.isoformat(),
                    "status": wave.status(today),
                    "missing_forms": [
                        {
                            "form_id": m.version.form_id,
                            "member_id": m.member.id if m.member else None,
                        }
                        for m in missing[wave.id]
                    ],
                    "missed_reason": wave.missed_reason,
                }
                for wave, family in rows
            ],
            "page": page,
            "per_page": per_page,
            "total": total,
        }
    )
