"""Disclosure control: small counts hidden, and never recoverable from a line's total."""

from __future__ import annotations

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
