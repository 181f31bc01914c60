"""Publishing contract events into their topics, optionally paced to a rate.

Used by ``chokepoint simulate --kafka`` and the demo. Keys follow the contract: trade
events by ``event_id`` (any key is allowed; the pipeline never relies on it), reference
records by their id so that compaction keeps the latest version of each.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from kafka import KafkaProducer

from streams.settings import Settings
from streams.topics import TOPIC_FOR_EVENT_TYPE

__all__ = ["PublishStats", "publish_events", "record_key", "JUNK_SAMPLES"]

#: Malformed messages the demo mixes in so that the dead-letter path is visible.
JUNK_SAMPLES: tuple[bytes, ...] = (
    b"not json",
    b'{"event_type": "order", "event_id": "junk-1"}',
    b"[1, 2, 3]",
    b'{"event_type": "invoice", "event_id": "junk-2", "event_time": "yesterday"}',
    b"\xff\xfe\x00garbage",
)
_KEY_FIELD = {"entity": "entity_id", "screening_entry": "entry_id"}


@dataclass
class PublishStats:
    sent: int = 0
    junk: int = 0
    by_topic: dict[str, int] = field(default_factory=dict)


def record_key(event: dict[str, Any]) -> bytes:
    return str(event.get(_KEY_FIELD.get(event.get("event_type", ""), "event_id"), "")).encode()


def _event_seconds(event: dict[str, Any]) -> float:
    value = event["event_time"]
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.timestamp()


def publish_events(
    events: Iterable[dict[str, Any]],
    settings: Settings,
    *,
    bootstrap_servers: str | None = None,
    rate: float | None = None,
    speed: float | None = None,
    junk_ratio: float = 0.0,
    seed: int = 0,
    should_stop: Callable[[], bool] = lambda: False,
    stats: PublishStats | None = None,
) -> PublishStats:
    """Send each event to its topic, paced by ``rate`` (events per wall-clock second) or
    ``speed`` (event-time seconds per wall-clock second: 86400 plays a day per second);
    neither: as fast as possible. Events should come in event-time order.

    ``stats`` is updated in place as messages go out, so another thread can watch it.
    """
    producer = KafkaProducer(
        bootstrap_servers=(bootstrap_servers or settings.bootstrap_servers()).split(","),
        acks="all",
        linger_ms=settings.kafka.linger_ms,
        **settings.kafka.kafka_python_config(),
    )
    encoder = msgspec.json.Encoder()
    rng = random.Random(seed)
    stats = stats if stats is not None else PublishStats()
    start = time.monotonic()
    first_time: float | None = None
    try:
        for event in events:
            if should_stop():
                break
            if speed:
                at = _event_seconds(event)
                first_time = at if first_time is None else first_time
                ahead = start + (at - first_time) / speed - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            topic = TOPIC_FOR_EVENT_TYPE[event["event_type"]]
            producer.send(topic, key=record_key(event), value=encoder.encode(event))
            stats.sent += 1
            stats.by_topic[topic] = stats.by_topic.get(topic, 0) + 1
            if junk_ratio and rng.random() < junk_ratio:
                producer.send(topic, key=b"junk", value=rng.choice(JUNK_SAMPLES))
                stats.junk += 1
            if rate:
                ahead = start + stats.sent / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        producer.flush()
    finally:
        producer.close()
    return stats
