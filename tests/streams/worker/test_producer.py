"""The worker's producer batches for ``kafka.linger_ms``, not Faust's 0 (one batch a message)."""

from __future__ import annotations

import asyncio

from streams.settings import load_settings
from streams.worker.app import base_app


def _linger_of_worker_producer(linger_ms: int) -> int:
    settings = load_settings(kafka={"linger_ms": linger_ms}, worker={"app_id": "test-linger"})

    async def build() -> int:
        app = base_app(settings, "127.0.0.1:1")  # nothing listens there: settings only, never started
        return app.producer._settings_default()["linger_ms"]

    return asyncio.run(build())


def test_worker_producer_uses_the_configured_linger() -> None:
    assert _linger_of_worker_producer(25) == 25
    assert _linger_of_worker_producer(0) == 0


def test_default_linger_batches() -> None:
    assert 0 < load_settings().kafka.linger_ms <= 20
