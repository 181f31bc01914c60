"""Reading replay input: JSON Lines (plain or gzip) and Parquet, validated, in event-time order.

Every input line passes the same gate as the live stream (``streams.validation.admit``);
what fails goes to the dead-letter list with its reason and position, and reading goes
on. Parquet rows are turned back into JSON by polars (in Rust) and decoded by the same
decoder, so both formats are validated identically.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import tempfile
import weakref
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

import numpy as np

from schemas import DeadLetter, Entity, Event, ScreeningEntry, ValidationError, decode
from streams.validation import admit

__all__ = ["Admission", "EventsInOrder", "ReplayInput", "read_events", "read_records", "file_records"]

#: Rows converted from Parquet to JSON per slice (bounds memory on large files): replay
#: of 100k Parquet rows peaked at 1,071 MB with slices of 100,000 rows, 435 MB with 10,000,
#: in the same time.
_PARQUET_SLICE = 10_000


class EventsInOrder(Sequence[Event]):
    """The valid events in event-time order, kept as the place of their raw JSON and
    decoded again when read.

    A decoded event costs about 2.2 KB of Python objects and its raw JSON about 770
    bytes, so neither fits in memory for a long history (10M events: 7.7 GB of JSON).
    What stays in memory is 12 bytes an event: where its JSON lies (``_Store``) and how
    long it is, in event-time order. Decoding again costs ~3 us against the engine's
    ~70 us per event. Slices read and decode only what they cover, which is how the
    engine reads its micro-batches.
    """

    __slots__ = ("_store", "_starts", "_lengths")

    def __init__(self, raws: Iterable[bytes] = ()) -> None:
        store = _Store()
        for raw in raws:
            store.copy(raw)
        self._store, self._starts, self._lengths = store, store.starts(), store.lengths()

    @classmethod
    def _from_store(cls, store: _Store, order: np.ndarray | None) -> EventsInOrder:
        """``order``: admission positions in event-time order; None when admission was in
        that order already, and then the offsets are the store's own arrays, not copies
        (at 10M events an 80 MB identity permutation and 120 MB of copies, allocated just
        when the detector state is largest)."""
        events = cls.__new__(cls)
        events._store = store
        if order is None:
            events._starts, events._lengths = store.starts(), store.lengths()
        else:
            events._starts, events._lengths = store.starts()[order], store.lengths()[order]
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
        return self._store.read(self._starts[index], self._lengths[index])


#: Events decoded per chunk when iterating over all of them (a report, a test).
_READ_CHUNK = 10_000


class _Store:
    """Where the raw JSON of every admitted event can be read back from, by address.

    A plain JSON Lines file is read again where the line lies (``add_file``): nothing is
    copied, so replaying a 10M-event file no longer writes another 7.7 GB to the
    temporary directory (the copy took ~2.5% of a replay's CPU time). What cannot be read at an
    offset (gzip, Parquet rows, Kafka messages, events handed over in memory) is copied
    to a spool, an unlinked temporary file (``copy``).

    Addresses are one number space: each input file from a base above the last one's end
    (with a gap wider than ``_READ_GAP``, so a read never runs from one file into the
    next), the spool from ``_SPOOL_BASE``. Input files are held open from the moment they
    are first read until the store is gone, so a file replaced or renamed meanwhile is
    still read as it was; one rewritten in place while a replay runs is not supported.
    """

    __slots__ = ("_bases", "_files", "_next_base", "_spool", "_starts", "_lengths", "__weakref__")

    def __init__(self) -> None:
        self._bases: list[int] = []  # of ``_files``, ascending
        self._files: list[int] = []  # descriptors, closed with the store
        weakref.finalize(self, _close_all, self._files)
        self._next_base = 0
        self._spool: _Spool | None = None
        self._starts = array("q")
        self._lengths = array("i")  # a message is at most 1 MiB

    def add_file(self, path: Path) -> tuple[int, io.BufferedReader]:
        """Open a plain input file: (its base address, a handle to read its lines from).

        Lines read from the handle are read back from the same open file.
        """
        handle = open(path, "rb")  # noqa: SIM115 - the store keeps a duplicate descriptor open
        try:
            size = os.fstat(handle.fileno()).st_size
            self._files.append(os.dup(handle.fileno()))
        except BaseException:
            handle.close()
            raise
        base = self._next_base
        self._bases.append(base)
        # Lines are read to the end of the handle: a file that grows while it is read has
        # more bytes than its size at opening, and the next base must be past them all.
        # ``close_file`` moves the next base once reading is done.
        self._next_base = base + size + _FILE_GAP
        return base, handle

    def close_file(self, base: int, read: int) -> None:
        """The file at ``base`` was read to ``read`` bytes: the next file starts after them."""
        self._next_base = max(self._next_base, base + read + _FILE_GAP)

    def keep(self, address: int, length: int) -> None:
        """An event whose raw JSON lies in an added file at ``address``."""
        self._starts.append(address)
        self._lengths.append(length)

    def copy(self, raw: bytes) -> None:
        """An event whose raw JSON can only be kept by copying it."""
        spool = self._spool
        if spool is None:
            spool = self._spool = _Spool()
        self._starts.append(_SPOOL_BASE + spool.append(raw))
        self._lengths.append(len(raw))

    def starts(self) -> np.ndarray:
        if self._spool is not None:
            self._spool.flush()
        return np.frombuffer(self._starts, dtype=np.int64)

    def lengths(self) -> np.ndarray:
        return np.frombuffer(self._lengths, dtype=np.int32)

    def read(self, starts: np.ndarray, lengths: np.ndarray) -> list[bytes]:
        """Read the messages at ``starts``: runs that are contiguous, or nearly (the lines
        of input that was already in event-time order, a line end apart), are read with
        one call."""
        if self._spool is not None:
            self._spool.flush()
        starts_, lengths_ = starts.tolist(), lengths.tolist()
        out: list[bytes] = []
        count = len(starts_)
        i = 0
        while i < count:
            base = starts_[i]
            end = base + lengths_[i]
            j = i + 1
            while j < count and 0 <= starts_[j] - end <= _READ_GAP and end - base < _READ_RUN:
                end = starts_[j] + lengths_[j]
                j += 1
            block = self._pread(base, end - base)
            for k in range(i, j):
                offset = starts_[k] - base
                out.append(block[offset : offset + lengths_[k]])
            i = j
        return out

    def _pread(self, address: int, size: int) -> bytes:
        if address >= _SPOOL_BASE:
            assert self._spool is not None
            fd, position = self._spool.fileno(), address - _SPOOL_BASE
        else:
            k = bisect_right(self._bases, address) - 1
            fd, position = self._files[k], address - self._bases[k]
        data = os.pread(fd, size, position)
        if len(data) != size:
            raise RuntimeError("an input file became shorter while it was replayed")
        return data


def _close_all(descriptors: list[int]) -> None:
    for fd in descriptors:
        os.close(fd)


#: Where the spool's addresses start: past any input file (2**62 bytes is 4 EiB).
_SPOOL_BASE = 1 << 62


class _Spool:
    """Raw messages appended to an unlinked temporary file, in batches of writes."""

    __slots__ = ("_file", "_size", "_pending", "_pending_bytes")

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="chokepoint-replay-", buffering=0)
        self._size = 0
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    def append(self, raw: bytes) -> int:
        """Queue ``raw`` for writing; returns its offset in the spool."""
        at = self._size
        self._size += len(raw)
        self._pending.append(raw)
        self._pending_bytes += len(raw)
        if self._pending_bytes >= _WRITE_BUFFER:
            self.flush()
        return at

    def flush(self) -> None:
        if self._pending:
            data = memoryview(b"".join(self._pending))
            while data:  # an unbuffered write may take less than all of it
                data = data[self._file.write(data) :]
            self._pending, self._pending_bytes = [], 0

    def fileno(self) -> int:
        return self._file.fileno()


def _decoded(raw: bytes) -> Event:
    event = decode(raw)
    if isinstance(event, ValidationError):  # pragma: no cover - it was valid when read
        raise RuntimeError(f"a validated event no longer decodes: {event}")
    return event


#: Bytes gathered before one write to the spool, and the longest contiguous read.
_WRITE_BUFFER = 4 * 1024 * 1024
_READ_RUN = 16 * 1024 * 1024
#: Bytes between two messages that one read still spans (reading them costs less than a
#: second system call): line ends, a blank or invalid line. Input files lie further apart.
_READ_GAP = 4096
_FILE_GAP = 2 * _READ_GAP


@dataclass
class ReplayInput:
    events: EventsInOrder = field(default_factory=EventsInOrder)
    deadletters: list[DeadLetter] = field(default_factory=list)
    read: int = 0
    skipped_by_time: int = 0


#: A record for ``Admission.admit``: (topic or file name, partition, offset or line or row
#: number, raw JSON, and where that JSON lies in an input file the admission's store
#: added, or None to copy it).
Record = tuple[str, int | None, int | None, bytes | None, int | None]


def file_records(paths: Sequence[Path], reader: Admission) -> Iterator[Record]:
    """Every record of ``paths``, in order, for ``reader``: a plain JSON Lines file is
    added to the reader's store and its lines are located, not copied (``_Store``)."""
    for path in paths:
        name = path.name.lower()
        if name.endswith(".parquet") or name.endswith(".gz") or not path.is_file():
            for number, raw in _copied_messages(path):
                yield path.name, None, number, raw, None
            continue
        base, handle = reader.store.add_file(path)
        position = base
        with handle:
            for number, line in enumerate(handle, 1):
                at = position
                position += len(line)
                line = line.rstrip(b"\r\n")
                if line.strip():
                    yield path.name, None, number, line, at
        reader.store.close_file(base, position - base)


def _copied_messages(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line or row number, raw JSON bytes) for every record of a file whose records
    cannot be read again at an offset: Parquet, gzip, or not a regular file (a pipe)."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        import polars as pl
        import pyarrow.parquet as pq

        # One batch of rows in memory at a time (pyarrow streams row group by row group,
        # whatever the file's layout): reading the whole file into one frame first
        # peaked at 1.9 GB for 1M rows, batches at 1.1 GB.
        row = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=_PARQUET_SLICE):
            text = io.BytesIO()  # UTF-8 bytes straight from polars, not a str encoded again
            pl.from_arrow(batch).write_ndjson(text)
            for line in text.getvalue().splitlines():
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
    reader = Admission(since=since, until=until, received_at=received_at)
    for record in file_records(paths, reader):
        reader.admit(*record)
    return reader.finish()


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
    """The reading gate, one record at a time: validate, dead-letter, bound by time, keep.

    ``admit`` returns each valid event in the window as it is read (a caller that finds
    the input already in event-time order can run it at once: see
    ``streams.replay.run.replay_files``); ``finish`` orders what was kept.
    """

    def __init__(
        self, *, since: dt.datetime | None = None, until: dt.datetime | None = None, received_at: dt.datetime | None = None
    ) -> None:
        self.since, self.until = since, until
        self.received_at = received_at or dt.datetime.now(dt.timezone.utc)
        self.result = ReplayInput()
        self.store = _Store()
        self._times = array("q")  # event time in microseconds since the epoch (UTC), input order
        self.in_order = True  # every admitted event so far is at or after the one before

    def admit(
        self, label: str, partition: int | None, number: int | None, raw: bytes | None, at: int | None = None
    ) -> Event | None:
        """The event if it is valid and inside the time bounds (and kept), else None.

        ``at``: where ``raw`` lies in a file this admission's store added (``file_records``);
        None to copy it."""
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
        if at is None:
            self.store.copy(bytes(raw))
        else:
            self.store.keep(at, len(raw))
        return event

    def finish(self) -> ReplayInput:
        """The admitted events in event-time order; ties keep input order (a stable sort)."""
        order = None if self.in_order else np.argsort(np.frombuffer(self._times, dtype=np.int64), kind="stable")
        self.result.events = EventsInOrder._from_store(self.store, order)
        return self.result


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MICROSECOND = dt.timedelta(microseconds=1)
