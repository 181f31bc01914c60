"""Last-write-wins storage for reference records from compacted topics.

Reference topics (``ref.entities.v1``, ``ref.screening.v1``) are delivered at least once
and, after a rebalance or a replay, in no particular order. Keeping, per key, only the
record with the greatest ``(event_time, event_id)`` makes the final state a function of
the *set* of records seen: order and duplicates cannot change it. Tombstones
(``deleted=True``) are kept, not dropped, so that an older record arriving late cannot
bring a withdrawn one back to life.

The ``version`` digest is an XOR of per-record hashes over the live records, so it is
order-independent too, is maintained in O(1) per change, and is the same on every
replica holding the same content; caches key on it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import msgspec

from schemas.events import EventBase

__all__ = ["LatestRecords"]

R = TypeVar("R", bound=EventBase)

_STATE_FORMAT = 1


def _encoded(record: EventBase) -> bytes:
    return msgspec.json.encode(record)


def _fingerprint(record: EventBase) -> int:
    return int.from_bytes(hashlib.blake2b(_encoded(record), digest_size=16).digest(), "big")


def _supersedes(new: EventBase, old: EventBase) -> bool:
    """Whether ``new`` wins over ``old``: later business time, then greater event id.

    Two records with the same time and id should be the same delivery; if a producer
    breaks that promise, the encoded bytes decide so that the outcome is still
    independent of arrival order.
    """
    if new.event_time != old.event_time:
        return new.event_time > old.event_time
    if new.event_id != old.event_id:
        return new.event_id > old.event_id
    return _encoded(new) > _encoded(old)


def _is_tombstone(record: EventBase) -> bool:
    return getattr(record, "deleted", None) is True


class LatestRecords(Generic[R]):
    """The winning record per key, tombstones included, plus a content digest."""

    def __init__(self, record_type: type[R], key: Callable[[R], str]) -> None:
        self._type = record_type
        self._key = key
        self._latest: dict[str, R] = {}
        self._live: dict[str, R] = {}
        self._digest = 0
        self._version: tuple[int, str] = (0, f"{0:032x}")  # (digest, its text), asked per trade record

    def apply(self, record: R) -> tuple[bool, R | None]:
        """Store ``record`` if it wins; return (stored state changed, live record it replaced).

        The record is stored in its canonical form (as :meth:`records_from_state` would
        rebuild it: an ``int`` stake becomes a ``float``), so that the digest of a live
        state and of its restored snapshot are the same.
        """
        record = msgspec.convert(msgspec.to_builtins(record), self._type)
        key = self._key(record)
        current = self._latest.get(key)
        if current is not None and not _supersedes(record, current):
            return False, None
        self._latest[key] = record
        previous = self._live.pop(key, None)
        if previous is not None:
            self._digest ^= _fingerprint(previous)
        if not _is_tombstone(record):
            self._live[key] = record
            self._digest ^= _fingerprint(record)
        return True, previous

    @property
    def live(self) -> Mapping[str, R]:
        """Read-only view of the records that are not withdrawn, by key."""
        return MappingProxyType(self._live)

    def get(self, key: str) -> R | None:
        """The live record under ``key``, or ``None``: what ``live.get`` answers, without
        building a view (asked several times per trade record)."""
        return self._live.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._live

    def __len__(self) -> int:
        return len(self._live)

    @property
    def version(self) -> str:
        """Hex digest of the live content; equal content gives an equal digest."""
        digest, text = self._version
        if digest != self._digest:
            text = f"{self._digest:032x}"
            self._version = (self._digest, text)
        return text

    def to_state(self) -> dict[str, Any]:
        """JSON-able snapshot: every winning record (tombstones too), sorted by key."""
        return {
            "format": _STATE_FORMAT,
            "records": [msgspec.to_builtins(self._latest[key]) for key in sorted(self._latest)],
        }

    def records_from_state(self, state: Mapping[str, Any]) -> Iterable[R]:
        """Decode the records of a :meth:`to_state` snapshot (validating them again)."""
        if state.get("format") != _STATE_FORMAT:
            raise ValueError(f"unsupported state format {state.get('format')!r}")
        return [msgspec.convert(raw, self._type) for raw in state["records"]]
