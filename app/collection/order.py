"""The order a wave's forms are shown and filled in: the family's forms first, then each
adult's, then each child's (members in the order they were added). The family overview
lists them so, and "save and go to the next form" follows the same order."""

from __future__ import annotations

from app.collection.services import ExpectedForm, expected_in_wave, submitted_in
from app.families.models import Wave
from app.tenancy.models import Municipality

_SUBJECT_ORDER = {"family": 0, "adult": 1, "child": 2}


def in_overview_order(expected: list[ExpectedForm]) -> list[ExpectedForm]:
    """*expected* sorted: family, adults, children; each person's forms together."""

    def key(item: tuple[int, ExpectedForm]) -> tuple[int, int, int]:
        index, row = item
        if row.member is None:
            return (_SUBJECT_ORDER["family"], 0, index)
        return (_SUBJECT_ORDER.get(row.member.role, 3), row.member.id, index)

    return [row for _, row in sorted(enumerate(expected), key=key)]


def next_missing(
    municipality: Municipality, wave: Wave, after: tuple[str, int | None]
) -> ExpectedForm | None:
    """The next form of *wave* still not submitted, after the form *after* (form id, member
    id) in the overview's order and then from the start again; None when none is left."""
    submitted = submitted_in(wave)
    rows = in_overview_order(expected_in_wave(municipality, wave, submitted))
    pairs = [(r.version.form_id, r.member.id if r.member else None) for r in rows]
    start = pairs.index(after) + 1 if after in pairs else 0
    for row, pair in zip(rows[start:] + rows[:start], pairs[start:] + pairs[:start], strict=True):
        if pair not in submitted:
            return row
    return None
