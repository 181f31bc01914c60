"""Event-time order across input partitions, from watermarks.

Replay sorts history by event time; live input arrives interleaved across partitions and
topics. To give the detectors the same sequence live as in replay, a shard buffers events
and releases them in ``(event_time, event_id)`` order once every *source* (input
partition) has moved past them: the watermark is the smallest latest-event-time over
sources that are not idle. Each source is in event-time order on its own (producers
publish in event-time order), so nothing earlier than the watermark can still come from
it. A source the ingest stage has read to its end is *idle* and holds nothing back;
when every source is idle, everything buffered is released (``drained``).

An event older than what was already released is *late*: released at once and counted,
never dropped. The state is a pure function of the calls made, so a shard rebuilt from
its log makes the same decisions.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

__all__ = ["Sequencer"]


class Sequencer:
    def __init__(self, sources: Iterable[str] = ()) -> None:
        self._latest: dict[str, dt.datetime | None] = {}
        self._idle: set[str] = set()
        # Buffered events in arrival order, sorted when released: arrivals are almost in
        # order already (each source is), so the sort is a near-linear merge, cheaper per
        # event than a heap push and pop (a shard buffers every event of the stream).
        self._pending: list[tuple[dt.datetime, str, Any]] = []
        self._buffered: set[str] = set()
        self._late: list[Any] = []
        self.released_to: dt.datetime | None = None  # everything earlier was released
        self.late_events = 0
        self.expect(sources)

    def expect(self, sources: Iterable[str]) -> None:
        """Sources that exist (all partitions of the input topics), heard from or not."""
        for source in sources:
            self._latest.setdefault(source, None)

    def __len__(self) -> int:
        return len(self._pending) + len(self._late)

    def add(self, source: str, event_time: dt.datetime, event_id: str, item: Any) -> bool:
        """Buffer one event; False if an event with this id is already buffered.

        A redelivered copy changes nothing: in particular it does not wake up a source
        that was announced idle, which would hold event time back for good.
        """
        if event_id in self._buffered:
            return False
        latest = self._latest.get(source)
        if latest is None or event_time > latest:
            self._latest[source] = event_time
        self._idle.discard(source)
        if self.released_to is not None and event_time < self.released_to:
            self._late.append(item)
            self.late_events += 1
            return True
        self._buffered.add(event_id)
        self._pending.append((event_time, event_id, item))
        return True

    def idle(self, source: str) -> None:
        self._latest.setdefault(source, None)
        self._idle.add(source)

    def watermark(self) -> dt.datetime | None:
        """Events strictly earlier than this can be released; None: nothing can yet."""
        active = [self._latest[s] for s in self._latest if s not in self._idle]
        if not active or None in active:
            return None
        return min(active)  # type: ignore[type-var]

    def drained(self) -> bool:
        """Every source is idle: nothing more is coming for now."""
        return bool(self._latest) and self._idle >= self._latest.keys()

    def release(self) -> tuple[list[Any], bool]:
        """Items now safe to process, in (event_time, event_id) order; and ``drained``."""
        out, self._late = self._late, []
        drained = self.drained()
        mark = None if drained else self.watermark()
        pending = self._pending
        if pending and (drained or mark is not None):
            # Entries compare by (time, id), unique among buffered events, so the items are
            # never compared; what stayed buffered is sorted already, so this merges runs.
            pending.sort()
            cut = len(pending) if drained else bisect_left(pending, (mark,))
            if cut:
                ready, self._pending = pending[:cut], pending[cut:]
                buffered = self._buffered
                for _, event_id, item in ready:
                    buffered.discard(event_id)
                    out.append(item)
                newest = ready[-1][0]
                if self.released_to is None or newest > self.released_to:
                    self.released_to = newest
        if mark is not None and (self.released_to is None or mark > self.released_to):
            self.released_to = mark
        return out, drained

