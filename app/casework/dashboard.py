"""The staff dashboard's figures: aggregate queries over the families the member may see.

Everything is counted and limited in the database, so the page costs the same at ten
families as at ten thousand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select, true

from app.collection.models import Submission
from app.core.db import db
from app.families.access import sees_all_families, visible_families
from app.families.models import Family, Wave

LIST_LIMIT = 20


@dataclass
class Dashboard:
    families: int
    due_waves: list[tuple[Wave, Family]]
    due_count: int
    drafts: list[tuple[Submission, Family]]
    draft_count: int
    completeness: list[tuple[str, int, int]]


def _visible_ids():  # type: ignore[no-untyped-def]
    return select(Family.id).where(visible_families(), Family.status == "active")


def _among_active(family_id: ColumnElement[int]) -> ColumnElement[bool]:
    """Rows of the active families the member sees (the query joins Family)."""
    if sees_all_families():
        # Leads and admins see the whole municipality, which the tenant scope already
        # limits to: a plain condition lets the database use the partial indexes.
        return Family.status == "active"
    return family_id.in_(_visible_ids())


def build(today: date) -> Dashboard:
    visible = _visible_ids()
    families = db.session.scalar(select(func.count()).select_from(visible.subquery())) or 0
    open_waves = (
        select(Wave, Family)
        .join(Family, Family.id == Wave.family_id)
        .where(
            _among_active(Wave.family_id),
            Wave.status_is("due", today),
        )
    )
    due_count = db.session.scalar(select(func.count()).select_from(open_waves.subquery())) or 0
    due_waves = [
        (w, f) for w, f in db.session.execute(open_waves.order_by(Wave.due_date).limit(LIST_LIMIT))
    ]
    drafts_query = (
        select(Submission, Family)
        .join(Family, Family.id == Submission.family_id)
        .where(_among_active(Submission.family_id), Submission.status == "draft")
    )
    draft_count = db.session.scalar(select(func.count()).select_from(drafts_query.subquery())) or 0
    drafts = [
        (s, f)
        for s, f in db.session.execute(
            drafts_query.order_by(Submission.updated_at.desc()).limit(LIST_LIMIT)
        )
    ]
    # Completeness of every wave whose window has opened: completed / expected so far.
    completeness = [
        (key, int(total), int(done))
        for key, total, done in db.session.execute(
            select(Wave.key, func.count(Wave.id), func.count(Wave.completed_at))
            .where(
                true()
                if sees_all_families()
                else Wave.family_id.in_(select(Family.id).where(visible_families())),
                Wave.window_start <= today,
            )
            .group_by(Wave.key)
            .order_by(func.min(Wave.due_date))
        )
    ]
    return Dashboard(families, due_waves, due_count, drafts, draft_count, completeness)
