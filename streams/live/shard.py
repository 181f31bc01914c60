"""One detector family over its detection log: envelopes in, alerts out.

A shard's state is a pure function of the messages applied to it, in log order, so a
worker that takes over a partition rebuilds it exactly by applying the log from the
start (or from where its own copy stopped): nothing is snapshotted that could disagree
with the log. ``next_offset`` makes applying idempotent: a redelivered message is
skipped, so a rebuild can overlap the live stream.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from detectors.alerts import severity_rank
from detectors.engine import Engine, SharedRecords, state_size_bytes
from detectors.engine.core import Detector
from schemas import Alert, Event, ValidationError
from streams.live.decoded import SharedDecoding
from streams.live.sequencer import Sequencer

__all__ = ["DetectionShard", "StepResult"]


class StepResult:
    """Alerts from one step, and when the events the step processed reached the worker.

    ``raised`` is the part of ``alerts`` an on-call analyst is paged for: alerts seen for
    the first time, or at a higher severity than ever before (an update that only adds
    evidence is not raised again).
    """

    __slots__ = ("alerts", "ingested_at", "released", "raised")

    def __init__(self, alerts: list[Alert], ingested_at: dict[str, float], released: int, raised: list[Alert] | None = None) -> None:
        self.alerts = alerts
        self.ingested_at = ingested_at  # event_id -> ingest wall clock, for the events processed in this step
        self.released = released
        self.raised = raised if raised is not None else []

    def latency_from(self, alert: Alert) -> tuple[str, float] | None:
        """The event an alert's detection latency is measured from, and its ingest time.

        The newest evidence event this step processed, when there is one: it completed
        the pattern. An alert can also be completed by an event outside its evidence: a
        screening-list entry that makes earlier documents a match, or the first event past
        a licence grace period. Then it is the earliest event this step processed, which
        reached the worker no later than the one that completed the alert, so the
        latency is never understated. None for a step that processed nothing.
        """
        times = [(self.ingested_at[e], e) for e in alert.evidence if e in self.ingested_at]
        if times:
            at, event_id = max(times)
            return event_id, at
        if not self.ingested_at:
            return None
        event_id = min(self.ingested_at, key=lambda e: (self.ingested_at[e], e))
        return event_id, self.ingested_at[event_id]

    def ingest_time(self, alert: Alert) -> float | None:
        """Ingest time of the event the alert's latency is measured from (``latency_from``)."""
        found = self.latency_from(alert)
        return found[1] if found is not None else None


class DetectionShard:
    def __init__(
        self,
        family: str,
        detectors: Sequence[Detector],
        sources: Iterable[str] = (),
        records: SharedRecords | None = None,
        decoding: SharedDecoding | None = None,
    ) -> None:
        """``records`` and ``decoding``: shared with the worker's other shards, which read
        the same messages; by default the shard decodes and builds its own."""
        self.family = family
        self._decoding = decoding if decoding is not None else SharedDecoding(capacity=0)
        self.engine = Engine(detectors, records=records)
        self.sequencer = Sequencer(sources)
        self.next_offset = 0
        self.malformed = 0
        self.duplicates = 0
        self._flushed = True
        self._top_severity: dict[str, int] = {}  # alert_id -> highest severity rank raised
        self._unprocessed: dict[str, float] = {}  # event_id -> ingest time, fed to the engine and held back

    def apply(self, offset: int, value: bytes | None) -> None:
        """Apply one log message; messages before ``next_offset`` were applied already."""
        if offset < self.next_offset:
            return
        self.next_offset = offset + 1
        message = self._decoding.decode(value) if value is not None else None
        if message is None:
            self.malformed += 1
            return
        if message.kind == "idle":
            self.sequencer.idle(message.source)
            return
        for source, ingested_at, event in message.events:
            if isinstance(event, ValidationError):
                self.malformed += 1
                continue
            if self.engine.has_seen(event.event_id):
                self.duplicates += 1
                continue
            if not self.sequencer.add(source, event.event_time, event.event_id, (event, ingested_at)):
                self.duplicates += 1
        for source in message.idle:  # after the events: they were read before the end was seen
            self.sequencer.idle(source)

    def step(self, detected_at: dt.datetime) -> StepResult:
        """Run the detectors over what the watermark releases; flush when every source is idle."""
        released, drained = self.sequencer.release()
        events: list[Event] = [item[0] for item in released]
        pending = self._unprocessed
        for event, ingested_at in released:
            pending[event.event_id] = ingested_at
        # The watermark says nothing earlier can still come (bar late events, released at
        # once and counted), so the newest released group need not wait for a later one.
        complete_before = None if drained else self.sequencer.released_to
        alerts = self.engine.process(events, detected_at, complete_before=complete_before)
        if events:
            self._flushed = False
        if drained and not self._flushed:
            alerts.extend(self.engine.flush(detected_at))
            self._flushed = True
        held = self.engine.held_ids
        processed = {event_id: at for event_id, at in pending.items() if event_id not in held}
        self._unprocessed = {event_id: at for event_id, at in pending.items() if event_id in held}
        return StepResult(alerts, processed, len(events), self._raised(alerts))

    def _raised(self, alerts: list[Alert]) -> list[Alert]:
        raised = []
        for alert in alerts:
            rank = severity_rank(alert.severity)
            if rank > self._top_severity.get(alert.alert_id, -1):
                self._top_severity[alert.alert_id] = rank
                raised.append(alert)
        return raised

    def alerts(self) -> list[Alert]:
        """Every alert this shard has raised, latest version of each."""
        return self.engine.alerts()

    @property
    def tracked_parties(self) -> int:
        """Parties the shard's detectors hold state for (summed over its detectors)."""
        return sum(detector.tracked_parties for detector in self.engine.detectors)

    def state_bytes(self) -> int:
        """Size of the detectors' serialised state (what a snapshot would weigh).

        Serialises everything, so it costs time in proportion to the state: call it on a
        slow timer, not per scrape.
        """
        return sum(state_size_bytes(d) for d in self.engine.detectors)
