"""The worker's Prometheus metrics, in a registry of its own.

Every worker (and every test) builds its own ``WorkerMetrics`` so that counts never leak
between apps in one process. Labels are low-cardinality by construction: topic, event
type, reason kind, typology, severity, detector and family come from closed sets; never
a party name or an id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    from streams.live import DetectionShard

__all__ = ["WorkerMetrics"]

_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


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
        self.late_events = Gauge(
            "chokepoint_late_events", "Events that arrived after event time had passed them (processed late), by family.", ["family"], registry=r
        )
        self.redelivered = Gauge(
            "chokepoint_redelivered_events", "Redelivered events dropped by a detection shard, by family.", ["family"], registry=r
        )
        self.buffered = Gauge(
            "chokepoint_buffered_events", "Events waiting for the watermark in a detection shard, by family.", ["family"], registry=r
        )
        self.watermark = Gauge(
            "chokepoint_watermark_timestamp_seconds",
            "Event time up to which a detection shard has processed everything, by family.",
            ["family"],
            registry=r,
        )
        self.processed = Gauge(
            "chokepoint_shard_events", "Events a detection shard has processed, by family.", ["family"], registry=r
        )
        self.open_alerts = Gauge("chokepoint_shard_alerts", "Alerts a detection shard holds, by family.", ["family"], registry=r)

    def observe_shard(self, shard: DetectionShard) -> None:
        family = shard.family
        self.late_events.labels(family).set(shard.sequencer.late_events)
        self.redelivered.labels(family).set(shard.duplicates + shard.engine.duplicates_dropped)
        self.buffered.labels(family).set(len(shard.sequencer))
        if shard.sequencer.released_to is not None:
            self.watermark.labels(family).set(shard.sequencer.released_to.timestamp())
        self.processed.labels(family).set(shard.engine.events_processed)
        self.open_alerts.labels(family).set(len(shard.engine.book))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def snapshot(self) -> dict[str, dict[str, float]]:
        """Counts for the live summary and ``/stats/``: {"events": {"topic|type": n}, ...}."""
        out: dict[str, dict[str, float]] = {"events": {}, "invalid": {}, "alerts": {}, "shards": {}}
        for name, metric in (("events", self.events), ("invalid", self.invalid), ("alerts", self.alerts)):
            for family in metric.collect():
                for sample in family.samples:
                    if sample.name.endswith("_total"):
                        out[name]["|".join(sample.labels.values())] = sample.value
        for family in self.processed.collect():
            for sample in family.samples:
                out["shards"][sample.labels["family"]] = sample.value
        return out
