"""The restricted-party list as the stream knows it, built from ``screening_entry`` events.

Same rules as the entity registry: the winning record per ``entry_id`` is the one with
the greatest ``(event_time, event_id)``, delisting is a remembered tombstone, and
re-delivery changes nothing, so every replica that saw the same records holds the same
list whatever the order. ``version`` is a digest of the live entries: continuous
re-screening compares it with the version a party was last screened against.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from detectors.parties._lww import LatestRecords
from schemas.events import ScreeningEntry

__all__ = ["ScreeningList"]


class ScreeningList:
    """Live screening entries by ``entry_id``, with a content version."""

    def __init__(self) -> None:
        self._records: LatestRecords[ScreeningEntry] = LatestRecords(ScreeningEntry, key=lambda entry: entry.entry_id)
        #: Event time of the newest record taken (listing or delisting): how fresh the list
        #: is. A maximum, so it does not depend on the order records arrived in.
        self.updated_at: dt.datetime | None = None

    @classmethod
    def of(cls, entries: Iterable[ScreeningEntry]) -> ScreeningList:
        """A list holding ``entries`` (convenience for tests and batch loads)."""
        screening_list = cls()
        for entry in entries:
            screening_list.apply(entry)
        return screening_list

    def apply(self, entry: ScreeningEntry) -> bool:
        """Take ``entry`` if it is newer than what is held; return whether state changed."""
        changed, _ = self._records.apply(entry)
        if changed and (self.updated_at is None or entry.event_time > self.updated_at):
            self.updated_at = entry.event_time
        return changed

    def counts_by_list(self) -> dict[str, int]:
        """Live entries per source list (``entity_list``, ``sdn``...)."""
        return dict(Counter(entry.list for entry in self._records.live.values()))

    def get(self, entry_id: str) -> ScreeningEntry | None:
        """The live entry, or ``None`` when unknown or delisted."""
        return self._records.live.get(entry_id)

    @property
    def entries(self) -> Mapping[str, ScreeningEntry]:
        """Read-only view of the live entries by id."""
        return self._records.live

    @property
    def version(self) -> str:
        """Digest of the live entries; equal content gives an equal version."""
        return self._records.version

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._records.live

    def __len__(self) -> int:
        return len(self._records.live)

    def __iter__(self) -> Iterator[ScreeningEntry]:
        """Live entries in id order."""
        live = self._records.live
        return (live[key] for key in sorted(live))

    def to_state(self) -> dict[str, Any]:
        """JSON-able snapshot (every winning record, tombstones included)."""
        return self._records.to_state()

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> ScreeningList:
        """Rebuild a list from :meth:`to_state` output."""
        screening_list = cls()
        for entry in screening_list._records.records_from_state(state):
            screening_list.apply(entry)
        return screening_list
