"""The Faust application: input topics -> validation -> dead letters, counted.

Built by a factory from ``Settings`` (no module-level app), so tests can run several
workers with their own settings and metrics in one process or many.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import faust
from faust.web import Request, Response, View

from schemas import encode
from streams.settings import Settings
from streams.topics import DEADLETTER, INPUT_TOPICS
from streams.validation import admit
from streams.worker.metrics import WorkerMetrics

__all__ = ["create_app", "faust_broker_url", "faust_credentials"]

log = logging.getLogger(__name__)


def faust_broker_url(bootstrap_servers: str) -> str:
    return ";".join(f"kafka://{server.strip()}" for server in bootstrap_servers.split(",") if server.strip())


def faust_credentials(settings: Settings) -> Any:
    kafka = settings.kafka
    context = kafka.ssl_context()
    if kafka.security_protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        return faust.SASLCredentials(
            username=kafka.sasl_username,
            password=kafka.sasl_password.get_secret_value() if kafka.sasl_password else None,
            mechanism=kafka.sasl_mechanism or "PLAIN",
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def create_app(settings: Settings, bootstrap_servers: str, metrics: WorkerMetrics | None = None) -> faust.App:
    w = settings.worker
    metrics = metrics or WorkerMetrics()
    app = faust.App(
        w.app_id,
        broker=faust_broker_url(bootstrap_servers),
        broker_credentials=faust_credentials(settings),
        store="memory://",
        datadir=w.data_dir,
        key_serializer="raw",
        value_serializer="raw",
        web_host=w.web_host,
        web_port=w.web_port,
        web_bind=w.web_host,
        broker_session_timeout=w.session_timeout_s,
        broker_heartbeat_interval=w.heartbeat_interval_s,
        broker_client_id=settings.kafka.client_id,
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        topic_replication_factor=settings.kafka.replication_factor,
        topic_allow_declare=settings.kafka.create_topics,
    )
    Path(app.conf.datadir).mkdir(parents=True, exist_ok=True)  # Faust creates only the last level
    app.chokepoint_metrics = metrics  # type: ignore[attr-defined]
    deadletters = app.topic(DEADLETTER, key_type=bytes, value_type=bytes, internal=False)
    inputs = app.topic(*INPUT_TOPICS, key_type=bytes, value_type=bytes)

    @app.agent(inputs, name="chokepoint.validate")
    async def validate(stream: faust.StreamT) -> None:
        async for batch in stream.take_events(w.batch_size, within=w.batch_within_s):
            metrics.batch_size.observe(len(batch))
            received_at = dt.datetime.now(dt.timezone.utc)
            for event in batch:
                message = event.message
                valid, letter, kind = admit(
                    event.value,
                    topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                    received_at=received_at,
                )
                if letter is not None:
                    metrics.invalid.labels(message.topic, kind).inc()
                    # Keyed by source position: a redelivered bad message overwrites, not adds,
                    # for a consumer that de-duplicates by key.
                    key = f"{message.topic}:{message.partition}:{message.offset}".encode()
                    await deadletters.send(key=key, value=encode(letter))
                else:
                    metrics.events.labels(message.topic, kind).inc()

    @app.page("/metrics")
    class MetricsView(View):
        async def get(self, request: Request) -> Response:
            return self.bytes(metrics.exposition(), content_type="text/plain; version=0.0.4")

    @app.page("/stats/")
    class StatsView(View):
        async def get(self, request: Request) -> Response:
            return self.json(metrics.snapshot())

    @app.page("/health")
    class HealthView(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})

    @app.page("/ready")
    class ReadyView(View):
        async def get(self, request: Request) -> Response:
            assigned = bool(app.consumer.assignment()) if app.consumer else False
            ready = assigned and not app.rebalancing
            return self.json({"ready": ready, "assigned_partitions": len(app.consumer.assignment()) if assigned else 0}, status=200 if ready else 503)

    return app
