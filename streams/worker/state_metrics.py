"""Gauges read from the worker's live objects when Prometheus scrapes.

A custom collector (prometheus-client's ``Collector`` protocol: ``collect`` and
``describe``) rather than gauges set by the agents, because these are *state*: the
shards' watermarks and buffers, the detectors' tracked parties, the screening list,
the anomaly model, and the consumer's lag. Read at scrape time they are never stale and
cost nothing between scrapes. Scrapes run on the worker's event loop, between agent
steps, so they read a consistent shard.

Time:

* ``chokepoint_event_time_lag_seconds``: wall clock minus the shard's watermark. Live,
  how far behind real time detection is; on replayed history it is the data's age, so
  no rule pages on it (``ChokepointWatermarkStalled`` watches progress instead).
* ``chokepoint_screening_list_age_seconds``: the shard's watermark minus the newest list
  record's event time: how old the list was *as of the trades being screened*. Live it
  equals the wall-clock age; in a replay it is what the screening saw then.

The one expensive figure, serialised state size, is measured on a timer, one shard at a
time (:meth:`WorkerStateCollector.measure_one_due`), and only reported here.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric

if TYPE_CHECKING:
    from streams.live import DetectionShard

__all__ = ["LagSource", "WorkerStateCollector"]

#: Yields ``(topic, partition, messages behind)`` for every partition the worker holds.
LagSource = Callable[[], Iterable[tuple[str, int, int]]]


def _ts(moment: dt.datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def _timestamp(text: object) -> float | None:
    """An RFC 3339 time from model metadata, or ``None``: a bad field must not break a scrape."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class WorkerStateCollector:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._shards: Iterable[DetectionShard] = ()
        self._lags: LagSource | None = None
        self.state_bytes: dict[str, int] = {}
        self._weighed_at: dict[str, float] = {}  # family -> clock() when last weighed

    def watch(self, shards: Iterable[DetectionShard] | None, lags: LagSource | None) -> None:
        """``shards`` is read at every scrape: pass a live view (``dict.values()``)."""
        if shards is not None:
            self._shards = shards
        if lags is not None:
            self._lags = lags

    def shards(self) -> list[DetectionShard]:
        return sorted(self._shards, key=lambda shard: shard.family)

    def measure_state(self) -> None:
        """Serialise every shard's detector state to weigh it (slow: call on a timer)."""
        for shard in self.shards():
            self._weigh(shard)

    def measure_one_due(self, every_s: float) -> str | None:
        """Weigh at most one shard: one never weighed, else the stalest weighed ``every_s`` ago.

        Serialising a shard's state holds the event loop (~270 ms for transshipment after
        40k events), and every alert queued behind it arrives that much later. One shard
        per call, each at most every ``every_s``, keeps those stalls rare and short while
        a new shard's figure still appears at the next call. Returns the family weighed.
        """
        now = self.clock()
        due = [
            (self._weighed_at.get(shard.family, float("-inf")), shard.family, shard)
            for shard in self.shards()
            if now - self._weighed_at.get(shard.family, float("-inf")) >= every_s
        ]
        if not due:
            return None
        _, family, shard = min(due, key=lambda item: item[:2])
        self._weigh(shard)
        return family

    def _weigh(self, shard: DetectionShard) -> None:
        self.state_bytes[shard.family] = shard.state_bytes()
        self._weighed_at[shard.family] = self.clock()

    # -- Collector protocol ----------------------------------------------------------------

    def describe(self) -> Iterator[Metric]:
        yield from self._families().values()

    def collect(self) -> Iterator[Metric]:
        families = self._families()
        now = self.clock()
        for shard in self.shards():
            self._collect_shard(families, shard, now)
        if self._lags is not None:
            for topic, partition, lag in self._lags():
                families["lag"].add_metric([topic, str(partition)], lag)
        yield from families.values()

    def _collect_shard(self, f: dict[str, Metric], shard: DetectionShard, now: float) -> None:
        family = [shard.family]
        f["buffered"].add_metric(family, len(shard.sequencer))
        f["processed"].add_metric(family, shard.engine.events_processed)
        f["late"].add_metric(family, shard.sequencer.late_events)
        f["redelivered"].add_metric(family, shard.duplicates + shard.engine.duplicates_dropped)
        f["alerts"].add_metric(family, len(shard.engine.book))
        f["parties"].add_metric(family, shard.tracked_parties)
        if shard.family in self.state_bytes:
            f["state_bytes"].add_metric(family, self.state_bytes[shard.family])
        watermark = _ts(shard.sequencer.released_to)
        if watermark is not None:
            f["watermark"].add_metric(family, watermark)
            f["event_time_lag"].add_metric(family, max(0.0, now - watermark))
        screening = shard.engine.reference.screening
        for list_name, count in sorted(screening.counts_by_list().items()):
            f["screening_entries"].add_metric([shard.family, list_name], count)
        updated = _ts(screening.updated_at)
        if updated is not None:
            f["screening_updated"].add_metric(family, updated)
            if watermark is not None:
                f["screening_age"].add_metric(family, max(0.0, watermark - updated))
        for detector in shard.engine.detectors:
            version = getattr(detector, "model_version", None)
            if version is None:
                continue
            f["model"].add_metric([shard.family, detector.name], {"model_version": str(version)})
            trained_s = _timestamp(getattr(detector, "trained_at", None))
            if trained_s is not None:
                f["model_trained"].add_metric([shard.family, str(version)], trained_s)

    @staticmethod
    def _families() -> dict[str, Metric]:
        fam = ["family"]
        return {
            "buffered": GaugeMetricFamily(
                "chokepoint_shard_buffered_events", "Events waiting for the watermark in a detection shard.", labels=fam
            ),
            "processed": CounterMetricFamily(
                "chokepoint_shard_events_processed", "Events a detection shard has run its detectors on.", labels=fam
            ),
            "late": CounterMetricFamily(
                "chokepoint_late_events",
                "Events that arrived after event time had passed them (processed at once, out of order).",
                labels=fam,
            ),
            "redelivered": CounterMetricFamily(
                "chokepoint_redelivered_events", "Redelivered events a detection shard recognised and dropped.", labels=fam
            ),
            "alerts": GaugeMetricFamily("chokepoint_shard_alerts", "Alerts a detection shard holds (one per subject and pattern).", labels=fam),
            "parties": GaugeMetricFamily("chokepoint_tracked_parties", "Parties a detection shard's detectors hold state for.", labels=fam),
            "state_bytes": GaugeMetricFamily(
                "chokepoint_detector_state_bytes", "Serialised size of a shard's detector state (measured on a timer).", labels=fam
            ),
            "watermark": GaugeMetricFamily(
                "chokepoint_watermark_timestamp_seconds", "Event time up to which a detection shard has processed everything.", labels=fam
            ),
            "event_time_lag": GaugeMetricFamily(
                "chokepoint_event_time_lag_seconds", "Wall clock minus the shard's watermark.", labels=fam
            ),
            "screening_entries": GaugeMetricFamily(
                "chokepoint_screening_list_entries", "Live restricted-party list entries, by source list.", labels=["family", "list"]
            ),
            "screening_updated": GaugeMetricFamily(
                "chokepoint_screening_list_updated_timestamp_seconds",
                "Event time of the newest screening-list record (listing or delisting).",
                labels=fam,
            ),
            "screening_age": GaugeMetricFamily(
                "chokepoint_screening_list_age_seconds",
                "Age of the screening list as of the trades being screened: watermark minus its newest record.",
                labels=fam,
            ),
            "model": InfoMetricFamily("chokepoint_model", "The model a detector runs.", labels=["family", "detector"]),
            "model_trained": GaugeMetricFamily(
                "chokepoint_model_trained_timestamp_seconds", "When the model in use was trained.", labels=["family", "model_version"]
            ),
            "lag": GaugeMetricFamily(
                "chokepoint_consumer_lag_messages",
                "Messages on a partition this worker holds that it has not processed yet (high watermark minus position).",
                labels=["topic", "partition"],
            ),
        }
