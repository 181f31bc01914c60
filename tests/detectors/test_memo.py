"""A full memo forgets its older half, not everything."""

from __future__ import annotations

from detectors.memo import Interner, make_room


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


def test_an_interner_gives_back_the_first_equal_value_it_kept() -> None:
    share = Interner(capacity=4)
    first = share(("ent-a", "ent-b"))
    again = share(tuple(["ent-a", "ent-b"]))
    assert again == first and again is first
    assert share(None) is None and share("x") == "x"


def test_a_full_interner_forgets_its_older_half_and_still_answers() -> None:
    share = Interner(capacity=4)
    kept = [share((n,)) for n in range(4)]
    share((4,))  # full: (0,) and (1,) are forgotten
    assert share((3,)) is kept[3]
    answer = share(tuple([0]))
    assert answer == kept[0] and answer is not kept[0]  # forgotten: kept anew, not shared
