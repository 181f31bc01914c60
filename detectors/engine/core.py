"""The detection engine: one implementation for the live stream and for replay.

``Engine.process(events)`` takes a micro-batch of decoded events, of any size, and
returns the alerts that are new or changed. What makes the answer independent of batch
size, redelivery and arrival order within a timestamp:

* **Duplicates** (a redelivered ``event_id``) are dropped before anything sees them.
* **Same-timestamp groups are never split.** Events at the latest event time seen are
  held back until a later event time arrives (or ``flush()``, or the caller says no
  earlier event can still come: ``complete_before``), then processed together,
  sorted by (event time, event_id). Reference records (registry, screening list) are
  applied in that order too, so a trade event always sees the registry as of its time,
  and detectors hear of reference changes once per reference timestamp.
* **Detectors are functions of the facts seen so far**, and fusion is order-independent
  (see ``detectors.alerts``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any, Protocol

from detectors.alerts import AlertBook, Finding
from detectors.engine.context import Reference
from detectors.engine.records import EventOrdered, TradeRecord
from detectors.engine.seen import SeenIds
from detectors.engine.shared import SharedRecords
from schemas import Alert, Entity, Event, Order, ScreeningEntry, Shipment

__all__ = ["Detector", "Engine", "ReferenceChange", "state_size_bytes"]


class ReferenceChange:
    """What a batch of reference records changed, for detectors that re-evaluate on it."""

    __slots__ = ("entities", "screening")

    def __init__(self) -> None:
        self.entities: set[str] = set()
        self.screening: bool = False

    def __bool__(self) -> bool:
        return bool(self.entities) or self.screening


class Detector(Protocol):
    """A pure detector. ``name`` is the family (``over_ordering``); findings carry ``name@version``."""

    name: str

    @property
    def tracked_parties(self) -> int:
        """Parties the detector holds state for (a health metric; never their ids)."""
        ...

    def observe(self, records: Sequence[TradeRecord], ref: Reference) -> list[Finding]: ...

    def on_reference_change(self, change: ReferenceChange, ref: Reference) -> list[Finding]: ...

    def to_state(self) -> dict[str, Any]: ...

    def load_state(self, state: dict[str, Any]) -> None: ...


def state_size_bytes(detector: Detector) -> int:
    """Bytes of a detector's state as compact JSON: what a snapshot of it weighs.

    Serialises everything, so it costs time in proportion to the state.
    """
    return len(json.dumps(detector.to_state(), separators=(",", ":"), default=str))


_EVENT_ID = attrgetter("event_id")
_EVENT_TIME = attrgetter("event_time")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Engine:
    def __init__(
        self,
        detectors: Sequence[Detector] | None = None,
        reference: Reference | None = None,
        records: SharedRecords | None = None,
    ) -> None:
        """``records``: trade records shared with other engines over the same events (a
        live worker's shards); by default this engine builds its own."""
        if detectors is None:
            from detectors.registry import default_detectors

            detectors = default_detectors()
        self.detectors = list(detectors)
        self.reference = reference or Reference()
        self.book = AlertBook()
        self._seen = SeenIds()
        self._records = records
        self._held: list[Event] = []
        self.events_processed = 0
        self.duplicates_dropped = 0

    def process(
        self,
        events: Iterable[Event],
        detected_at: dt.datetime | None = None,
        *,
        complete_before: dt.datetime | None = None,
    ) -> list[Alert]:
        """Feed a micro-batch; returns alerts that are new or changed.

        ``complete_before``: the caller knows that no more events earlier than this will
        come (a live shard's watermark), so the latest group need not wait for a later
        event time if it is earlier: it is processed now. Without it, the group at the
        latest event time is held back.
        """
        fresh: list[Event] = []
        for event in events:
            if not self._seen.add(event.event_id):
                self.duplicates_dropped += 1
                continue
            fresh.append(event)
        if not fresh and (complete_before is None or not self._held):
            return []
        pending = self._held + fresh
        latest = max(e.event_time for e in pending)
        if complete_before is not None and latest < complete_before:
            ready, self._held = pending, []
        else:
            ready = [e for e in pending if e.event_time < latest]
            self._held = [e for e in pending if e.event_time >= latest]
        return self._run(ready, detected_at)

    @property
    def held_ids(self) -> frozenset[str]:
        """Ids of events fed but not processed yet: the latest event time's group, held back."""
        return frozenset(e.event_id for e in self._held)

    def has_seen(self, event_id: str) -> bool:
        """True once an event id has been fed (a redelivery of it will be dropped)."""
        return event_id in self._seen

    def flush(self, detected_at: dt.datetime | None = None) -> list[Alert]:
        """Process what is held back (end of a replay, or an idle live stream)."""
        ready, self._held = self._held, []
        return self._run(ready, detected_at)

    def alerts(self) -> list[Alert]:
        return self.book.alerts()

    def _run(self, events: list[Event], detected_at: dt.datetime | None) -> list[Alert]:
        if not events:
            return []
        # (event time, event id) order by two stable sorts on C-level keys: no key tuple per event
        events.sort(key=_EVENT_ID)
        events.sort(key=_EVENT_TIME)
        findings: list[Finding] = []
        segment: list[TradeRecord] = []
        change = ReferenceChange()
        change_time: dt.datetime | None = None
        ref = self.reference
        for event in events:
            if isinstance(event, (Entity, ScreeningEntry)):
                if segment:
                    findings.extend(self._observe(segment))
                    segment = []
                if change and event.event_time != change_time:
                    # One change per reference timestamp: an entry listed then delisted
                    # later is seen as two changes whatever the batching.
                    findings.extend(self._reference_changed(change))
                    change = ReferenceChange()
                self._apply_reference(event, change)
                change_time = event.event_time
                continue
            if change:
                findings.extend(self._reference_changed(change))
                change = ReferenceChange()
            if isinstance(event, (Order, Shipment)):
                if self._records is not None:
                    segment.append(self._records.record(event, ref))
                elif isinstance(event, Order):
                    segment.append(ref.order(event))
                else:
                    segment.append(ref.shipment(event))
        if segment:
            findings.extend(self._observe(segment))
        if change:
            findings.extend(self._reference_changed(change))
        self.events_processed += len(events)
        return self.book.add(findings, detected_at or _utcnow())

    def _apply_reference(self, event: Entity | ScreeningEntry, change: ReferenceChange) -> None:
        if isinstance(event, Entity):
            if self.reference.apply_entity(event):
                change.entities.add(event.entity_id)
        elif self.reference.screening.apply(event):
            change.screening = True

    def _observe(self, records: list[TradeRecord]) -> list[Finding]:
        records = EventOrdered(records)  # built from events ``_run`` sorted
        findings: list[Finding] = []
        for detector in self.detectors:
            findings.extend(detector.observe(records, self.reference))
        return findings

    def _reference_changed(self, change: ReferenceChange) -> list[Finding]:
        findings: list[Finding] = []
        for detector in self.detectors:
            findings.extend(detector.on_reference_change(change, self.reference))
        return findings
