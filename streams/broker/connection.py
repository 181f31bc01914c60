"""``kafka_connection``: the one way commands get a Kafka to talk to.

With ``kafka.bootstrap_servers`` configured it yields that cluster and starts nothing;
otherwise it starts the embedded broker for the duration of the block. Either way the
contract topics exist when the block begins (unless ``kafka.create_topics`` is off).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from streams.broker.admin import ensure_topics
from streams.broker.embedded import EmbeddedBroker
from streams.settings import Settings
from streams.topics import contract_topics

__all__ = ["kafka_connection"]


@contextlib.contextmanager
def kafka_connection(settings: Settings, *, log_path: Path | None = None) -> Iterator[str]:
    """Yield bootstrap servers with the contract topics in place."""
    if not settings.kafka.embedded:
        if settings.kafka.create_topics:
            ensure_topics(settings.kafka, contract_topics(settings))
        yield settings.kafka.bootstrap_servers
        return
    e = settings.embedded
    with EmbeddedBroker(e.host, e.port, binary=e.binary, start_timeout_s=e.start_timeout_s, log_path=log_path) as broker:
        ensure_topics(settings.kafka, contract_topics(settings), broker.bootstrap_servers)
        yield broker.bootstrap_servers
