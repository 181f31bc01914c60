"""Day buckets in flat arrays (``detectors.buckets``): they hold what lists of integers held."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from detectors.buckets import BucketLayout, DayBuckets

LAYOUT = BucketLayout(5, wide=(2, 4))
ROW = st.tuples(st.integers(0, 10**6), st.integers(-(2**31), 2**31 - 1), st.integers(-(2**63), 2**63 - 1),
                st.integers(0, 2**31 - 1), st.integers(0, 2**63 - 1)).map(list)


@given(st.lists(ROW, max_size=12), st.integers(0, 12), st.integers(0, 10**6), st.integers(0, 12))
def test_buckets_hold_rows_through_inserts_and_drops(rows, position, day, dropped):
    buckets = DayBuckets.from_rows(LAYOUT, rows)
    assert buckets.rows() == rows and len(buckets) == len(rows)
    position = min(position, len(rows))
    buckets.insert(position, day)
    rows.insert(position, [day, 0, 0, 0, 0])
    assert buckets.rows() == rows
    assert [buckets.day(i) for i in range(len(rows))] == [row[0] for row in rows]
    assert all(buckets.column(c) == [row[c] for row in rows] for c in range(5))
    assert all(buckets.column_sum(c, 1) == sum(row[c] for row in rows[1:]) for c in range(5))
    buckets.drop(dropped)
    assert buckets.rows() == rows[dropped:]
    assert buckets == DayBuckets.from_rows(LAYOUT, rows[dropped:])


def test_add_stops_at_the_column_limit_and_says_what_it_added():
    buckets = DayBuckets.from_rows(LAYOUT, [[1, 2**31 - 3, 2**63 - 3, 0, 0]])
    assert buckets.add(0, 1, 10) == 2 and buckets.add(0, 2, 10) == 2 and buckets.add(0, 3, 10) == 10
    assert buckets.rows() == [[1, 2**31 - 1, 2**63 - 1, 10, 0]]


def test_a_value_that_does_not_fit_its_column_is_refused():
    with pytest.raises(ValueError, match="column 1"):
        DayBuckets.from_rows(LAYOUT, [[1, 2**31, 0, 0, 0]])
    with pytest.raises(ValueError):
        BucketLayout(3, wide=(0,))
