"""Which keys need a look when the window moves on: a day-ordered queue.

Every new day, the detector must drop parties whose last record left the window and
prune the buckets and evidence that did. Asking every party on every day costs the
number of parties times the number of days; most parties have nothing to drop on most
days. The queue holds each key under the oldest day it holds anything for, so a new
day only visits the keys that have something older than the window's start.

A key is due at the *lowest* day it was scheduled for; scheduling it later changes
nothing, and an older entry left in the heap by a lower schedule is skipped when popped.
Visiting a key early is harmless (pruning at a horizon is idempotent); what must never
happen is a key holding something older than its scheduled day.
"""

from __future__ import annotations

import heapq

__all__ = ["DueQueue"]


class DueQueue:
    """Keys by the day they next need a look (see the module docstring)."""

    __slots__ = ("_heap", "_due")

    def __init__(self) -> None:
        self._heap: list[tuple[int, str]] = []
        self._due: dict[str, int] = {}

    def schedule(self, key: str, day: int) -> None:
        """Make ``key`` due no later than ``day``."""
        due = self._due.get(key)
        if due is None or day < due:
            self._due[key] = day
            heapq.heappush(self._heap, (day, key))

    def pop_before(self, day: int) -> list[str]:
        """Unschedule and return the keys due before ``day``, earliest first.

        The caller deals with each (drops it, or prunes it and schedules it again)."""
        heap, due = self._heap, self._due
        keys: list[str] = []
        while heap and heap[0][0] < day:
            when, key = heapq.heappop(heap)
            if due.get(key) == when:
                del due[key]
                keys.append(key)
        return keys
