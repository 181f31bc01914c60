"""The contract's topics and what each one carries, as data.

Topic names come from ``events-v1.md``. Which event types a topic accepts is part of the
contract too: an ``entity`` record on a trade topic would never be compacted by its key,
so it is dead-lettered as ``wrong_topic`` rather than half-processed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from streams.settings import Settings

__all__ = [
    "ORDERS",
    "SHIPMENTS",
    "ENTITIES",
    "SCREENING",
    "ALERTS",
    "DEADLETTER",
    "INPUT_TOPICS",
    "TOPIC_FOR_EVENT_TYPE",
    "ACCEPTED_EVENT_TYPES",
    "TopicSpec",
    "contract_topics",
    "detection_topic",
]

ORDERS = "trade.orders.v1"
SHIPMENTS = "trade.shipments.v1"
ENTITIES = "ref.entities.v1"
SCREENING = "ref.screening.v1"
ALERTS = "alerts.v1"
DEADLETTER = "deadletter.v1"

INPUT_TOPICS: tuple[str, ...] = (ORDERS, SHIPMENTS, ENTITIES, SCREENING)
TOPIC_FOR_EVENT_TYPE: dict[str, str] = {
    "order": ORDERS,
    "shipment": SHIPMENTS,
    "entity": ENTITIES,
    "screening_entry": SCREENING,
}
ACCEPTED_EVENT_TYPES: dict[str, frozenset[str]] = {
    ORDERS: frozenset({"order"}),
    SHIPMENTS: frozenset({"shipment"}),
    ENTITIES: frozenset({"entity"}),
    SCREENING: frozenset({"screening_entry"}),
}


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


def contract_topics(settings: Settings) -> list[TopicSpec]:
    """Every topic of the contract with its partition count and explicit configs."""
    t = settings.topics
    retention_bytes = str(t.retention_bytes)

    def deleting(name: str, partitions: int, retention_ms: int) -> TopicSpec:
        return TopicSpec(
            name,
            partitions,
            {"cleanup.policy": "delete", "retention.ms": str(retention_ms), "retention.bytes": retention_bytes},
        )

    def compacted(name: str) -> TopicSpec:
        # Reference data is current state keyed by id: keep the latest record forever.
        return TopicSpec(
            name,
            t.reference_partitions,
            {"cleanup.policy": "compact", "retention.ms": "-1", "retention.bytes": "-1"},
        )

    return [
        deleting(ORDERS, t.orders_partitions, t.trade_retention_ms),
        deleting(SHIPMENTS, t.shipments_partitions, t.trade_retention_ms),
        compacted(ENTITIES),
        compacted(SCREENING),
        deleting(ALERTS, t.alerts_partitions, t.alerts_retention_ms),
        deleting(DEADLETTER, t.deadletter_partitions, t.deadletter_retention_ms),
    ]


def detection_topic(settings: Settings) -> TopicSpec:
    """The worker group's internal log: valid events and idle marks, one partition per family.

    Every detection shard (partition ``i`` runs ``detectors.registry.FAMILIES[i]``) reads
    every valid event, and rebuilds its state from this log when it moves between workers,
    so it keeps events as long as the trade topics do.
    """
    from detectors.registry import FAMILIES

    t = settings.topics
    return TopicSpec(
        f"{settings.worker.app_id}.detection.v1",
        len(FAMILIES),
        {"cleanup.policy": "delete", "retention.ms": str(t.trade_retention_ms), "retention.bytes": str(t.retention_bytes)},
    )
