"""Bounded memos: what a full memo forgets.

Detectors memoise pure answers (a name's screening matches, a party's verdict) in plain
dicts, bounded against a population larger than expected or hostile input. Emptying a
full memo throws away the answers in use along with the stale ones: at a population a
few times the bound (the 10M-event simulation writes ~140k distinct party names per
million events) the memo keeps emptying and most lookups miss. Dropping the older half
keeps what was added recently, at one pass over half the dict per half-capacity
insertions.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

__all__ = ["make_room", "Interner", "SPELLINGS_CAPACITY"]

#: Capacity of the memos keyed by a party as written on a document (id, name, country,
#: address), or by the one ``PartyRef`` the engine makes of it: resolution
#: (``Reference``), screening verdicts, end use's party facts, transshipment's party
#: views. The 10M-event simulation writes 451,727 distinct ones over its year (314k in
#: its first million events), and they recur all year: a memo smaller than that
#: population forgets spellings it is about to see again. Replaying the file's 30.9M
#: party mentions through a memo that forgets its older half, 262,144 entries missed
#: 3.38M times, 393,216 missed 1.36M, and from 458,752 up only the first sight of each
#: spelling misses (forgetting the least recently used half instead: 2.85M at 262,144).
#: Tens of MB each when full.
SPELLINGS_CAPACITY = 524_288


def make_room(memo: dict[Any, Any], capacity: int) -> None:
    """Before an insertion: if ``memo`` holds ``capacity`` entries, forget the older half
    (dicts keep insertion order)."""
    if len(memo) >= capacity:
        for key in list(islice(memo, max(1, len(memo) // 2))):
            del memo[key]


class Interner:
    """One object for each equal immutable value, so that facts kept for months share theirs.

    A transshipment window holds hundreds of thousands of legs, and most of their small
    tuples and strings (a shipper's id, its licence scopes, the families shipped) repeat:
    each decoded record brings its own copies. Calling ``interner(value)`` returns the
    first equal value it kept, bounded like the memos (``make_room``); a value forgotten
    is only shared less, never answered differently."""

    __slots__ = ("_values", "_capacity")

    def __init__(self, capacity: int) -> None:
        self._values: dict[Any, Any] = {}
        self._capacity = capacity

    def __call__(self, value: Any) -> Any:
        found = self._values.get(value)
        if found is None:
            make_room(self._values, self._capacity)
            self._values[value] = found = value
        return found
