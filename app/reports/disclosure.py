"""Disclosure control for aggregate tables: one implementation for every output.

A table is a grid of cells (team model × municipality in the reports) with its margins: a
total per row, a total per column, and the grand total (the pooled figure). Every output
(HTML, PDF, CSV, API) shows some of these positions, so every position is protected as if
it were shown.

Each position carries the number of people it is based on (``n``) and, for a share, how
many of them have the property (the numerator) or, for a mean, the sum of their values.
Two rules:

1. **Primary suppression**: a count of people from 1 to k-1 is not shown, nor any share or
   mean based on it. A share is also hidden when its numerator or its complement (people
   without the property) is from 1 to k-1: 37 % of 8 people gives 3 people away.
2. **Complementary suppression**: a line (a row with its total, a column with its total,
   the margins with the grand total) that hides exactly one position would give it away
   by subtraction — of counts, of numerators (share × n) or of sums (mean × n). So another
   shown position of that line is hidden too, the smallest, preferring cells to totals;
   repeated until no line hides exactly one. Zeros are never hidden: an empty cell is
   known to be empty (a municipality that does not use a team model), so hiding it would
   protect nothing.

Zeros are shown: an empty cell says nothing about a person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: Default threshold; a study or the installation may set another.
DEFAULT_K = 5

KINDS = ("count", "rate", "mean")

RULE = {
    "en": (
        "Counts from 1 to {k_minus_1} are not shown, and neither is any share or mean based "
        "on fewer than {k} people, or whose numerator or complement is from 1 to "
        "{k_minus_1}. Further figures are hidden wherever a total would otherwise reveal a "
        "hidden one."
    ),
    "da": (
        "Antal fra 1 til {k_minus_1} vises ikke, og det gør andele og gennemsnit heller "
        "ikke, når de bygger på færre end {k} personer, eller når tælleren eller resten er "
        "fra 1 til {k_minus_1}. Flere tal skjules, hvor en total ellers ville afsløre et "
        "skjult tal."
    ),
}


def rule_text(k: int, language: str = "en") -> str:
    return RULE.get(language, RULE["en"]).format(k=k, k_minus_1=k - 1)


Position = tuple[object, ...]


@dataclass(frozen=True)
class Cell:
    """One position's figures before protection."""

    n: int
    #: The numerator of a share, or the sum of a mean; equal to n for a count.
    value: float = 0


@dataclass(frozen=True)
class Shown:
    """What may be published of one position."""

    #: People the figure is based on; None when suppressed.
    n: int | None
    #: The count, share (percent) or mean; None when suppressed or there is no data.
    value: float | None
    #: "shown", "suppressed" or "no_data" (nobody to base it on).
    status: str


@dataclass
class ProtectedTable:
    cells: list[list[Shown]]
    row_totals: list[Shown]
    column_totals: list[Shown]
    grand_total: Shown
    k: int


def _small(value: float, k: int) -> bool:
    return 0 < value < k


def protect(
    kind: str, cells: list[list[Cell]], k: int = DEFAULT_K, decimals: int = 1
) -> ProtectedTable:
    """Apply both rules to a rows × columns grid of :class:`Cell` of one *kind*."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    if k < 1:
        raise ValueError("k must be at least 1")
    rows, columns = len(cells), len(cells[0]) if cells else 0
    if any(len(row) != columns for row in cells):
        raise ValueError("a table is a rectangle")
    if any(c.n < 0 or (kind == "rate" and not 0 <= c.value <= c.n) for row in cells for c in row):
        raise ValueError("counts are non-negative and a numerator is from 0 to its n")

    n: dict[Position, int] = {}
    value: dict[Position, float] = {}
    for r in range(rows):
        for c in range(columns):
            n[("cell", r, c)] = cells[r][c].n
            value[("cell", r, c)] = cells[r][c].n if kind == "count" else cells[r][c].value
    for r in range(rows):
        n[("row", r)] = sum(n[("cell", r, c)] for c in range(columns))
        value[("row", r)] = sum(value[("cell", r, c)] for c in range(columns))
    for c in range(columns):
        n[("column", c)] = sum(n[("cell", r, c)] for r in range(rows))
        value[("column", c)] = sum(value[("cell", r, c)] for r in range(rows))
    n[("grand",)] = sum(n[("row", r)] for r in range(rows))
    value[("grand",)] = sum(value[("row", r)] for r in range(rows))

    lines: list[list[Position]] = []
    for r in range(rows):
        lines.append([("cell", r, c) for c in range(columns)] + [("row", r)])
    for c in range(columns):
        lines.append([("cell", r, c) for r in range(rows)] + [("column", c)])
    lines.append([("row", r) for r in range(rows)] + [("grand",)])
    lines.append([("column", c) for c in range(columns)] + [("grand",)])

    # Two hidden sets: the count of people, and the figure built on it. Hiding the count
    # hides the figure; a figure may be hidden while its count is shown.
    hidden_n = {p for p in n if _small(n[p], k)}
    hidden_value = set(hidden_n)
    if kind == "rate":
        hidden_value |= {p for p in n if _small(value[p], k) or _small(n[p] - value[p], k)}

    # The additive quantities a reader could subtract along a line, each with the set
    # that hides it. For a share both the numerator and its complement add up.
    quantities: list[tuple[Callable[[Position], float], set[Position], bool]] = [
        (lambda p: n[p], hidden_n, True)
    ]
    if kind != "count":
        quantities.append((lambda p: value[p], hidden_value, False))

    changed = True
    while changed:
        changed = False
        for _quantity, hidden, hides_n in quantities:
            for line in lines:
                if sum(p in hidden for p in line) != 1:
                    continue
                candidates = sorted(
                    (p for p in line if p not in hidden and n[p] > 0),
                    key=lambda p: (p[0] != "cell", n[p]),
                )
                if not candidates:
                    continue
                chosen = candidates[0]
                hidden_value.add(chosen)
                if hides_n:
                    hidden_n.add(chosen)
                changed = True

    def shown(p: Position) -> Shown:
        if p in hidden_n or p in hidden_value:
            return Shown(None if p in hidden_n else n[p], None, "suppressed")
        if n[p] == 0:
            return Shown(
                0, 0 if kind == "count" else None, "shown" if kind == "count" else "no_data"
            )
        if kind == "count":
            return Shown(n[p], n[p], "shown")
        if kind == "rate":
            return Shown(n[p], round(100 * value[p] / n[p], decimals), "shown")
        return Shown(n[p], round(value[p] / n[p], decimals), "shown")

    return ProtectedTable(
        cells=[[shown(("cell", r, c)) for c in range(columns)] for r in range(rows)],
        row_totals=[shown(("row", r)) for r in range(rows)],
        column_totals=[shown(("column", c)) for c in range(columns)],
        grand_total=shown(("grand",)),
        k=k,
    )
