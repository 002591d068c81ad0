"""``/tilgaengelighed``: the accessibility statement, in Danish and English.

Danish public-sector sites must publish one (webtilgængelighedsloven): how far the site
meets WCAG 2.1 AA, what does not yet, how to tell someone, and when it was last checked.
The statement is one page for the installation; it names the contact of the municipality
the reader works for (its file's ``[accessibility] contact``), or of the one whose address
the reader came from (a parent's link), and no other municipality's.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from app.auth.services import own_memberships
from app.core.db import db
from app.tenancy.models import Municipality

bp = Blueprint("accessibility", __name__)

#: When the statement was last checked against the pages: every browser journey runs axe
#: (WCAG 2.1 A and AA rules) on each page it opens, in every CI run; this is the date the
#: statement's list of limitations was last reviewed against those results.
LAST_CHECKED = date(2026, 12, 3)
#: When the statement was first made.
PREPARED = date(2026, 12, 3)


def _readers_municipalities() -> list[Municipality]:
    slug = request.args.get("kommune", "")[:40]
    if slug:
        found = db.session.scalar(select(Municipality).filter_by(slug=slug))
        return [found] if found is not None else []
    if not current_user.is_authenticated:
        return []
    return [m.municipality for m in own_memberships(current_user)]


@bp.route("/tilgaengelighed")
def statement() -> str:
    contacts = [
        (m, (m.settings.get("accessibility") or {}).get("contact"))
        for m in _readers_municipalities()
    ]
    return render_template(
        "accessibility/statement.html",
        contacts=contacts,
        last_checked=LAST_CHECKED,
        prepared=PREPARED,
    )
