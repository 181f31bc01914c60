"""Ingest side: which of this worker's input partitions it has read to the end.

A partition with nothing left to read must not hold back event time on the detection
shards, so the worker announces it idle once. "Read to the end" means the next offset to
process has reached the partition's high watermark as seen by the last fetch. (The fetch
high watermark, not ``end_offsets``: the embedded broker's ListOffsets answer lags behind
after multi-record batches, its fetch answer does not.) A partition on which nothing
arrives after assignment (it is empty, or the committed offset is its end) is announced
after ``grace_s``, which also covers a broker that never reports a high watermark.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["SourceProgress", "source_name"]


def source_name(topic: str, partition: int) -> str:
    return f"{topic}:{partition}"


@dataclass
class _Source:
    assigned_at: float
    next_offset: int | None = None
    announced: bool = False


class SourceProgress:
    def __init__(self, *, grace_s: float = 3.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.grace_s = grace_s
        self._clock = clock
        self._sources: dict[str, _Source] = {}

    def assign(self, sources: Iterable[str]) -> None:
        """The worker's current input partitions; new ones start unannounced."""
        wanted = set(sources)
        now = self._clock()
        for name in list(self._sources):
            if name not in wanted:
                del self._sources[name]
        for name in wanted:
            self._sources.setdefault(name, _Source(assigned_at=now))

    def processed(self, source: str, offset: int) -> None:
        state = self._sources.setdefault(source, _Source(assigned_at=self._clock()))
        state.next_offset = offset + 1
        state.announced = False

    def to_announce(self, highwater: Callable[[str], int | None]) -> list[str]:
        """Sources to announce idle now (each once, until it processes again)."""
        now = self._clock()
        due: list[str] = []
        for name, state in sorted(self._sources.items()):
            if state.announced:
                continue
            mark = highwater(name)
            if state.next_offset is not None:
                caught_up = mark is not None and state.next_offset >= mark
            else:
                caught_up = now - state.assigned_at >= self.grace_s
            if caught_up:
                state.announced = True
                due.append(name)
        return due
