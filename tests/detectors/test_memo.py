"""A full memo forgets its older half, not everything."""

from __future__ import annotations

from detectors.memo import make_room


def test_a_full_memo_keeps_its_newer_half() -> None:
    memo = {i: str(i) for i in range(10)}
    make_room(memo, capacity=10)
    assert list(memo) == [5, 6, 7, 8, 9]


def test_a_memo_with_room_is_left_alone() -> None:
    memo = {i: i for i in range(9)}
    make_room(memo, capacity=10)
    assert len(memo) == 9


def test_a_memo_bounded_at_one_still_takes_an_entry() -> None:
    memo = {"a": 1}
    make_room(memo, capacity=1)
    memo["b"] = 2
    assert memo == {"b": 2}
