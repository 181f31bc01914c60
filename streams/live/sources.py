"""Ingest side: which of this worker's input partitions it has read to the end.

A partition with nothing left to read must not hold back event time on the detection
shards, so the worker announces it idle once. "Read to the end" means the next offset to
process has reached the partition's high watermark as seen by the last fetch. (The fetch
high watermark, not ``end_offsets``: the embedded broker's ListOffsets answer lags behind
after multi-record batches, its fetch answer does not.)

A partition on which nothing has been processed since assignment is idle when the offset
consumption starts from (the group's committed offset) has reached its high watermark:
there is nothing to read. While data lies beyond that start it is never announced,
however long the worker takes to get to it: a worker starved of CPU (a shard catching
up on the same event loop) must not declare a partition idle whose events it has not
read yet, or they would arrive late. Only when the broker has reported no high watermark
at all after ``grace_s`` is the partition announced on time alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

__all__ = ["SourceProgress", "source_name"]


def source_name(topic: str, partition: int) -> str:
    return f"{topic}:{partition}"


@dataclass
class _Source:
    assigned_at: float
    start: int = 0  # where consumption starts after assignment (committed offset)
    next_offset: int | None = None
    announced: bool = False


class SourceProgress:
    def __init__(self, *, grace_s: float = 3.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.grace_s = grace_s
        self._clock = clock
        self._sources: dict[str, _Source] = {}

    def assign(self, starts: Mapping[str, int | None]) -> None:
        """The worker's current input partitions, each with the offset its consumption
        starts from (``None``: no committed offset, so from the beginning); new ones start
        unannounced."""
        now = self._clock()
        for name in list(self._sources):
            if name not in starts:
                del self._sources[name]
        for name, start in starts.items():
            state = self._sources.setdefault(name, _Source(assigned_at=now))
            # the committed offset can become known after the assignment: take the latest
            state.start = max(state.start, start or 0)

    def processed(self, source: str, offset: int) -> None:
        state = self._sources.setdefault(source, _Source(assigned_at=self._clock()))
        state.next_offset = offset + 1
        state.announced = False

    def read_to_end(self, ends: Mapping[str, int], highwater: Callable[[str], int | None]) -> list[str]:
        """Of the sources a batch reads up to ``ends`` (next offset), those it reads to the end.

        Changes nothing: the batch's message can carry them, and once it is sent
        ``forwarded`` records the batch and the announcement together, so the timer never
        announces a source idle ahead of events not sent yet.
        """
        return sorted(name for name, end in ends.items() if (mark := highwater(name)) is not None and end >= mark)

    def forwarded(self, ends: Mapping[str, int], announced: Iterable[str] = ()) -> None:
        """A batch read up to ``ends`` has been sent, announcing ``announced`` idle with it."""
        for name, end in ends.items():
            self.processed(name, end - 1)
        for name in announced:
            self._sources[name].announced = True

    def to_announce(self, highwater: Callable[[str], int | None]) -> list[str]:
        """Sources to announce idle now (each once, until it processes again)."""
        now = self._clock()
        due: list[str] = []
        for name, state in sorted(self._sources.items()):
            if state.announced:
                continue
            mark = highwater(name)
            if mark is not None:
                position = state.next_offset if state.next_offset is not None else state.start
                caught_up = position >= mark
            else:  # no high watermark reported: only a partition never read from goes on time
                caught_up = state.next_offset is None and now - state.assigned_at >= self.grace_s
            if caught_up:
                state.announced = True
                due.append(name)
        return due
