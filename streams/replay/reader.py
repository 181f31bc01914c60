"""Reading replay input: JSON Lines (plain or gzip) and Parquet, validated, in event-time order.

Every input line passes the same gate as the live stream (``streams.validation.admit``);
what fails goes to the dead-letter list with its reason and position, and reading goes
on. Parquet rows are turned back into JSON by polars (in Rust) and decoded by the same
decoder, so both formats are validated identically.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

import numpy as np

from schemas import DeadLetter, Entity, Event, ScreeningEntry, ValidationError, decode
from streams.validation import admit

__all__ = ["Admission", "EventsInOrder", "ReplayInput", "read_events", "read_records", "iter_raw_messages"]

#: Rows converted from Parquet to JSON per slice (bounds memory on large files): replay
#: of 100k Parquet rows peaked at 1,071 MB with slices of 100,000 rows, 435 MB with 10,000,
#: in the same time.
_PARQUET_SLICE = 10_000


class EventsInOrder(Sequence[Event]):
    """The valid events in event-time order, kept as their raw JSON in a spool file and
    decoded again when read.

    A decoded event costs about 2.2 KB of Python objects and its raw JSON about 770
    bytes, so neither fits in memory for a long history (10M events: 7.7 GB of JSON).
    What stays in memory is about 24 bytes an event: where its JSON starts in the spool
    and how long it is, in input order and in event-time order. Decoding again costs
    ~3 us against the engine's ~200 us per event. Slices read and decode only what they cover, which is how the
    engine reads its micro-batches; the spool is an unlinked temporary file, gone when
    this object is.
    """

    __slots__ = ("_spool", "_starts", "_lengths")

    def __init__(self, raws: Iterable[bytes] = ()) -> None:
        spool = _Spool()
        for raw in raws:
            spool.append(raw)
        self._spool, self._starts, self._lengths = spool, spool.starts(), spool.lengths()

    @classmethod
    def _from_spool(cls, spool: _Spool, order: np.ndarray | None) -> EventsInOrder:
        """``order``: spool positions in event-time order; None when the spool is in that
        order already, and then the offsets are the spool's own arrays, not copies (at 10M
        events an 80 MB identity permutation and 120 MB of copies, allocated just when the
        detector state is largest)."""
        events = cls.__new__(cls)
        events._spool = spool
        if order is None:
            events._starts, events._lengths = spool.starts(), spool.lengths()
        else:
            events._starts, events._lengths = spool.starts()[order], spool.lengths()[order]
        return events

    def __len__(self) -> int:
        return len(self._starts)

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...

    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        if isinstance(index, slice):
            return [_decoded(raw) for raw in self.raw(index)]
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError("event index out of range")
        return _decoded(self.raw(slice(position, position + 1))[0])

    def __iter__(self) -> Iterator[Event]:
        for start in range(0, len(self), _READ_CHUNK):
            yield from self[start : start + _READ_CHUNK]

    def raw(self, index: slice) -> list[bytes]:
        """The raw JSON of a slice of the events, in event-time order."""
        return self._spool.read(self._starts[index], self._lengths[index])


#: Events decoded per chunk when iterating over all of them (a report, a test).
_READ_CHUNK = 10_000


class _Spool:
    """Raw messages appended to an unlinked temporary file; offsets kept as compact arrays."""

    __slots__ = ("_file", "_starts", "_lengths", "_size", "_pending", "_pending_bytes")

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="chokepoint-replay-", buffering=0)
        self._starts = array("q")
        self._lengths = array("i")  # a message is at most 1 MiB
        self._size = 0
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    def append(self, raw: bytes) -> None:
        self._starts.append(self._size)
        self._lengths.append(len(raw))
        self._size += len(raw)
        self._pending.append(raw)
        self._pending_bytes += len(raw)
        if self._pending_bytes >= _WRITE_BUFFER:
            self._write()

    def _write(self) -> None:
        if self._pending:
            data = memoryview(b"".join(self._pending))
            while data:  # an unbuffered write may take less than all of it
                data = data[self._file.write(data) :]
            self._pending, self._pending_bytes = [], 0

    def starts(self) -> np.ndarray:
        self._write()
        return np.frombuffer(self._starts, dtype=np.int64)

    def lengths(self) -> np.ndarray:
        return np.frombuffer(self._lengths, dtype=np.int32)

    def read(self, starts: np.ndarray, lengths: np.ndarray) -> list[bytes]:
        """Read the messages at ``starts``: runs that are contiguous in the file (input
        that was already in event-time order) are read with one call."""
        self._write()
        fd = self._file.fileno()
        out: list[bytes] = []
        count = len(starts)
        i = 0
        while i < count:
            j = i + 1
            end = int(starts[i] + lengths[i])
            while j < count and starts[j] == end and end - starts[i] < _READ_RUN:
                end += int(lengths[j])
                j += 1
            block = os.pread(fd, end - int(starts[i]), int(starts[i]))
            base = int(starts[i])
            for k in range(i, j):
                offset = int(starts[k]) - base
                out.append(block[offset : offset + int(lengths[k])])
            i = j
        return out


def _decoded(raw: bytes) -> Event:
    event = decode(raw)
    if isinstance(event, ValidationError):  # pragma: no cover - it was valid when read
        raise RuntimeError(f"a validated event no longer decodes: {event}")
    return event


#: Bytes gathered before one write to the spool, and the longest contiguous read.
_WRITE_BUFFER = 4 * 1024 * 1024
_READ_RUN = 16 * 1024 * 1024


@dataclass
class ReplayInput:
    events: EventsInOrder = field(default_factory=EventsInOrder)
    deadletters: list[DeadLetter] = field(default_factory=list)
    read: int = 0
    skipped_by_time: int = 0


def iter_raw_messages(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line or row number, raw JSON bytes) for every record of one input file."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        import polars as pl
        import pyarrow.parquet as pq

        # One batch of rows in memory at a time (pyarrow streams row group by row group,
        # whatever the file's layout): reading the whole file into one frame first
        # peaked at 1.9 GB for 1M rows, batches at 1.1 GB.
        row = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=_PARQUET_SLICE):
            text = pl.from_arrow(batch).write_ndjson()
            for line in text.encode("utf-8").splitlines():
                row += 1
                yield row, line
        return
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            line = line.rstrip(b"\r\n")
            if line.strip():
                yield number, line


def read_events(
    paths: Sequence[Path],
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    received_at: dt.datetime | None = None,
) -> ReplayInput:
    """Validate every record and return the valid events ordered by event time.

    Ties keep input order (files in the order given, then line order), as the contract
    says. ``since``/``until`` bound trade events; reference records (registry, screening)
    up to ``until`` are always kept, because detection needs the registry as it stood.
    """
    records = ((path.name, None, number, raw) for path in paths for number, raw in iter_raw_messages(path))
    return read_records(records, since=since, until=until, received_at=received_at)


def read_records(
    records: Iterable[tuple[str, int | None, int | None, bytes | None]],
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    received_at: dt.datetime | None = None,
) -> ReplayInput:
    """``read_events`` over ``(topic or file name, partition, offset or line, raw)`` records.

    A contract topic name restricts which event types it accepts, as in the live stream.
    """
    reader = Admission(since=since, until=until, received_at=received_at)
    for label, partition, number, raw in records:
        reader.admit(label, partition, number, raw)
    return reader.finish()


class Admission:
    """The reading gate, one record at a time: validate, dead-letter, bound by time, spool.

    ``admit`` returns each valid event in the window as it is read (a caller that finds
    the input already in event-time order can run it at once: see
    ``streams.replay.run.replay_files``); ``finish`` orders what was spooled.
    """

    def __init__(
        self, *, since: dt.datetime | None = None, until: dt.datetime | None = None, received_at: dt.datetime | None = None
    ) -> None:
        self.since, self.until = since, until
        self.received_at = received_at or dt.datetime.now(dt.timezone.utc)
        self.result = ReplayInput()
        self._spool = _Spool()
        self._times = array("q")  # event time in microseconds since the epoch (UTC), input order
        self.in_order = True  # every admitted event so far is at or after the one before

    def admit(self, label: str, partition: int | None, number: int | None, raw: bytes | None) -> Event | None:
        """The event if it is valid and inside the time bounds (and spooled), else None."""
        result = self.result
        result.read += 1
        event, letter, _ = admit(raw, topic=label, partition=partition, offset=number, received_at=self.received_at)
        if letter is not None:
            result.deadletters.append(letter)
            return None
        assert event is not None and raw is not None
        time = event.event_time
        if self.until is not None and time > self.until:
            result.skipped_by_time += 1
            return None
        if self.since is not None and time < self.since and not isinstance(event, (Entity, ScreeningEntry)):
            result.skipped_by_time += 1
            return None
        micros = (time - _EPOCH) // _MICROSECOND
        times = self._times
        if times and micros < times[-1]:
            self.in_order = False
        times.append(micros)
        self._spool.append(bytes(raw))
        return event

    def finish(self) -> ReplayInput:
        """The admitted events in event-time order; ties keep input order (a stable sort)."""
        order = None if self.in_order else np.argsort(np.frombuffer(self._times, dtype=np.int64), kind="stable")
        self.result.events = EventsInOrder._from_spool(self._spool, order)
        return self.result


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MICROSECOND = dt.timedelta(microseconds=1)
