"""The worker's Prometheus metrics, in a registry of its own.

Every worker (and every test) builds its own ``WorkerMetrics`` so that counts never leak
between apps in one process. Two kinds of metric live here:

* **instruments** (counters, histograms) that the agents update as work happens;
* **state read at scrape time** (shards, consumer lag, screening list, model) by a
  collector (:mod:`streams.worker.state_metrics`) that reads the worker's live objects
  when Prometheus asks, so a gauge can never be stale.

Labels are low-cardinality by construction: topic, partition, event type, reason kind,
typology, severity, detector, family and list name come from closed sets; never a party
name or an id. ``tests/streams/worker/test_metrics.py`` checks the naming conventions.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, get_args

from prometheus_client import CollectorRegistry, Counter, Histogram, Info, generate_latest

from detectors.alerts import SEVERITIES
from detectors.registry import FAMILIES
from schemas._types import Typology
from streams.worker.state_metrics import LagSource, WorkerStateCollector

if TYPE_CHECKING:
    from streams.live import DetectionShard

__all__ = ["WorkerMetrics"]

_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
TYPOLOGIES: tuple[str, ...] = get_args(Typology)


class WorkerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events = Counter(
            "chokepoint_events_total", "Valid input events processed, by topic and event type.", ["topic", "event_type"], registry=r
        )
        self.invalid = Counter(
            "chokepoint_invalid_events_total",
            "Input messages that failed validation and went to the dead-letter topic, by reason.",
            ["topic", "reason"],
            registry=r,
        )
        self.batch_size = Histogram(
            "chokepoint_batch_size_events",
            "Events per micro-batch taken from an input topic.",
            buckets=(1, 5, 10, 50, 100, 250, 500, 1000, 2500),
            registry=r,
        )
        self.alerts = Counter(
            "chokepoint_alerts_published_total",
            "Alert versions published to alerts.v1 (new alerts and updates), by typology, severity and detector.",
            ["typology", "severity", "detector"],
            registry=r,
        )
        self.raised = Counter(
            "chokepoint_alerts_raised_total",
            "Alerts raised: seen for the first time, or at a higher severity than before. What pages an analyst.",
            ["typology", "severity"],
            registry=r,
        )
        self.republished = Counter(
            "chokepoint_alerts_republished_total",
            "Alerts published again after a shard caught up from its log (same ids, latest content), by family.",
            ["family"],
            registry=r,
        )
        self.detection_latency = Histogram(
            "chokepoint_detection_latency_seconds",
            "From the worker receiving the event that completed a pattern to its alert being published.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.detector_seconds = Histogram(
            "chokepoint_detector_step_seconds",
            "Time one detection shard spends on one micro-batch, by family.",
            ["family"],
            buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0),
            registry=r,
        )
        self.local_messages = Counter(
            "chokepoint_local_detection_messages_total",
            "Detection messages a shard applied from this worker's own ingest once the broker had them, "
            "before the consumer read them back, by family.",
            ["family"],
            registry=r,
        )
        self.rebuilds = Counter(
            "chokepoint_shard_rebuilds_total", "Times a detection shard caught up from its log, by family.", ["family"], registry=r
        )
        self.rebuild_seconds = Histogram(
            "chokepoint_shard_rebuild_seconds",
            "Time to catch a detection shard up from its log, by family.",
            ["family"],
            buckets=(0.1, 0.5, 1, 5, 10, 30, 60, 300),
            registry=r,
        )
        self.gc_pause = Histogram(
            "chokepoint_gc_pause_seconds",
            "Time the worker's event loop stood still in one garbage collection, by generation. "
            "A full (generation 2) collection walks every live object: detector state makes it the longest pause.",
            ["generation"],
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=r,
        )
        self._gc_started: float | None = None
        self.info = Info("chokepoint_worker", "What this worker runs: package version, contract and thresholds version.", registry=r)
        # Every closed-set combination starts at 0, so the first alert is an increase that
        # rate() and increase() can see (a series born at 1 is invisible to them).
        for typology in TYPOLOGIES:
            for severity in SEVERITIES:
                self.raised.labels(typology, severity)
        for generation in ("0", "1", "2"):
            self.gc_pause.labels(generation)
        for family in FAMILIES:
            self.rebuilds.labels(family)
            self.rebuild_seconds.labels(family)
            self.republished.labels(family)
            self.local_messages.labels(family)
        self.state = WorkerStateCollector()
        r.register(self.state)
        #: (topic, partition) -> next offset to process, for the consumer-lag gauge.
        self.positions: dict[tuple[str, int], int] = {}

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        """A ``gc.callbacks`` hook: the process entry point installs it (never a test's registry)."""
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._gc_started is not None:
            self.gc_pause.labels(str(info.get("generation", "?"))).observe(time.perf_counter() - self._gc_started)
            self._gc_started = None

    def describe_worker(self, *, version: str, contract: str, thresholds_version: str) -> None:
        self.info.info({"version": version, "contract": contract, "thresholds_version": thresholds_version})

    def watch(self, shards: Iterable[DetectionShard] | None = None, lags: LagSource | None = None) -> None:
        """Point the scrape-time collector at the worker's shards and consumer lag."""
        self.state.watch(shards, lags)

    def processed(self, topic: str, partition: int, offset: int) -> None:
        """The message at ``offset`` is done (forwarded, or its alerts delivered)."""
        self.positions[(topic, partition)] = offset + 1

    def published(self, alerts: Iterable, raised: Iterable) -> None:
        for alert in alerts:
            self.alerts.labels(alert.typology, alert.severity, alert.detector).inc()
        for alert in raised:
            self.raised.labels(alert.typology, alert.severity).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def snapshot(self) -> dict[str, dict[str, float]]:
        """Counts for the live summary and ``/stats/``: {"events": {"topic|type": n}, ...}."""
        out: dict[str, dict[str, float]] = {"events": {}, "invalid": {}, "alerts": {}, "shards": {}, "local": {}}
        for name, metric in (
            ("events", self.events), ("invalid", self.invalid), ("alerts", self.alerts), ("local", self.local_messages)
        ):
            for family in metric.collect():
                for sample in family.samples:
                    if sample.name.endswith("_total"):
                        out[name]["|".join(sample.labels.values())] = sample.value
        for shard in self.state.shards():
            out["shards"][shard.family] = shard.engine.events_processed
        return out
