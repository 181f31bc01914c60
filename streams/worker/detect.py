"""Stage two: one detection shard per family, fed from the detection topic, to ``alerts.v1``.

Partition ``i`` of the detection topic runs family ``FAMILIES[i]`` and is owned by one
worker at a time (the consumer group decides which). Its state is rebuilt from the log
when the worker first sees the partition, or caught up over the gap another worker
processed since this one last held it; after a catch-up every alert of the shard is
published again (same ids, latest content), so an alert whose publication died with a
worker is never lost, and no alert ever appears under a second id.

Alerts are keyed by ``alert_id``; sends are awaited before the batch is acknowledged.
Each carries a ``chokepoint-latency-from`` header naming the event its latency is measured
from, for the latency benchmark and for anyone tracing an alert back to its trigger.

**Local messages first.** A message this worker's ingest wrote to a partition whose
shard this worker holds is applied as soon as the broker has acknowledged it, at the
offset the broker gave it (``forwarded``), instead of when the consumer reads it back: that
round trip was the largest part of a live alert's latency (~100 ms at 1,000 events/s).
It is applied only if it is the very next offset the shard expects, so the shard still
applies its log in log order with no gap, and its state stays a pure function of the log
(a rebuild gives the same state); when the consumer delivers the message later, the
shard has it already and skips it. Not with transactions (``exactly_once``), where an
acknowledged message may still be aborted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time

import faust

from detectors.engine import SharedRecords
from detectors.registry import FAMILIES, family_detectors, preload
from schemas import Alert, encode
from streams.live import DetectionShard, source_name
from streams.live.decoded import SharedDecoding
from streams.live.shard import StepResult
from streams.settings import Settings
from streams.topics import INPUT_TOPICS
from streams.worker.catchup import read_range
from streams.worker.ingest import OnForwarded, Sent
from streams.worker.metrics import WorkerMetrics

__all__ = ["LATENCY_FROM_HEADER", "ShardSet", "register_detect"]

# Kafka header on a raised alert: the id of the event its detection latency is measured
# from (``StepResult.latency_from``). Outside the alert object, so the contract is unchanged.
LATENCY_FROM_HEADER = "chokepoint-latency-from"

log = logging.getLogger(__name__)


class ShardSet:
    """The shards this worker holds, kept across rebalances (their log position says how fresh)."""

    def __init__(self, app: faust.App, settings: Settings, bootstrap_servers: str, topic: str, metrics: WorkerMetrics) -> None:
        self.app = app
        self.settings = settings
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self.metrics = metrics
        self.shards: dict[int, DetectionShard] = {}
        # every shard reads every message: decode each once, build each trade record once
        self.decoding = SharedDecoding()
        self.records = SharedRecords()
        # held while shards apply, step and publish a batch: the consumer's batches and the
        # local messages (``forwarded``) take turns
        self.lock = asyncio.Lock()
        # set by ``register_detect``: feeds this worker's own detection messages to its shards
        self.forwarded: OnForwarded | None = None

    def holding(self, partition: int) -> DetectionShard | None:
        """The shard of ``partition`` if this worker is assigned the partition now."""
        shard = self.shards.get(partition)
        if shard is None:
            return None
        try:
            assigned = self.app.consumer.assignment()
        except Exception:  # not started, or mid-rebalance
            return None
        return shard if any(tp.topic == self.topic and tp.partition == partition for tp in assigned) else None

    def forget_batch(self) -> None:
        """Drop what the shards shared over the batch they have all processed."""
        self.decoding.clear()
        self.records.clear()

    def _sources(self) -> list[str]:
        """Every input partition: a shard waits for all of them, heard from or not."""
        t = self.settings.topics
        fallback = {
            INPUT_TOPICS[0]: t.orders_partitions,
            INPUT_TOPICS[1]: t.shipments_partitions,
            INPUT_TOPICS[2]: t.reference_partitions,
            INPUT_TOPICS[3]: t.reference_partitions,
        }
        sources = []
        for topic in INPUT_TOPICS:
            count = None
            try:
                count = self.app.consumer.topic_partitions(topic)
            except Exception:
                count = None
            sources.extend(source_name(topic, p) for p in range(count or fallback[topic]))
        return sources

    async def ready(self, partition: int, offset: int, publish) -> DetectionShard:
        """The shard for ``partition``, with every message before ``offset`` applied."""
        shard = self.shards.get(partition)
        if shard is None:
            family = FAMILIES[partition] if partition < len(FAMILIES) else f"unknown-{partition}"
            detectors = family_detectors(family) if partition < len(FAMILIES) else []
            shard = DetectionShard(family, detectors, self._sources(), records=self.records, decoding=self.decoding)
            self.shards[partition] = shard
        if shard.next_offset >= offset:
            return shard
        started = time.perf_counter()
        start = shard.next_offset
        exactly_once = self.settings.worker.processing_guarantee == "exactly_once"
        chunks = read_range(self.settings.kafka, self.bootstrap_servers, self.topic, partition, start, offset, read_committed=exactly_once)
        async for chunk in chunks:
            for message_offset, value in chunk:
                shard.apply(message_offset, value)
            shard.step(_now())
            await asyncio.sleep(0)  # keep the web endpoints and timers alive
        shard.next_offset = max(shard.next_offset, offset)
        elapsed = time.perf_counter() - started
        self.metrics.rebuilds.labels(shard.family).inc()
        self.metrics.rebuild_seconds.labels(shard.family).observe(elapsed)
        log.info("shard %s caught up over offsets %d..%d in %.2f s", shard.family, start, offset, elapsed)
        republished = shard.alerts()
        await publish([(republished, None)])
        self.metrics.republished.labels(shard.family).inc(len(republished))
        return shard


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def register_detect(
    app: faust.App,
    settings: Settings,
    metrics: WorkerMetrics,
    *,
    bootstrap_servers: str,
    detection: faust.TopicT,
    alerts: faust.TopicT,
) -> ShardSet:
    w = settings.worker
    preload()  # before the first message, not inside the event loop while draining
    shards = ShardSet(app, settings, bootstrap_servers, detection.get_topic_name(), metrics)

    async def publish(steps: list[tuple[list[Alert], StepResult | None]]) -> None:
        """Send the alerts of ``steps`` and wait for delivery of all of them at once.

        One wait for every shard of a batch, not one per shard: each wait costs the
        producer's linger plus a broker round trip, and the last shard's alerts would queue
        behind the others'. A step of None is a catch-up's republication (not raised).
        """
        pending, started = [], []
        for batch, step in steps:
            for alert in batch:
                origin = step.latency_from(alert) if step is not None else None
                headers = {LATENCY_FROM_HEADER: origin[0].encode()} if origin is not None else None
                pending.append(await alerts.send(key=alert.alert_id.encode(), value=encode(alert), headers=headers))
                if origin is not None:
                    started.append(origin[1])
        if pending:
            await asyncio.gather(*pending)  # delivered before the batch is acknowledged
        for batch, step in steps:
            metrics.published(batch, step.raised if step is not None else ())
        now = time.time()
        for at in started:
            metrics.detection_latency.observe(max(0.0, now - at))

    async def step_and_publish(touched: dict[int, DetectionShard]) -> None:
        """Step the shards that applied messages, publish what they raised, then mark
        their messages done."""
        steps: list[tuple[list[Alert], StepResult | None]] = []
        for shard in touched.values():
            started = time.perf_counter()
            result = shard.step(_now())
            metrics.detector_seconds.labels(shard.family).observe(time.perf_counter() - started)
            steps.append((result.alerts, result))
        await publish(steps)
        for partition, shard in touched.items():  # alerts delivered: these offsets are done
            metrics.processed(detection.get_topic_name(), partition, shard.next_offset - 1)
        shards.forget_batch()  # every shard has applied and stepped over this batch

    @app.agent(detection, name="chokepoint.detect")
    async def detect(stream: faust.StreamT) -> None:
        async for batch in stream.take_events(w.batch_size, within=w.batch_within_s):
            async with shards.lock:
                touched: dict[int, DetectionShard] = {}
                for event in batch:
                    message = event.message
                    shard = touched.get(message.partition)
                    if shard is None:
                        shard = await shards.ready(message.partition, message.offset, publish)
                        touched[message.partition] = shard
                    shard.apply(message.offset, event.value)
                await step_and_publish(touched)

    async def forwarded(sent: list[Sent]) -> None:
        """Apply this worker's own detection messages to the shards it holds, once the
        broker has them (see the module docstring): ``sent`` is (partition, the send's
        future, the message) per message, in the order they were sent."""
        try:
            delivered = await asyncio.gather(*(future for _, future, _ in sent))
        except Exception:  # the send failed: the ingest's own wait reports it
            return
        async with shards.lock:
            touched: dict[int, DetectionShard] = {}
            for (partition, _, value), metadata in zip(sent, delivered):
                shard = shards.holding(partition)
                if shard is not None and shard.next_offset == metadata.offset:
                    shard.apply(metadata.offset, value)
                    metrics.local_messages.labels(shard.family).inc()
                    touched[partition] = shard
            if touched:
                await step_and_publish(touched)

    if w.processing_guarantee != "exactly_once":
        shards.forwarded = forwarded

    @app.timer(min(w.state_metrics_s, 5.0))
    async def weigh_state() -> None:
        metrics.state.measure_one_due(w.state_metrics_s)

    metrics.watch(shards=shards.shards.values())
    return shards
