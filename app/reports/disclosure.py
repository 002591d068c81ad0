"""Disclosure control for aggregate tables: one implementation for every output.

A table is a grid of counts with its margins: a total per row (the pooled figure across the
columns) and a total per column, and the grand total. Two rules:

1. **Primary suppression**: a count from 1 to k-1 is not shown (zeros are shown: an empty
   cell says nothing about a person that the row's definition does not already say).
2. **Complementary suppression**: a line (a row with its total, or a column with its
   total) that hides exactly one cell would give it away by subtraction, so the smallest
   other shown cell of that line is hidden too; repeated until no line hides exactly one.

Rates and means follow their counts: a rate or mean based on fewer than k people is not
shown, and neither is one whose numerator count is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Default threshold; a study or the installation may set another.
DEFAULT_K = 5

RULE = (
    "Counts from 1 to k-1 are suppressed, and so are further cells wherever a total would "
    "otherwise reveal a suppressed one; rates and means based on fewer than k people, or on "
    "a suppressed count, are not shown."
)


@dataclass
class SuppressedTable:
    """Counts and margins with what may be shown (None = suppressed)."""

    cells: list[list[int | None]]
    row_totals: list[int | None]
    column_totals: list[int | None]
    grand_total: int | None
    k: int


def _small(value: int, k: int) -> bool:
    return 0 < value < k


def suppress(cells: list[list[int]], k: int = DEFAULT_K) -> SuppressedTable:
    """Apply both rules to *cells* (rows × columns of non-negative counts)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    rows, columns = len(cells), len(cells[0]) if cells else 0
    if any(len(row) != columns for row in cells) or any(v < 0 for row in cells for v in row):
        raise ValueError("a table is a rectangle of non-negative counts")
    row_totals = [sum(row) for row in cells]
    column_totals = [sum(cells[r][c] for r in range(rows)) for c in range(columns)]
    grand = sum(row_totals)

    # Every value gets a position: ("cell", r, c), ("row", r), ("column", c), ("grand",).
    values: dict[tuple[object, ...], int] = {}
    for r in range(rows):
        for c in range(columns):
            values[("cell", r, c)] = cells[r][c]
        values[("row", r)] = row_totals[r]
    for c in range(columns):
        values[("column", c)] = column_totals[c]
    values[("grand",)] = grand

    # The lines whose parts add up to a whole: each row with its total, each column with
    # its total, and the margins with the grand total.
    lines: list[list[tuple[object, ...]]] = []
    for r in range(rows):
        lines.append([("cell", r, c) for c in range(columns)] + [("row", r)])
    for c in range(columns):
        lines.append([("cell", r, c) for r in range(rows)] + [("column", c)])
    lines.append([("row", r) for r in range(rows)] + [("grand",)])
    lines.append([("column", c) for c in range(columns)] + [("grand",)])

    hidden = {position for position, value in values.items() if _small(value, k)}
    changed = True
    while changed:
        changed = False
        for line in lines:
            in_line = [p for p in line if p in hidden]
            if len(in_line) != 1:
                continue
            # Hide the smallest shown part of the line; prefer cells to totals, so the
            # published totals survive where they can, and non-zero cells to zeros, since
            # hiding a zero beside a small count protects little.
            candidates = sorted(
                (p for p in line if p not in hidden),
                key=lambda p: (p[0] != "cell", values[p] == 0, values[p]),
            )
            if candidates:
                hidden.add(candidates[0])
                changed = True

    def shown(position: tuple[object, ...]) -> int | None:
        return None if position in hidden else values[position]

    return SuppressedTable(
        cells=[[shown(("cell", r, c)) for c in range(columns)] for r in range(rows)],
        row_totals=[shown(("row", r)) for r in range(rows)],
        column_totals=[shown(("column", c)) for c in range(columns)],
        grand_total=shown(("grand",)),
        k=k,
    )


def rate(numerator: int | None, denominator: int | None, k: int = DEFAULT_K) -> float | None:
    """A share in percent, or None where it would disclose (see the module's rule)."""
    if numerator is None or denominator is None or denominator < k or denominator == 0:
        return None
    return round(100 * numerator / denominator, 1)


def mean(total: float | None, people: int | None, k: int = DEFAULT_K) -> float | None:
    if total is None or people is None or people < k:
        return None
    return round(total / people, 1)
