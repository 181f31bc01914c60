"""The Faust application: ingest (validate, dead-letter, fan out) -> detection shards -> alerts.

Built by a factory from ``Settings`` (no module-level app), so tests can run several
workers with their own settings and metrics.

Topology::

    trade.orders.v1, trade.shipments.v1,      chokepoint.ingest     <app>.detection.v1        chokepoint.detect
    ref.entities.v1, ref.screening.v1    ──►  validate, fan out ──► one partition per  ──►  shard per family ──► alerts.v1
                                              │                     detector family          (watermark, engine)
                                              └──► deadletter.v1

Why one partition per *family* rather than per party: the families share no alerts, and
each sees every event in event-time order exactly as replay does, so live alerts equal
replay's whatever the number of workers. Keying by party would split patterns that span
parties (multi-hop chains, corporate groups, consolidation, peer baselines).
"""

from __future__ import annotations

import importlib.metadata
import logging
from pathlib import Path
from typing import Any

import faust
from faust.web import Request, Response, View

from detectors.thresholds import Thresholds
from streams.settings import Settings
from streams.topics import ALERTS, DEADLETTER, detection_topic
from streams.worker.consumer import use_fetch_max_wait
from streams.worker.detect import register_detect
from streams.worker.ingest import committed_offsets, register_ingest
from streams.worker.metrics import WorkerMetrics
from streams.worker.state_metrics import LagSource

__all__ = ["base_app", "create_app", "faust_broker_url", "faust_credentials"]

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


def base_app(settings: Settings, bootstrap_servers: str) -> faust.App:
    """A Faust app with this project's connection, serialisation and group settings."""
    w = settings.worker
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
        producer_linger=w.linger_ms / 1000.0,
        consumer_auto_offset_reset="earliest",
        topic_replication_factor=settings.kafka.replication_factor,
        topic_allow_declare=settings.kafka.create_topics,
        processing_guarantee=w.processing_guarantee,
    )
    use_fetch_max_wait(app, w.fetch_max_wait_ms)
    return app


def create_app(settings: Settings, bootstrap_servers: str, metrics: WorkerMetrics | None = None) -> faust.App:
    metrics = metrics or WorkerMetrics()
    app = base_app(settings, bootstrap_servers)
    Path(app.conf.datadir).mkdir(parents=True, exist_ok=True)  # Faust creates only the last level
    app.chokepoint_metrics = metrics  # type: ignore[attr-defined]
    spec = detection_topic(settings)
    detection = app.topic(spec.name, key_type=bytes, value_type=bytes, partitions=spec.partitions, internal=False)
    deadletters = app.topic(DEADLETTER, key_type=bytes, value_type=bytes, internal=False)
    alerts = app.topic(ALERTS, key_type=bytes, value_type=bytes, internal=False)
    shards = register_detect(app, settings, metrics, bootstrap_servers=bootstrap_servers, detection=detection, alerts=alerts)
    app.chokepoint_shards = shards  # type: ignore[attr-defined]
    register_ingest(
        app,
        settings,
        metrics,
        detection=detection,
        detection_partitions=spec.partitions,
        deadletters=deadletters,
        forwarded=shards.forwarded,
    )
    metrics.watch(lags=_lag_source(app, metrics))
    metrics.describe_worker(version=_package_version(), contract="v1", thresholds_version=Thresholds.load().version)
    _register_views(app, metrics)
    return app


def _package_version() -> str:
    try:
        return importlib.metadata.version("chokepoint")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _lag_source(app: faust.App, metrics: WorkerMetrics) -> LagSource:
    """Messages behind, per partition this worker holds: high watermark minus position.

    The position is the next offset the worker has *finished* (forwarded, or its alerts
    delivered), or Faust's committed offset before the first batch; a partition whose
    high watermark the consumer has not fetched yet is left out rather than guessed.
    """

    def lags() -> list[tuple[str, int, int]]:
        try:
            consumer = app.consumer
            assigned = sorted(consumer.assignment())
        except Exception:  # not started, or mid-rebalance
            return []
        committed = committed_offsets(consumer)
        out = []
        for tp in assigned:
            try:
                highwater = consumer.highwater(tp)
            except Exception:
                highwater = None
            position = metrics.positions.get((tp.topic, tp.partition))
            if position is None:
                position = committed.get(tp) or 0
            if highwater is not None:
                out.append((tp.topic, tp.partition, max(0, highwater - position)))
        return out

    return lags


def _register_views(app: faust.App, metrics: WorkerMetrics) -> None:
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
            count = len(app.consumer.assignment()) if assigned else 0
            return self.json({"ready": ready, "assigned_partitions": count}, status=200 if ready else 503)
