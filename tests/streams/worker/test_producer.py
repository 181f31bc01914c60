"""The worker's producer lingers ``worker.linger_ms``; the publisher ``kafka.linger_ms``."""

from __future__ import annotations

import asyncio

from streams.settings import load_settings
from streams.worker.app import base_app


def _linger_of_worker_producer(linger_ms: int) -> int:
    settings = load_settings(kafka={"linger_ms": 99}, worker={"app_id": "test-linger", "linger_ms": linger_ms})

    async def build() -> int:
        app = base_app(settings, "127.0.0.1:1")  # nothing listens there: settings only, never started
        return app.producer._settings_default()["linger_ms"]

    return asyncio.run(build())


def test_worker_producer_uses_the_configured_linger() -> None:
    assert _linger_of_worker_producer(25) == 25
    assert _linger_of_worker_producer(0) == 0


def test_default_lingers_batch_briefly() -> None:
    settings = load_settings()
    assert 0 < settings.kafka.linger_ms <= 20  # the publisher: one event a message
    assert 0 < settings.worker.linger_ms < settings.kafka.linger_ms  # the worker: batches already
