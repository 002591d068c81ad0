"""The status grid: the families a member sees (rows) × their waves (columns), one cell per
wave with its status and the number of forms it still waits for.

A page reads its 50 families, their waves with each status computed by the database
(``Wave.status_sql``), the members and the submitted forms of those waves only: a fixed
number of queries whatever the municipality's size. What a wave still waits for is
``expected_in_wave`` minus what is submitted, the same definition as the family page and
the wave's completion.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import load_only
from sqlalchemy.orm.attributes import set_committed_value

from app.collection.models import FormVersion, Submission
from app.collection.services import expected_in_wave, latest_versions
from app.core.db import db
from app.definitions.loader import CORE_FORMS
from app.families.access import visible_families
from app.families.models import WAVE_STATUSES, Family, Member, Wave
from app.tenancy.models import Municipality
from app.tenancy.settings_spec import tables as settings_tables

PAGE_SIZE = 50
#: Sort orders of the rows: name -> (columns, descending?). The id keeps pages stable.
SORTS: dict[str, tuple[ColumnElement[object], bool]] = {
    "label": (Family.label, False),
    "-label": (Family.label, True),
    "enrolment": (Family.enrolment_date, False),
    "-enrolment": (Family.enrolment_date, True),
}
DEFAULT_SORT = "label"
#: Read this many families' waves at a time for the CSV download.
CSV_BATCH = 500


@dataclass(frozen=True)
class Cell:
    wave_id: int
    key: str
    status: str
    #: Forms the wave expects that are not submitted.
    missing: int


@dataclass
class Row:
    family_id: int
    label: str
    enrolment_date: date
    cells: dict[str, Cell] = field(default_factory=dict)


@dataclass
class Grid:
    #: Wave keys in their fixed order: intake, the follow-ups by month, exit.
    columns: list[str]
    rows: list[Row]
    total: int


def key_order(key: str) -> tuple[int, int, str]:
    """Intake first, the follow-ups by month, exit last; anything else after, by name."""
    if key == "intake":
        return (0, 0, key)
    if key.startswith("follow_up_") and key.rsplit("_", 1)[1].isdigit():
        return (1, int(key.rsplit("_", 1)[1]), key)
    if key == "exit":
        return (2, 0, key)
    return (3, 0, key)


def columns(municipality: Municipality) -> list[str]:
    """Every wave key of the municipality, in :func:`key_order`: the waves its schedule
    gives a family enrolled today, intake and exit, and any key an earlier schedule gave.
    The same columns for every page, filter and member, so a CSV's header never shifts."""
    schedule = settings_tables(municipality.settings)["follow_up"]
    keys = {"intake", "exit"}
    keys |= {
        f"follow_up_{k * schedule['interval_months']}" for k in range(1, schedule["count"] + 1)
    }
    keys |= set(db.session.scalars(select(Wave.key).distinct()))
    return sorted(keys, key=key_order)


def families_statement(today: date, status: str | None, sort: str) -> Select[tuple[Family]]:
    """The active families the member sees, with a wave of *status* if one is given."""
    statement = select(Family).where(visible_families(), Family.status == "active")
    if status is not None:
        statement = statement.where(
            Family.id.in_(select(Wave.family_id).where(Wave.status_is(status, today)))
        )
    column, descending = SORTS[sort]
    if descending:
        return statement.order_by(column.desc(), Family.id.desc())
    return statement.order_by(column, Family.id)


def build(
    municipality: Municipality, today: date, *, status: str | None, sort: str, page: int
) -> Grid:
    """One page of the grid (*page* counts from 1)."""
    statement = families_statement(today, status, sort)
    total = (
        db.session.scalar(
            select(func.count()).select_from(
                statement.with_only_columns(Family.id).order_by(None).subquery()
            )
        )
        or 0
    )
    families = list(db.session.scalars(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    versions = _versions(municipality)
    return Grid(columns(municipality), _rows(municipality, today, families, versions), total)


def csv_rows(
    municipality: Municipality, today: date, *, status: str | None, sort: str
) -> Iterator[Row]:
    """Every row of the grid for the filter, :data:`CSV_BATCH` families at a time."""
    versions = _versions(municipality)
    ids = list(
        db.session.scalars(families_statement(today, status, sort).with_only_columns(Family.id))
    )
    for start in range(0, len(ids), CSV_BATCH):
        batch = ids[start : start + CSV_BATCH]
        by_id = {f.id: f for f in db.session.scalars(select(Family).where(Family.id.in_(batch)))}
        yield from _rows(municipality, today, [by_id[i] for i in batch], versions)
        db.session.expunge_all()


def _versions(municipality: Municipality) -> dict[str, FormVersion]:
    return latest_versions([*CORE_FORMS, *municipality.settings.get("local_forms", [])])


def _rows(
    municipality: Municipality,
    today: date,
    families: Sequence[Family],
    versions: dict[str, FormVersion],
) -> list[Row]:
    if not families:
        return []
    ids = [f.id for f in families]
    by_id = {f.id: f for f in families}
    # Every wave asks who belonged to the family on its due date: the members' roles and
    # dates, not their names or (encrypted) CPR numbers, read by the index on family_id
    # (a selectinload joins the family table again, which SQLite plans badly).
    members: dict[int, list[Member]] = {i: [] for i in ids}
    for member in db.session.scalars(
        select(Member)
        .options(load_only(Member.family_id, Member.role, Member.start_date, Member.end_date))
        .where(Member.family_id.in_(ids))
    ):
        members[member.family_id].append(member)
    for family in families:
        # In the relationship's order (by id), sorted here: ORDER BY id in the query would
        # lead SQLite to walk the whole table in id order instead of using the index.
        set_committed_value(family, "members", sorted(members[family.id], key=lambda m: m.id))
    waves = db.session.execute(
        select(Wave, Wave.status_sql(today)).where(Wave.family_id.in_(ids))
    ).all()
    submitted: dict[int, set[tuple[str, int | None]]] = defaultdict(set)
    for wave_id, form_id, member_id in db.session.execute(
        select(Submission.wave_id, Submission.form_id, Submission.member_id).where(
            Submission.family_id.in_(ids), Submission.status == "submitted"
        )
    ):
        submitted[wave_id].add((form_id, member_id))
    rows = {f.id: Row(f.id, f.label, f.enrolment_date) for f in families}
    for wave, status in waves:
        # The family is loaded: no query per wave for wave.family (its key is composite).
        set_committed_value(wave, "family", by_id[wave.family_id])
        done = submitted[wave.id]
        missing = sum(
            1
            for expected in expected_in_wave(municipality, wave, done, latest=versions)
            if (expected.version.form_id, expected.member.id if expected.member else None)
            not in done
        )
        rows[wave.family_id].cells[wave.key] = Cell(wave.id, wave.key, status, missing)
    return [rows[i] for i in ids]


def parse_status(raw: str | None) -> str | None:
    """A status filter from the query string; anything unknown is no filter."""
    return raw if raw in WAVE_STATUSES else None


def parse_sort(raw: str | None) -> str:
    return raw if raw in SORTS else DEFAULT_SORT
