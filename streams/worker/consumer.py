"""Faust's Kafka consumer with a configurable fetch wait: the longest a fetch idles at the broker.

Faust builds its aiokafka consumer with ``fetch_max_wait_ms=1500`` and no way to change
it. A broker should answer a fetch as soon as ``fetch_min_bytes`` (1) is there, so on a
Kafka cluster the wait only bounds idle polling. The embedded broker does not always:
measured on it, a consumer's first fetches on a topic were answered only when the wait ran
out, 716 ms after the message on average at 1,500 ms, 15 ms at 100 ms. The worker reads
twice (input topics, then the detection topic), so that alone put about a second between
publishing an event and its alert. Idle cost of a shorter wait: one more empty fetch
request per wait, per consumer.

The hook is aiokafka's private ``_fetch_max_wait_ms``, read when the consumer starts; a
version without it keeps Faust's value and logs that it did.
"""

from __future__ import annotations

import logging
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

__all__ = ["use_fetch_max_wait"]

log = logging.getLogger(__name__)


def _consumer_class(fetch_max_wait_ms: int) -> type:
    class FetchWaitThread(faust_aiokafka.AIOKafkaConsumerThread):
        def _create_worker_consumer(self, transport: Any) -> Any:
            consumer = super()._create_worker_consumer(transport)
            if hasattr(consumer, "_fetch_max_wait_ms"):
                consumer._fetch_max_wait_ms = fetch_max_wait_ms
            else:  # pragma: no cover - an aiokafka that renamed its attribute
                log.warning("aiokafka has no _fetch_max_wait_ms: fetches wait Faust's 1,500 ms")
            return consumer

    class FetchWaitConsumer(faust_aiokafka.Consumer):
        def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
            return FetchWaitThread(self, loop=self.loop, beacon=self.beacon)

    return FetchWaitConsumer


def use_fetch_max_wait(app: faust.App, fetch_max_wait_ms: int) -> None:
    """Make ``app``'s worker consumer wait at most ``fetch_max_wait_ms`` per fetch.

    Call before the app starts (the consumer is created on first use).
    """
    app.transport.Consumer = _consumer_class(fetch_max_wait_ms)  # type: ignore[misc]
