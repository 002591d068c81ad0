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
2. **Complementary suppression**: no hidden position may follow from the shown ones —
   not by subtracting along one line (a row with its total, a column with its total, the
   margins with the grand total), nor by adding and subtracting several lines — of
   counts, of numerators (share × n) or of sums (mean × n). So further shown positions
   are hidden, the cheapest (fewest people, cells before totals), until every hidden
   position can take other values with every line still adding up (see the graph below).
   Zeros are never hidden: an empty cell is known to be empty (a municipality that does
   not use a team model), so hiding it would protect nothing.

Zeros are shown: an empty cell says nothing about a person.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

#: Default threshold; a study or the installation may set another.
DEFAULT_K = 5

KINDS = ("count", "rate", "mean")

RULE = {
    "en": (
        "Counts from 1 to {k_minus_1} are not shown, and neither is any share or mean based "
        "on fewer than {k} people, or whose numerator or complement is from 1 to "
        "{k_minus_1}. Further figures are hidden wherever totals, added up or subtracted, "
        "would otherwise reveal a hidden one."
    ),
    "da": (
        "Antal fra 1 til {k_minus_1} vises ikke, og det gør andele og gennemsnit heller "
        "ikke, når de bygger på færre end {k} personer, eller når tælleren eller resten er "
        "fra 1 til {k_minus_1}. Flere tal skjules, hvor totaler, lagt sammen eller trukket "
        "fra hinanden, ellers ville afsløre et skjult tal."
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
    #: "shown", "suppressed", "no_data" (nobody to base it on) or "unpublished" (a cell
    #: of a table whose margins alone are published).
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


# -- complementary suppression as a graph ------------------------------------------------
#
# The table with its margins is a bipartite graph: a node for each row and for the row of
# column totals, a node for each column and for the column of row totals; each position is
# the edge between its row and its column (a cell joins its row and column, a row total
# joins its row and the totals column, the grand total joins the two total nodes). Every
# line a reader can add up is then the set of edges at one node. A hidden position's
# value follows from the shown ones exactly when it lies on no cycle of hidden positions
# (a bridge of the hidden graph: summing the lines on one side of it isolates it). On a
# cycle it can move by +t/−t around the cycle with every line still adding up. So each
# bridge is closed into a cycle by hiding the cheapest path of shown positions between its
# two ends.

Node = tuple[str, object]


def _ends(p: Position) -> tuple[Node, Node]:
    if p[0] == "cell":
        return ("row", p[1]), ("column", p[2])
    if p[0] == "row":
        return ("row", p[1]), ("column", "total")
    if p[0] == "column":
        return ("row", "total"), ("column", p[1])
    return ("row", "total"), ("column", "total")


def _across(p: Position, node: Node) -> Node | None:
    """The other end of *p* from *node*, or None when *p* does not touch *node*."""
    a, b = _ends(p)
    return b if a == node else a if b == node else None


def _costs(n: dict[Position, int]) -> dict[Position, float]:
    """What hiding each position costs: its people, and totals dearer than any cells.

    Positions with nobody in them are left out: an empty cell is known to be empty (a
    municipality that does not use a team model), so hiding it would protect nothing.
    """
    dear = n[("grand",)] + 1
    return {p: n[p] + (0 if p[0] == "cell" else dear) for p in n if n[p] > 0}


def _connected(edges: set[Position], start: Node, goal: Node) -> bool:
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        for p in edges:
            other = _across(p, node)
            if other is not None and other not in seen:
                if other == goal:
                    return True
                seen.add(other)
                todo.append(other)
    return False


def _bridge(hidden: set[Position], unknown: set[Position]) -> Position | None:
    """A hidden position whose value the published ones give away, if there is one.

    *unknown* is every position a reader does not see: the hidden ones and any that are
    never published."""
    for p in sorted(hidden, key=repr):
        if not _connected(unknown - {p}, *_ends(p)):
            return p
    return None


def _cheapest_path(
    bridge: Position, unknown: set[Position], cost: dict[Position, float]
) -> list[Position]:
    """The shown positions to hide so that *bridge* lies on a cycle (Dijkstra; unknown
    positions cost nothing to pass through)."""
    start, goal = _ends(bridge)
    order = {p: i for i, p in enumerate(cost)}
    best: dict[Node, float] = {start: 0}
    came: dict[Node, tuple[Node, Position]] = {}
    queue: list[tuple[float, int, Node]] = [(0, 0, start)]
    done: set[Node] = set()
    while queue:
        distance, _tie, node = heapq.heappop(queue)
        if node in done:
            continue
        done.add(node)
        if node == goal:
            break
        for p in cost:
            if p == bridge:
                continue
            other = _across(p, node)
            if other is None or other in done:
                continue
            step = distance + (0 if p in unknown else cost[p])
            if step < best.get(other, float("inf")):
                best[other], came[other] = step, (node, p)
                heapq.heappush(queue, (step, order[p], other))
    # A path always exists: a cell's row total, the grand total and its column total join
    # its two ends, and likewise for every margin with people in it.
    path, node = [], goal
    while node != start:
        node, p = came[node]
        if p not in unknown:
            path.append(p)
    return path


def _close_loops(
    hidden: set[Position],
    cost: dict[Position, float],
    unpublished: set[Position],
    also: set[Position] | None = None,
) -> None:
    """Hide more positions until no hidden one follows from the published ones."""
    while (bridge := _bridge(hidden, hidden | unpublished)) is not None:
        for p in _cheapest_path(bridge, hidden | unpublished, cost):
            hidden.add(p)
            if also is not None:
                also.add(p)


def protect(
    kind: str,
    cells: list[list[Cell]],
    k: int = DEFAULT_K,
    decimals: int = 1,
    *,
    publish_cells: bool = True,
) -> ProtectedTable:
    """Apply both rules to a rows × columns grid of :class:`Cell` of one *kind*.

    With *publish_cells* false only the margins will be published (the reports show each
    municipality, each team model and the pooled figure, never a municipality's families
    under one model). The cells are then unknown to a reader and returned as
    ``unpublished``; a small one is still protected, since margins can give it away.
    """
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

    # Two hidden sets: the count of people, and the figure built on it. Hiding the count
    # hides the figure; a figure may be hidden while its count is shown.
    hidden_n = {p for p in n if _small(n[p], k)}
    hidden_value = set(hidden_n)
    if kind == "rate":
        hidden_value |= {p for p in n if _small(value[p], k) or _small(n[p] - value[p], k)}

    # Complementary suppression, first for the counts of people (hiding one hides its
    # figure too), then for the numerators or sums, which add up along the same lines.
    cost = _costs(n)
    unpublished = set() if publish_cells else {p for p in cost if p[0] == "cell"}
    _close_loops(hidden_n, cost, unpublished, also=hidden_value)
    if kind != "count":
        _close_loops(hidden_value, cost, unpublished)

    def shown(p: Position) -> Shown:
        if p[0] == "cell" and not publish_cells:
            return Shown(None, None, "unpublished")
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
