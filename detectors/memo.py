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

__all__ = ["make_room"]


def make_room(memo: dict[Any, Any], capacity: int) -> None:
    """Before an insertion: if ``memo`` holds ``capacity`` entries, forget the older half
    (dicts keep insertion order)."""
    if len(memo) >= capacity:
        for key in list(islice(memo, max(1, len(memo) // 2))):
            del memo[key]
