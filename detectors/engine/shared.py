"""Trade records built once per process for every engine that reads the same events.

A live worker runs one engine per detector family, and each sees every event: without
sharing, each builds the same record (party resolution, catalogue classification) five
times, about a sixth of the worker's time at 1,000 events/s. A record is a pure function
of its event and of the reference content it is built against: the entity registry
(whose ``version`` is a digest of its content, equal on every engine holding the same
entities) and the catalogue. So a record is shared only between engines whose registry
and catalogue are the same, for an equal event; anything else builds its own.

Records are immutable (frozen Structs), so sharing one cannot leak state between
engines. The engines of a worker process the same micro-batch one after another, so a
record is asked for again only within that batch: the owner calls :meth:`clear`
after each batch. ``capacity`` bounds it against a huge batch (a backlog drain: about
2.4 KB a record, so 65,536 records are ~155 MB). When full it stops adding rather than
evicting: the shards ask in the same order, and an oldest-first cache smaller than a
sequential scan would hit nothing, while a full one still shares its first ``capacity``.
"""

from __future__ import annotations

from detectors.engine.context import Reference
from detectors.engine.records import TradeRecord
from schemas import Order, Shipment

__all__ = ["SharedRecords"]


class SharedRecords:
    def __init__(self, capacity: int = 65_536) -> None:
        self.capacity = capacity
        self._records: dict[tuple[str, str, str], TradeRecord] = {}
        self.built = 0
        self.shared = 0

    def record(self, event: Order | Shipment, ref: Reference) -> TradeRecord:
        """``ref.order(event)`` or ``ref.shipment(event)``, built once per reference content."""
        key = (event.event_id, ref.registry.version, ref.catalogue.version)
        found = self._records.get(key)
        if found is not None and (found.event is event or found.event == event):
            self.shared += 1
            return found
        record = ref.order(event) if isinstance(event, Order) else ref.shipment(event)
        self.built += 1
        if len(self._records) < self.capacity or key in self._records:
            self._records[key] = record
        return record

    def clear(self) -> None:
        """Forget every record (after a batch every engine has processed)."""
        self._records.clear()

    def __len__(self) -> int:
        return len(self._records)
