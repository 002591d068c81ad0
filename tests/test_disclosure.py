"""Disclosure control: small counts hidden, and never recoverable from a line's total."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.reports.disclosure import mean, rate, suppress


def lines(table):
    """Each (parts, total) pair a reader could subtract along."""
    rows, columns = len(table.cells), len(table.cells[0])
    for r in range(rows):
        yield table.cells[r], table.row_totals[r]
    for c in range(columns):
        yield [table.cells[r][c] for r in range(rows)], table.column_totals[c]
    yield table.row_totals, table.grand_total
    yield table.column_totals, table.grand_total


def test_a_cell_of_three_is_never_shown_nor_recoverable():
    # Three municipalities (columns), two categories (rows); one cell of 3 families.
    table = suppress([[3, 20, 30], [12, 25, 40]], k=5)
    assert table.cells[0][0] is None
    assert 3 not in [v for row in table.cells for v in row]
    for parts, total in lines(table):
        hidden = [p for p in [*parts, total] if p is None]
        assert len(hidden) != 1
    # The pooled (row total) figure cannot give the 3 back either.
    assert not (
        table.row_totals[0] is not None
        and None not in table.cells[0][1:]
        and table.row_totals[0] - sum(table.cells[0][1:]) == 3
    )


def test_big_counts_and_zeros_are_shown():
    table = suppress([[0, 10], [7, 9]], k=5)
    assert table.cells == [[0, 10], [7, 9]]
    assert table.grand_total == 26


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=10).flatmap(
        lambda k: st.tuples(
            st.just(k),
            st.integers(1, 5).flatmap(
                lambda rows: st.integers(1, 6).flatmap(
                    lambda columns: st.lists(
                        st.lists(st.integers(0, 40), min_size=columns, max_size=columns),
                        min_size=rows,
                        max_size=rows,
                    )
                )
            ),
        ),
    )
)
def test_no_line_ever_hides_exactly_one_value(case):
    k, cells = case
    table = suppress(cells, k=k)
    for r, row in enumerate(cells):
        for c, value in enumerate(row):
            if 0 < value < k:
                assert table.cells[r][c] is None
            elif table.cells[r][c] is not None:
                assert table.cells[r][c] == value
    for parts, total in lines(table):
        assert sum(p is None for p in [*parts, total]) != 1


def test_rates_and_means_follow_their_counts():
    assert rate(3, 10, k=5) == 30.0
    assert rate(3, 4, k=5) is None  # fewer than k people
    assert rate(None, 40, k=5) is None  # the numerator is suppressed
    assert mean(17.0, 10, k=5) == 1.7
    assert mean(17.0, 4, k=5) is None
