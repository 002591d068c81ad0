"""The work lists: one query builder behind the pages, the home page and the API.

- *mine*: the open waves (upcoming within :data:`UPCOMING_DAYS`, due, overdue) of the
  active families the current member works with (an active assignment);
- *overdue*, *due*, *upcoming*: the waves with that status (``Wave.status_is``), upcoming
  limited to windows opening within :data:`UPCOMING_DAYS`;
- *drafts*: forms saved as drafts;
- *unassigned* (only for those who see every family): active families with no active
  coordinator, entry caseworker or team member.

Every list is limited to the families the member may see (``visible_families``), counted,
sorted and paged in the database; only the rows of one page are read, and what they still
miss is read for those rows alone (:mod:`app.casework.missing`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import g
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select

from app.auth.models import User
from app.auth.permissions import can
from app.collection.models import Submission
from app.core.db import db
from app.families.access import visible_families
from app.families.models import UPCOMING_DAYS, Assignment, Family, Wave
from app.tenancy.models import TEAM_MODELS, Municipality
from app.tenancy.settings_spec import tables as settings_tables

#: The lists, in the order the overview shows them.
LISTS = ("mine", "overdue", "due", "upcoming", "drafts", "unassigned")
#: Lists of waves (the others list drafts and families).
WAVE_LISTS = ("mine", "overdue", "due", "upcoming")
#: The statuses a wave of the open lists can have, for the status filter.
OPEN_STATUSES = ("overdue", "due", "upcoming")
SORTS = ("due", "family", "wave", "caseworker")
PAGE_SIZE = 50
MAX_PAGE = 100_000
#: The assignments that make a caseworker of the family (a contact person alone does not).
CASEWORKER_KINDS = ("coordinator", "entry_caseworker", "team_member")


def available(name: str) -> bool:
    """Whether the current member has list *name* (unassigned: leads and admins)."""
    if name == "unassigned":
        return can("families.view_all")
    return name in LISTS


@dataclass(frozen=True)
class Query:
    """What one request asks of a list; anything not understood is left out."""

    sort: str = "due"
    descending: bool = False
    caseworker: int | None = None
    team_model: str | None = None
    wave: str | None = None
    status: str | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> Query:
        """Read query parameters; an unknown sort or filter value is ignored."""
        sort = args.get("sort", "due")
        caseworker = _number(args.get("caseworker", ""))
        team_model = args.get("team_model") or None
        wave = (args.get("wave") or "").strip() or None
        status = args.get("status") or None
        return cls(
            sort=sort if sort in SORTS else "due",
            descending=args.get("order") == "desc",
            caseworker=caseworker,
            team_model=team_model if team_model in TEAM_MODELS else None,
            wave=wave if wave and _is_wave_key(wave) else None,
            status=status if status in OPEN_STATUSES else None,
            page=_number(args.get("page", "")) or 1,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query parameters of this query with *changes* (for sort links and pager)."""
        values = {
            "sort": self.sort,
            "order": "desc" if self.descending else None,
            "caseworker": self.caseworker,
            "team_model": self.team_model,
            "wave": self.wave,
            "status": self.status,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def _number(raw: str) -> int | None:
    if raw.isascii() and raw.isdigit() and len(raw) <= 9 and 0 < int(raw) <= MAX_PAGE * 1000:
        return int(raw)
    return None


def _is_wave_key(key: str) -> bool:
    if key in ("intake", "exit"):
        return True
    prefix, _, months = key.rpartition("_")
    return prefix == "follow_up" and months.isascii() and months.isdigit() and len(months) <= 3


@dataclass
class Page:
    name: str
    query: Query
    total: int
    rows: list[Any] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max((self.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)


# -- conditions -----------------------------------------------------------------------------


def _mine() -> ColumnElement[bool]:
    """The families the member of this request (a session or an API token) works with."""
    return Family.id.in_(
        select(Assignment.family_id).where(
            Assignment.user_id == g.membership.user_id, Assignment.active
        )
    )


def wave_condition(name: str, today: date) -> ColumnElement[bool]:
    """The condition on :class:`Wave` of wave list *name* on *today*."""
    soon = and_(
        Wave.status_is("upcoming", today),
        Wave.window_start <= today + timedelta(days=UPCOMING_DAYS),
    )
    if name == "upcoming":
        return soon
    if name in ("overdue", "due"):
        return Wave.status_is(name, today)
    if name == "mine":
        return and_(
            _mine(),
            or_(Wave.status_is("overdue", today), Wave.status_is("due", today), soon),
        )
    raise KeyError(name)


def _caseworkers_of(family_id: Any) -> Select[Any]:
    return select(Assignment.family_id).where(
        Assignment.family_id == family_id,
        Assignment.active,
        Assignment.kind.in_(CASEWORKER_KINDS),
    )


def _first_caseworker_name() -> Any:
    """The alphabetically first caseworker of the row's family, for sorting."""
    return (
        select(func.min(User.name))
        .join(Assignment, Assignment.user_id == User.id)
        .where(
            Assignment.family_id == Family.id,
            Assignment.active,
            Assignment.kind.in_(CASEWORKER_KINDS),
        )
        .correlate(Family)
        .scalar_subquery()
    )


def _filtered(statement: Select[Any], query: Query, *, waves: bool = True) -> Select[Any]:
    if query.caseworker is not None:
        statement = statement.where(
            Family.id.in_(
                select(Assignment.family_id).where(
                    Assignment.user_id == query.caseworker, Assignment.active
                )
            )
        )
    if query.team_model is not None:
        statement = statement.where(Family.team_model == query.team_model)
    if waves and query.wave is not None:
        statement = statement.where(Wave.key == query.wave)
    return statement


def _wave_order() -> Any:
    """Waves in the order of the course: intake, the follow-ups by month, exit."""
    return case((Wave.kind == "intake", -1), (Wave.kind == "exit", 100_000), else_=Wave.month)


def _ordered(statement: Select[Any], query: Query, due: Any, wave_order: Any) -> Select[Any]:
    key = {
        "due": due,
        "family": Family.label,
        "wave": wave_order,
        "caseworker": _first_caseworker_name(),
    }[query.sort]
    first = key.desc() if query.descending else key.asc()
    return statement.order_by(first, due, Family.id)


def statement(name: str, query: Query, today: date) -> Select[Any]:
    """The list's statement, filtered and ordered (without count or page)."""
    if name in WAVE_LISTS:
        found = (
            select(Wave, Family)
            .join(Family, Family.id == Wave.family_id)
            .where(Family.status == "active", visible_families(), wave_condition(name, today))
        )
        if query.status is not None:
            found = found.where(Wave.status_is(query.status, today))
        found = _filtered(found, query)
        return _ordered(found, query, Wave.due_date, _wave_order()).order_by(Wave.id)
    if name == "drafts":
        found = (
            select(Submission, Wave, Family)
            .join(Wave, Wave.id == Submission.wave_id)
            .join(Family, Family.id == Submission.family_id)
            .where(Family.status == "active", visible_families(), Submission.status == "draft")
        )
        found = _filtered(found, query)
        return _ordered(found, query, Wave.due_date, _wave_order()).order_by(Submission.id)
    if name == "unassigned":
        found = select(Family).where(
            Family.status == "active", visible_families(), ~_caseworkers_of(Family.id).exists()
        )
        found = _filtered(found, query, waves=False)
        return _ordered(found, query, Family.enrolment_date, Family.enrolment_date)
    raise KeyError(name)


def count(name: str, query: Query, today: date) -> int:
    found = statement(name, query, today).order_by(None)
    return db.session.scalar(select(func.count()).select_from(found.subquery())) or 0


def counts(today: date) -> dict[str, int]:
    """Each available list's count, unfiltered."""
    return {name: count(name, Query(), today) for name in LISTS if available(name)}


def page(name: str, query: Query, today: date) -> Page:
    total = count(name, query, today)
    found = statement(name, query, today).limit(PAGE_SIZE).offset((query.page - 1) * PAGE_SIZE)
    if name == "unassigned":
        rows: list[Any] = list(db.session.scalars(found))
    else:
        rows = [tuple(row) for row in db.session.execute(found)]
    return Page(name, query, total, rows)


def caseworkers(family_ids: list[int]) -> dict[int, list[User]]:
    """The active caseworkers of the given families, in one query."""
    if not family_ids:
        return {}
    result: dict[int, list[User]] = {}
    for family_id, user in db.session.execute(
        select(Assignment.family_id, User)
        .join(User, User.id == Assignment.user_id)
        .where(
            Assignment.family_id.in_(family_ids),
            Assignment.active,
            Assignment.kind.in_(CASEWORKER_KINDS),
        )
        .order_by(User.name)
    ):
        if user not in result.setdefault(family_id, []):
            result[family_id].append(user)
    return result


def caseworker_choices() -> list[tuple[int, str]]:
    """The people with an active assignment to a family the member sees (filter choices)."""
    return [
        (user_id, name)
        for user_id, name in db.session.execute(
            select(User.id, User.name)
            .join(Assignment, Assignment.user_id == User.id)
            .join(Family, Family.id == Assignment.family_id)
            .where(
                Assignment.active,
                Assignment.kind.in_(CASEWORKER_KINDS),
                Family.status == "active",
                visible_families(),
            )
            .group_by(User.id, User.name)
            .order_by(User.name)
        )
    ]


def wave_keys(municipality: Municipality, chosen: str | None = None) -> list[str]:
    """The wave keys of the municipality's schedule, in the order of the course (filter
    choices), and the one chosen. Read from the settings, not from the waves: a DISTINCT
    over every wave of the municipality costs more than the rest of the page."""
    schedule = settings_tables(municipality.settings)["follow_up"]
    keys = {"intake", "exit"}
    keys |= {
        f"follow_up_{k * schedule['interval_months']}" for k in range(1, schedule["count"] + 1)
    }
    if chosen:
        keys.add(chosen)
    return sorted(keys, key=_course_order)


def _course_order(key: str) -> tuple[int, int]:
    if key == "intake":
        return (0, 0)
    if key == "exit":
        return (2, 0)
    return (1, int(key.rpartition("_")[2]))


#: How many rows of the overdue and due lists the home page shows.
HOME_ROWS = 5


@dataclass
class Summary:
    """The home page's part: each list's count and the first overdue and due waves."""

    counts: dict[str, int]
    first: dict[str, list[Any]]


def summary(today: date) -> Summary:
    first = {
        name: [
            tuple(row)
            for row in db.session.execute(statement(name, Query(), today).limit(HOME_ROWS))
        ]
        for name in ("overdue", "due")
    }
    return Summary(counts(today), first)


#: The statuses the API's list of waves takes: the three open lists, and the closed ones.
API_STATUSES = ("overdue", "due", "upcoming", "missed", "completed")


def waves_with_status(status: str, today: date) -> Select[Any]:
    """(Wave, Family) of the active families the member sees whose wave has *status*, by
    due date: the same rows as the list of that name (upcoming: opening within
    :data:`UPCOMING_DAYS`)."""
    if status in ("overdue", "due", "upcoming"):
        return statement(status, Query(), today)
    return (
        select(Wave, Family)
        .join(Family, Family.id == Wave.family_id)
        .where(Family.status == "active", visible_families(), Wave.status_is(status, today))
        .order_by(Wave.due_date, Family.id, Wave.id)
    )
