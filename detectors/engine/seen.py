"""Which event ids the engine has already fed: redelivery detection in 8 bytes an id.

A set of the ids themselves costs about 100 bytes an event (the string and its slot),
which is a gigabyte at 10M events of history. Here each id is a 64-bit BLAKE2b digest:
recent ones in a Python set, older ones folded into one sorted array of unsigned
64-bit integers (8 bytes each) whenever the set reaches ``fold_at``. A lookup is a set
probe and a binary search within one bucket of the array: digests are uniform, so their
top bits say where in the array a digest can be, and a small table (half a byte an id)
gives each top-bits value's first position. At 10M ids a bisection over the whole 80 MB
array read ~24 scattered entries per event; within a bucket of ~16 it reads one or two
cache lines after the table's one.

The price is the odds that two different ids share a digest, which would drop the
second event as a redelivery: about n^2 / 2^65, so 3 in a million over 10M events and
3 in 10^10 over 100k. Digests are stable across processes (unlike ``hash()``), so the
same history drops the same events in every worker and in replay.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left

import numpy as np

__all__ = ["SeenIds", "id_digest"]


def id_digest(event_id: str) -> int:
    """The 64-bit digest an event id is remembered by.

    Memoised for recent ids: a live worker asks for each event's digest ten times (five
    detection shards, each checking for a redelivery and then remembering the id), and a
    dictionary probe is an order of magnitude cheaper than hashing again.
    """
    digest = _recent_digests.get(event_id)
    if digest is None:
        if len(_recent_digests) >= _RECENT_DIGESTS_MAX:
            _recent_digests.clear()
        digest = _recent_digests[event_id] = int.from_bytes(
            hashlib.blake2b(event_id.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little"
        )
    return digest


_recent_digests: dict[str, int] = {}
_RECENT_DIGESTS_MAX = 65_536


class SeenIds:
    """A set of event ids that only grows (``add`` and ``in``), held as digests."""

    __slots__ = ("_recent", "_folded", "_starts", "_shift", "fold_at")

    def __init__(self, fold_at: int = 200_000) -> None:
        self.fold_at = fold_at
        self._recent: set[int] = set()
        # sorted; a typed memoryview over a numpy array, which bisect reads without building
        # numpy scalars and a fold hands over without copying (an array("Q") copy took
        # 0.2 s a fold at 6M ids)
        self._folded = _as_view(np.empty(0, dtype=np.uint64))
        # bucket b (the digests whose top bits, ``digest >> _shift``, are b) is
        # ``_folded[_starts[b]:_starts[b + 1]]``
        self._starts = _as_view(np.zeros(2, dtype=np.uint64))
        self._shift = 64

    def __len__(self) -> int:
        return len(self._recent) + len(self._folded)

    def __contains__(self, event_id: str) -> bool:
        return self._has(id_digest(event_id))

    def add(self, event_id: str) -> bool:
        """Remember ``event_id``; False when it was already there (a redelivery)."""
        digest = id_digest(event_id)
        if self._has(digest):
            return False
        self._recent.add(digest)
        if len(self._recent) >= self.fold_at:
            self._fold()
        return True

    def _has(self, digest: int) -> bool:
        if digest in self._recent:
            return True
        bucket = digest >> self._shift
        starts = self._starts
        high = starts[bucket + 1]
        folded = self._folded
        at = bisect_left(folded, digest, starts[bucket], high)
        return at < high and folded[at] == digest

    def _fold(self) -> None:
        # A merge, not a sort of everything: only the recent digests are sorted, then
        # inserted where they belong (linear in the folded array, which a fold at 10M ids
        # would otherwise sort again, fifty times over). Recent ids are never folded already.
        recent = np.sort(np.fromiter(self._recent, dtype=np.uint64, count=len(self._recent)))
        folded = np.frombuffer(self._folded, dtype=np.uint64)
        merged = np.insert(folded, np.searchsorted(folded, recent), recent)
        self._folded = _as_view(merged)
        self._recent = set()
        if _bits_for(len(merged)) == 64 - self._shift:
            self._shift_starts(recent)
        else:
            self._index(merged)

    def _index(self, folded: np.ndarray) -> None:
        """Bucket the sorted digests by their top bits, ~``_PER_BUCKET`` digests a bucket."""
        bits = _bits_for(len(folded))
        self._shift = 64 - bits
        tops = folded >> np.uint64(self._shift) if bits else np.zeros(len(folded), dtype=np.uint64)
        starts = np.searchsorted(tops, np.arange((1 << bits) + 1, dtype=np.uint64), side="left")
        self._starts = _as_view(starts.astype(np.uint64))

    def _shift_starts(self, recent: np.ndarray) -> None:
        """The bucket table after ``recent`` joined the array, with the same top bits: each
        bucket starts later by the number of recent digests in the buckets before it.

        Reads the recent digests and the table, not the whole array: rebuilding the table
        from the array (``_index``) took a shift of every digest and a bisection per bucket,
        43% of a fold late in the 10M-event replay. Only when the array has grown enough
        for one more top bit (every doubling) is the table built anew.
        """
        if self._shift < 64:
            tops = (recent >> np.uint64(self._shift)).astype(np.intp)
        else:  # one bucket (a shift by 64 is undefined)
            tops = np.zeros(len(recent), dtype=np.intp)
        buckets = len(self._starts) - 1
        before = np.zeros(buckets + 1, dtype=np.uint64)
        before[1:] = np.cumsum(np.bincount(tops, minlength=buckets))
        self._starts = _as_view(np.frombuffer(self._starts, dtype=np.uint64) + before)


def _bits_for(size: int) -> int:
    """Top bits that give ~``_PER_BUCKET`` of ``size`` digests a bucket (at most 32)."""
    return min(32, (size // _PER_BUCKET).bit_length())


def _as_view(digests: np.ndarray) -> memoryview:
    return memoryview(digests).cast("B").cast("Q")


#: Digests per bucket of the folded array, on average: a bisection of ~4 steps in 1-2
#: cache lines, for a table of 8 / 16 = half a byte an id.
_PER_BUCKET = 16
