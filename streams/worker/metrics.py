"""The worker's Prometheus metrics, in a registry of its own.

Every worker (and every test) builds its own ``WorkerMetrics`` so that counts never leak
between apps in one process. Labels are low-cardinality by construction: topic, event
type and reason kind come from closed sets; never a party name or an id.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

__all__ = ["WorkerMetrics"]


class WorkerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.events = Counter(
            "chokepoint_events_total",
            "Valid input events processed, by topic and event type.",
            ["topic", "event_type"],
            registry=self.registry,
        )
        self.invalid = Counter(
            "chokepoint_invalid_events_total",
            "Input messages that failed validation and went to the dead-letter topic, by reason.",
            ["topic", "reason"],
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "chokepoint_batch_size_events",
            "Events per micro-batch taken from an input topic.",
            buckets=(1, 5, 10, 50, 100, 250, 500, 1000, 2500),
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def snapshot(self) -> dict[str, dict[str, float]]:
        """Counts for the live summary and ``/stats/``: {"events": {"topic|type": n}, ...}."""
        out: dict[str, dict[str, float]] = {"events": {}, "invalid": {}}
        for name, metric in (("events", self.events), ("invalid", self.invalid)):
            for family in metric.collect():
                for sample in family.samples:
                    if sample.name.endswith("_total"):
                        out[name]["|".join(sample.labels.values())] = sample.value
        return out
