"""The worker's consumer takes its fetch wait from settings, not Faust's fixed 1,500 ms."""

from __future__ import annotations

import asyncio

from streams.settings import load_settings
from streams.worker.app import base_app


def _fetch_wait_of_new_consumer(fetch_max_wait_ms: int) -> int:
    settings = load_settings(worker={"fetch_max_wait_ms": fetch_max_wait_ms, "app_id": "test-fetch-wait"})

    async def build() -> int:
        app = base_app(settings, "127.0.0.1:1")  # nothing listens there: the consumer is built, never started
        consumer = app.consumer._thread._create_worker_consumer(app.transport)
        return consumer._fetch_max_wait_ms

    return asyncio.run(build())


def test_worker_consumer_uses_the_configured_fetch_wait() -> None:
    assert _fetch_wait_of_new_consumer(42) == 42
    assert _fetch_wait_of_new_consumer(700) == 700


def test_default_fetch_wait_is_short() -> None:
    assert load_settings().worker.fetch_max_wait_ms <= 100
