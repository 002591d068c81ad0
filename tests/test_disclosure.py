"""Disclosure control: small counts hidden, and never recoverable from a line's total."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.reports.disclosure import Cell, protect, rule_text


def counts(grid):
    return [[Cell(n) for n in row] for row in grid]


def lines(table):
    """Each (parts, total) pair a reader could subtract along."""
    rows, columns = len(table.cells), len(table.cells[0])
    for r in range(rows):
        yield table.cells[r], table.row_totals[r]
    for c in range(columns):
        yield [table.cells[r][c] for r in range(rows)], table.column_totals[c]
    yield table.row_totals, table.grand_total
    yield table.column_totals, table.grand_total


def hidden_in(parts, total, attribute):
    return sum(getattr(p, attribute) is None and p.status != "no_data" for p in [*parts, total])


def test_a_cell_of_three_is_never_shown_nor_recoverable():
    # Three municipalities (columns), two team models (rows); one cell of 3 families.
    table = protect("count", counts([[3, 20, 30], [12, 25, 40]]), k=5)
    assert table.cells[0][0].value is None and table.cells[0][0].status == "suppressed"
    shown = [c.value for row in table.cells for c in row] + [c.value for c in table.row_totals]
    assert 3 not in shown
    for parts, total in lines(table):
        assert hidden_in(parts, total, "n") != 1
    # The pooled (row total) figure cannot give the 3 back either.
    row = table.cells[0]
    assert table.row_totals[0].value is None or None in [c.value for c in row[1:]]


def test_big_counts_and_zeros_are_shown():
    table = protect("count", counts([[0, 10], [7, 9]]), k=5)
    assert [[c.value for c in row] for row in table.cells] == [[0, 10], [7, 9]]
    assert table.grand_total.value == 26


def test_a_known_zero_is_never_the_complementary_cell():
    # Municipality A (column 0) uses only team model 0 and has 3 families; B uses only
    # model 0 with 40. Hiding B's empty model-1 cell would protect nothing, since readers
    # know B has no such families: B's own total must go instead.
    table = protect("count", counts([[3, 40], [0, 0]]), k=5)
    assert table.cells[1][1].value == 0
    assert table.column_totals[0].value is None
    assert table.column_totals[1].value is None or table.row_totals[0].value is None


def test_the_complement_rule_hides_the_cheapest_rectangle_around_a_small_cell():
    # Two team models (rows) in three municipalities (columns), k = 5:
    #
    #            A    B    C  | total
    #   model 0  3   10   20  |   33
    #   model 1  8   30   12  |   50
    #   -------------------------------
    #   total   11   40   32  |   83
    #
    # Primary: only the 3 is below k. Alone it would come back from its row (33 - 10 - 20)
    # or its column (11 - 8), so each of those lines needs a second hidden figure, and so
    # does every line that second figure lies on, until the hidden figures close a loop.
    # The loops through A0 that use cells only are rectangles A0-X0-X1-A1:
    #   through B: 10 + 30 + 8 = 48 people hidden besides the 3
    #   through C: 20 + 12 + 8 = 40 people
    # (any loop through a margin costs more: totals are dearer than every cell). So C's
    # rectangle goes: A0, C0, A1 and C1 are hidden; B's column and every margin stay
    # shown, and each line then hides two figures or none.
    table = protect("count", counts([[3, 10, 20], [8, 30, 12]]), k=5)
    hidden = {
        (r, c)
        for r, row in enumerate(table.cells)
        for c, cell in enumerate(row)
        if cell.status == "suppressed"
    }
    assert hidden == {(0, 0), (0, 2), (1, 0), (1, 2)}
    assert all(table.cells[r][c].value is None and table.cells[r][c].n is None for r, c in hidden)
    assert [table.cells[r][1].value for r in (0, 1)] == [10, 30]
    assert [c.value for c in table.row_totals] == [33, 50]
    assert [c.value for c in table.column_totals] == [11, 40, 32]
    assert table.grand_total.value == 83


def test_shares_hide_small_numerators_and_small_complements():
    # 3 of 40 and 37 of 40 both give 3 people away; 20 of 40 does not.
    table = protect("rate", [[Cell(40, 3), Cell(40, 37), Cell(40, 20)]], k=5)
    assert [c.value for c in table.cells[0]] == [None, None, 50.0]
    # The people each figure is based on stay shown; with two shares hidden in the line,
    # the pooled share gives only their sum, so it may be shown.
    assert [c.n for c in table.cells[0]] == [40, 40, 40]
    assert table.row_totals[0].value == 50.0


def test_a_share_of_fewer_than_k_people_is_hidden_with_its_n():
    table = protect("rate", [[Cell(4, 2), Cell(30, 10), Cell(30, 12)]], k=5)
    assert table.cells[0][0].n is None and table.cells[0][0].value is None
    # Subtracting the others' n from the pooled n would give the 4 back: one more goes.
    assert sum(c.n is None for c in [*table.cells[0], table.row_totals[0]]) >= 2


def test_means_follow_their_people():
    table = protect("mean", [[Cell(10, 17.0), Cell(4, 40.0), Cell(6, 30.0)]], k=5)
    assert table.cells[0][1].value is None
    assert table.cells[0][0].value == 1.7 or table.cells[0][0].value is None
    assert sum(c.value is None for c in [*table.cells[0], table.row_totals[0]]) >= 2


def test_no_people_is_no_data_not_a_secret():
    table = protect("mean", [[Cell(0, 0), Cell(12, 24.0)]], k=5)
    assert table.cells[0][0].status == "no_data"
    assert table.cells[0][1].value == 2.0 and table.row_totals[0].value == 2.0


def test_the_rule_is_stated_in_both_languages():
    assert "1 to 4" in rule_text(5, "en")
    assert "1 til 4" in rule_text(5, "da")


grids = st.integers(min_value=1, max_value=8).flatmap(
    lambda k: st.tuples(
        st.just(k),
        st.sampled_from(["count", "rate", "mean"]),
        st.integers(1, 4).flatmap(
            lambda rows: st.integers(1, 5).flatmap(
                lambda columns: st.lists(
                    st.lists(
                        st.integers(0, 30).flatmap(
                            lambda n: st.tuples(st.just(n), st.integers(0, n))
                        ),
                        min_size=columns,
                        max_size=columns,
                    ),
                    min_size=rows,
                    max_size=rows,
                )
            )
        ),
    )
)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(grids)
def test_no_line_ever_hides_exactly_one_figure(case):
    k, kind, grid = case
    table = protect(kind, [[Cell(n, v) for n, v in row] for row in grid], k=k)
    for r, row in enumerate(grid):
        for c, (n, v) in enumerate(row):
            shown = table.cells[r][c]
            if 0 < n < k:
                assert shown.n is None and shown.value is None
            if kind == "rate" and (0 < v < k or 0 < n - v < k):
                assert shown.value is None
            if shown.n is not None:
                assert shown.n == n
            if shown.value is not None and n:
                expected = {"count": n, "rate": round(100 * v / n, 1), "mean": round(v / n, 1)}
                assert shown.value == expected[kind]
    for parts, total in lines(table):
        assert hidden_in(parts, total, "n") != 1
        if kind != "count":
            assert hidden_in(parts, total, "value") != 1


# -- recovery by linear algebra ------------------------------------------------------------
#
# "No line hides exactly one figure" stops a reader subtracting along one line, but not one
# who combines lines: two hidden cycles joined by a single hidden figure give that figure
# away (sum the lines on one side of it). The test below asks the question directly: given
# every shown figure and every line's equation, is any hidden figure determined?


def _positions(rows: int, columns: int) -> list[tuple[object, ...]]:
    return (
        [("cell", r, c) for r in range(rows) for c in range(columns)]
        + [("row", r) for r in range(rows)]
        + [("column", c) for c in range(columns)]
        + [("grand",)]
    )


def _equations(rows: int, columns: int) -> list[dict[tuple[object, ...], int]]:
    """Each line as coefficients: its parts minus its total equals zero."""
    equations = []
    for r in range(rows):
        equations.append({**{("cell", r, c): 1 for c in range(columns)}, ("row", r): -1})
    for c in range(columns):
        equations.append({**{("cell", r, c): 1 for r in range(rows)}, ("column", c): -1})
    equations.append({**{("row", r): 1 for r in range(rows)}, ("grand",): -1})
    equations.append({**{("column", c): 1 for c in range(columns)}, ("grand",): -1})
    return equations


def _rank(matrix: list[list[int]]) -> int:
    from fractions import Fraction

    rows = [[Fraction(x) for x in row] for row in matrix if any(row)]
    rank, width = 0, len(rows[0]) if rows else 0
    for column in range(width):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][column]), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][column]:
                factor = rows[i][column] / rows[rank][column]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def determined(rows: int, columns: int, hidden: set, unpublished: frozenset = frozenset()) -> set:
    """The hidden positions whose value follows from the published ones and the lines.

    The unknowns are the hidden positions and the never-published ones. An unknown is
    determined exactly when deleting its column from the equations (restricted to the
    unknowns) lowers their rank: no solution can move it.
    """
    order = [p for p in _positions(rows, columns) if p in hidden or p in unpublished]
    matrix = [[equation.get(p, 0) for p in order] for equation in _equations(rows, columns)]
    full = _rank(matrix)
    return {
        p
        for i, p in enumerate(order)
        if p in hidden and _rank([row[:i] + row[i + 1 :] for row in matrix]) < full
    }


def _hidden(table, attribute: str, grid, kind: str = "count") -> set[tuple[object, ...]]:
    """The positions a reader does not see the *attribute* of (a small unpublished cell
    counts: the margins must not give it away)."""
    rows, columns = len(table.cells), len(table.cells[0])
    shown = {("cell", r, c): table.cells[r][c] for r in range(rows) for c in range(columns)}
    shown |= {("row", r): table.row_totals[r] for r in range(rows)}
    shown |= {("column", c): table.column_totals[c] for c in range(columns)}
    shown[("grand",)] = table.grand_total
    hidden = {
        p for p, s in shown.items() if s.status == "suppressed" and getattr(s, attribute) is None
    }
    k = table.k
    for (r, c), (n, v) in _cells(grid):
        if shown[("cell", r, c)].status == "unpublished" and (
            0 < n < k or (attribute == "value" and kind == "rate" and (0 < v < k or 0 < n - v < k))
        ):
            hidden.add(("cell", r, c))
    return hidden


def _cells(grid):
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            yield (r, c), cell if isinstance(cell, tuple) else (cell, cell)


def _unpublished(table, grid) -> frozenset:
    return frozenset(
        ("cell", r, c)
        for (r, c), (n, _v) in _cells(grid)
        if table.cells[r][c].status == "unpublished" and n > 0
    )


def test_two_hidden_cycles_joined_by_one_figure_do_not_give_it_away():
    # Three team models (rows) in three municipalities, two of which changed model. Hiding
    # only what each line needs (the rule before this test) left the 4 in the corner
    # recoverable from the lines through it, although every line hid two figures or more.
    grid = [[4, 3, 0], [12, 20, 3], [0, 2, 0]]
    table = protect("count", counts(grid), k=5)
    hidden = _hidden(table, "n", grid)
    assert ("cell", 0, 0) in hidden
    assert not determined(3, 3, hidden)


def test_with_cells_unpublished_the_margins_protect_a_small_cell():
    # One municipality (column 0) changed model: 3 families under model 0, 30 under model
    # 1, where another municipality has 40. Only margins are published; model 0's total (3)
    # is hidden, and so must be something more, or 43 − 40 = 3 from model 1's total.
    grid = [[3, 0], [30, 40]]
    table = protect("count", counts(grid), k=5, publish_cells=False)
    assert table.cells[0][0].status == "unpublished" and table.cells[0][0].value is None
    assert table.row_totals[0].value is None
    hidden = _hidden(table, "n", grid)
    assert not determined(2, 2, hidden, _unpublished(table, grid))
    # ... and nothing is hidden for no reason: the municipality's own total is shown.
    assert table.column_totals[0].value == 33


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(grids, st.booleans())
def test_no_hidden_figure_follows_from_the_published_ones(case, publish_cells):
    k, kind, grid = case
    table = protect(
        kind, [[Cell(n, v) for n, v in row] for row in grid], k=k, publish_cells=publish_cells
    )
    rows, columns = len(grid), len(grid[0])
    unpublished = _unpublished(table, grid)
    assert not determined(rows, columns, _hidden(table, "n", grid), unpublished)
    if kind != "count":
        # The numerators (share × n) and sums (mean × n) add up along the same lines.
        assert not determined(rows, columns, _hidden(table, "value", grid, kind), unpublished)
