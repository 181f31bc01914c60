"""Stage one: validate every input message once, dead-letter the bad, fan out the good.

Runs on any number of workers (input partitions are shared by the group). The valid
events of each micro-batch go, each tagged with its source partition, to every
partition of the detection topic in one message, which also names the sources the batch
read to their end (idle); a timer announces sources that went quiet later. Sends are
awaited before the batch is acknowledged, and Faust flushes the producer before it commits, so
a worker killed at any point has either forwarded a message or will read it again.
Once the broker has a message, the shards this worker holds apply it at once
(``forwarded``: see ``streams.worker.detect``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Mapping

import faust

from schemas import encode
from streams.live import SourceProgress, events_envelope, idle_envelope, source_name
from streams.live.envelope import MAX_EVENTS_PER_MESSAGE
from streams.settings import Settings
from streams.topics import INPUT_TOPICS
from streams.validation import admit
from streams.worker.metrics import WorkerMetrics

__all__ = ["OnForwarded", "Sent", "committed_offsets", "register_ingest"]

#: One detection message a batch was sent as: (detection partition, the send's future, the envelope).
Sent = tuple[int, asyncio.Future, bytes]
#: What ingest calls with each batch's sends (the shards of this worker apply them once the
#: broker has them: ``streams.worker.detect``).
OnForwarded = Callable[[list[Sent]], Awaitable[None]]


def committed_offsets(consumer: object) -> Mapping:
    """TP -> the group's committed offset (next to read) as Faust learnt it at assignment.

    Faust keeps it in a private attribute; read it in this one place, and get ``{}`` from
    a Faust version that does not have it (callers then assume the start of the log).
    """
    return getattr(consumer, "_committed_offset", {})


_background: set[asyncio.Task] = set()


def _in_background(work: Awaitable[None]) -> None:
    """Run ``work`` without waiting for it (a reference is kept until it is done)."""
    task = asyncio.ensure_future(work)
    _background.add(task)
    task.add_done_callback(_background.discard)


def _highwater(app: faust.App, tp: object) -> int | None:
    """The partition's high watermark as of the consumer's last fetch; None if unknown."""
    try:
        return app.consumer.highwater(tp)
    except Exception:
        return None


def register_ingest(
    app: faust.App,
    settings: Settings,
    metrics: WorkerMetrics,
    *,
    detection: faust.TopicT,
    detection_partitions: int,
    deadletters: faust.TopicT,
    forwarded: OnForwarded | None = None,
) -> None:
    w = settings.worker
    inputs = app.topic(*INPUT_TOPICS, key_type=bytes, value_type=bytes)
    progress = SourceProgress(grace_s=w.idle_grace_s)
    fan_out = range(detection_partitions)

    @app.agent(inputs, name="chokepoint.ingest")
    async def ingest(stream: faust.StreamT) -> None:
        async for batch in stream.take_events(w.batch_size, within=w.batch_within_s):
            metrics.batch_size.observe(len(batch))
            received_at = dt.datetime.now(dt.timezone.utc)
            ingested_at = time.time()
            forward: list[tuple[str, object, float]] = []
            ends: dict[str, int] = {}  # source -> next offset once this batch is forwarded
            partitions: dict[str, object] = {}
            for event in batch:
                message = event.message
                source = source_name(message.topic, message.partition)
                ends[source] = message.offset + 1
                partitions[source] = message.tp
                valid, letter, kind = admit(
                    event.value, topic=message.topic, partition=message.partition, offset=message.offset, received_at=received_at
                )
                if letter is not None:
                    metrics.invalid.labels(message.topic, kind).inc()
                    # Keyed by source position: a redelivered bad message overwrites, not adds,
                    # for a consumer that de-duplicates by key.
                    key = f"{message.topic}:{message.partition}:{message.offset}".encode()
                    await deadletters.send(key=key, value=encode(letter))
                else:
                    metrics.events.labels(message.topic, kind).inc()
                    forward.append((source, valid, ingested_at))
            # sources this batch reads to their end go idle in its last message, not a
            # timer tick and a message later (they held back every shard's watermark)
            read_out = progress.read_to_end(ends, lambda source: _highwater(app, partitions[source])) if forward else []
            last = range(0, len(forward), MAX_EVENTS_PER_MESSAGE)[-1:] if forward else ()
            sent: list[Sent] = []
            for start in range(0, len(forward), MAX_EVENTS_PER_MESSAGE):
                idle = read_out if start in last else ()
                envelope = events_envelope(forward[start : start + MAX_EVENTS_PER_MESSAGE], idle)  # type: ignore[arg-type]
                for partition in fan_out:
                    sent.append((partition, await detection.send(key=None, value=envelope, partition=partition), envelope))
            if forwarded is not None and sent:
                _in_background(forwarded(sent))
            # only now are these offsets forwarded: the idle check must not run ahead of them
            progress.forwarded(ends, read_out)
            for event in batch:
                message = event.message
                metrics.processed(message.topic, message.partition, message.offset)

    @app.timer(w.idle_check_s)
    async def announce_idle() -> None:
        consumer = app.consumer
        if consumer is None or app.rebalancing:
            return
        try:
            assigned = [tp for tp in consumer.assignment() if tp.topic in INPUT_TOPICS]
        except Exception:  # consumer not started yet
            return
        marks, starts = {}, {}
        committed = committed_offsets(consumer)
        for tp in assigned:
            name = source_name(tp.topic, tp.partition)
            starts[name] = committed.get(tp)
            try:
                marks[name] = consumer.highwater(tp)
            except Exception:
                marks[name] = None
        progress.assign(starts)
        for source in progress.to_announce(marks.get):
            envelope = idle_envelope(source)
            for partition in fan_out:
                await detection.send(key=source.encode(), value=envelope, partition=partition)
