"""Day buckets in flat arrays (``detectors.buckets``): they hold what lists of integers held."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from detectors.buckets import BucketLayout, DayBuckets

LAYOUT = BucketLayout(5, wide=(2, 4))
SPARSE = BucketLayout(5, wide=(2, 4), sparse=True)
ROW = st.tuples(st.integers(0, 10**6), st.integers(-(2**31), 2**31 - 1), st.integers(-(2**63), 2**63 - 1),
                st.integers(0, 2**31 - 1), st.integers(0, 2**63 - 1)).map(list)


@pytest.mark.parametrize("layout", [LAYOUT, SPARSE], ids=["dense", "sparse"])
@given(rows=st.lists(ROW, max_size=12), position=st.integers(0, 12), day=st.integers(0, 10**6),
       dropped=st.integers(0, 12))
def test_buckets_hold_rows_through_inserts_and_drops(layout, rows, position, day, dropped):
    buckets = DayBuckets.from_rows(layout, rows)
    assert buckets.rows() == rows and len(buckets) == len(rows)
    position = min(position, len(rows))
    buckets.insert(position, day)
    rows.insert(position, [day, 0, 0, 0, 0])
    assert buckets.rows() == rows
    assert [buckets.day(i) for i in range(len(rows))] == [row[0] for row in rows]
    assert all(buckets.column(c) == [row[c] for row in rows] for c in range(5))
    assert all(buckets.column_sum(c, 1) == sum(row[c] for row in rows[1:]) for c in range(5))
    assert all(buckets.column_sum(c, 1, position) == sum(row[c] for row in rows[1:position]) for c in range(5))
    buckets.drop(dropped)
    assert buckets.rows() == rows[dropped:]
    assert buckets == DayBuckets.from_rows(layout, rows[dropped:])


def test_add_stops_at_the_column_limit_and_says_what_it_added():
    buckets = DayBuckets.from_rows(LAYOUT, [[1, 2**31 - 3, 2**63 - 3, 0, 0]])
    assert buckets.add(0, 1, 10) == 2 and buckets.add(0, 2, 10) == 2 and buckets.add(0, 3, 10) == 10
    assert buckets.rows() == [[1, 2**31 - 1, 2**63 - 1, 10, 0]]


def test_a_value_that_does_not_fit_its_column_is_refused():
    with pytest.raises(ValueError, match="column 1"):
        DayBuckets.from_rows(LAYOUT, [[1, 2**31, 0, 0, 0]])
    with pytest.raises(ValueError):
        BucketLayout(3, wide=(0,))


#: (bucket position, column, amount) for add, or (position, day) for insert.
STEPS = st.lists(st.one_of(st.tuples(st.integers(0, 20), st.integers(1, 4), st.integers(0, 2**40)),
                           st.tuples(st.integers(0, 20), st.integers(0, 10**6))), max_size=30)


@given(STEPS)
def test_sparse_buckets_take_columns_as_they_are_used_and_read_like_dense_ones(steps):
    dense, sparse = DayBuckets(LAYOUT), DayBuckets(SPARSE)
    for step in steps:
        if len(step) == 2:
            at = min(step[0], len(dense))
            dense.insert(at, step[1])
            sparse.insert(at, step[1])
        elif len(dense):
            at, column, amount = min(step[0], len(dense) - 1), step[1], step[2]
            assert sparse.add(at, column, amount) == dense.add(at, column, amount)
    assert sparse.rows() == dense.rows()
    assert all(sparse.column(c, 1) == dense.column(c, 1) and sparse.column_sum(c, 1) == dense.column_sum(c, 1)
               for c in range(5))
    used = {c for c in range(1, 5) if dense.column_sum(c)}
    assert sparse.layout.present == {0, *used} or not len(dense)  # only what was used, nothing more
    assert DayBuckets.from_rows(SPARSE, dense.rows()) == sparse


def test_a_sparse_bucket_starts_with_the_day_alone_and_layouts_are_shared():
    a, b = DayBuckets(SPARSE), DayBuckets(SPARSE)
    a.insert(0, 7)
    b.insert(0, 7)
    assert a.layout.present == {0} and a.add(0, 3, 0) == 0 and a.layout.present == {0}  # zero takes nothing
    a.add(0, 3, 5)
    b.add(0, 3, 9)
    assert a.layout is b.layout and a.rows() == [[7, 0, 0, 5, 0]] and a.get(0, 2) == 0
    a.keep([1, 4])
    assert a.layout.present == {0, 1, 3, 4} and a.rows() == [[7, 0, 0, 5, 0]]
