"""Finding a family: by its label, a member's name or a CPR number, with filters and sorting.

Everything is filtered, sorted, counted and paged in the database. A query that looks like
a CPR number (DDMMYY-SSSS, with or without the dash) is matched exactly, through the
members' keyed hash (:attr:`Member.cpr_hash`), never by the number itself; anything else
is matched as part of the family's label or of a member's name, ignoring case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import g
from sqlalchemy import ColumnElement, Select, exists, func, or_, select

from app.audit.services import record
from app.core.db import db, folded
from app.families.access import sees_all_families, visible_families
from app.families.models import Assignment, Family, Member, Wave, cpr_digits, cpr_lookup_hash
from app.families.services import hash_cpr_numbers
from app.tenancy.models import TEAM_MODELS, Municipality

#: Whose families: those the member works with, every family they may see, or (for those
#: who see every family) the families nobody is assigned to.
SCOPES = ("mine", "team", "unassigned")
STATUSES = ("active", "exited")
SORTS = ("label", "enrolled", "next_due")
PAGE_SIZE = 50


@dataclass(frozen=True)
class Search:
    """What the list was asked for; unknown values fall back to the defaults."""

    query: str = ""
    scope: str = "team"
    status: str = ""
    team_model: str = ""
    sort: str = "enrolled"

    @classmethod
    def from_args(cls, args: dict[str, str], scopes: tuple[str, ...]) -> Search:
        def pick(name: str, allowed: tuple[str, ...], default: str) -> str:
            value = args.get(name, default)
            return value if value in allowed else default

        return cls(
            query=args.get("q", "").strip()[:200],
            scope=pick("scope", scopes, "team"),
            status=pick("status", STATUSES, ""),
            team_model=pick("team_model", TEAM_MODELS, ""),
            sort=pick("sort", SORTS, "enrolled"),
        )

    @property
    def by_cpr(self) -> bool:
        return cpr_digits(self.query) is not None


def scopes_for_member() -> tuple[str, ...]:
    """The scopes the current member can choose: "unassigned" only for those who see all."""
    return SCOPES if sees_all_families() else ("mine", "team")


def next_due() -> ColumnElement[date]:
    """The earliest due date of the family's waves still expected (upcoming, due, overdue)."""
    return (
        select(func.min(Wave.due_date))
        .where(
            Wave.family_id == Family.id,
            Wave.completed_at.is_(None),
            Wave.missed_reason.is_(None),
        )
        .correlate(Family)
        .scalar_subquery()
    )


def _assigned(user_id: int | None = None) -> ColumnElement[bool]:
    """Families with an active assignment (of *user_id*, or of anyone)."""
    condition = [Assignment.family_id == Family.id, Assignment.active]
    if user_id is not None:
        condition.append(Assignment.user_id == user_id)
    return exists().where(*condition)


def _matches(search: Search, municipality: Municipality) -> ColumnElement[bool]:
    if search.by_cpr:
        hash_cpr_numbers(municipality, only_missing=True)
        return Family.id.in_(
            select(Member.family_id).where(
                Member.municipality_id == municipality.id,
                Member.cpr_hash == cpr_lookup_hash(search.query),
            )
        )
    wanted = search.query.lower()
    return or_(
        folded(Family.label).contains(wanted, autoescape=True),
        exists().where(
            Member.family_id == Family.id,
            Member.municipality_id == municipality.id,
            folded(Member.name).contains(wanted, autoescape=True),
        ),
    )


def statement(search: Search, municipality: Municipality) -> Select[tuple[Family, date]]:
    """The families of *search*, sorted, with their next due date; not yet paged."""
    due = next_due().label("next_due")
    query = select(Family, due).where(visible_families())
    if search.scope == "mine":
        query = query.where(_assigned(g.membership.user_id))
    elif search.scope == "unassigned":
        query = query.where(~_assigned())
    if search.status:
        query = query.where(Family.status == search.status)
    if search.team_model:
        query = query.where(Family.team_model == search.team_model)
    if search.query:
        query = query.where(_matches(search, municipality))
    if search.sort == "label":
        return query.order_by(func.lower(Family.label), Family.id)
    if search.sort == "next_due":
        # Families with nothing left to collect come last.
        return query.order_by(due.is_(None), due, Family.id)
    return query.order_by(Family.enrolment_date.desc(), Family.id.desc())


def run(
    search: Search, municipality: Municipality, page: int
) -> tuple[list[tuple[Family, date | None]], int]:
    """One page of the list and the number of families in it all."""
    query = statement(search, municipality)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = [
        (family, due)
        for family, due in db.session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    ]
    if search.by_cpr:
        # The number itself is never written down: the trail says a CPR number was
        # searched for, by whom, and how many families it found.
        record(
            "family.searched_by_cpr",
            municipality_id=municipality.id,
            object_type="municipality",
            object_id=municipality.id,
            details={"found": total},
        )
    return rows, total
