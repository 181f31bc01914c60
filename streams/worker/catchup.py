"""Reading a range of one partition, outside the consumer group: how a shard catches up.

When a worker is handed a detection partition, the messages before the first one its
consumer delivers were processed by someone else (or by itself before a crash). It reads
them here, straight from the log, to rebuild the shard's state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.settings import KafkaSettings

__all__ = ["read_range"]


async def read_range(
    kafka: KafkaSettings,
    bootstrap_servers: str,
    topic: str,
    partition: int,
    start: int,
    stop: int,
    *,
    stall_timeout_s: float = 60.0,
    read_committed: bool = False,
) -> AsyncIterator[list[tuple[int, bytes | None]]]:
    """Yield ``(offset, value)`` chunks for ``start <= offset < stop``."""
    if start >= stop:
        return
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers.split(","),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed" if read_committed else "read_uncommitted",
        **kafka.aiokafka_config(),
    )
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, start)
        position = start
        idle_s = 0.0
        while position < stop:
            records = (await consumer.getmany(tp, timeout_ms=1000, max_records=2000)).get(tp, [])
            chunk = [(r.offset, r.value) for r in records if start <= r.offset < stop]
            if not records:
                idle_s += 1.0
                if idle_s >= stall_timeout_s:
                    raise TimeoutError(f"{topic}:{partition} stalled at offset {position} of {stop}")
                continue
            idle_s = 0.0
            position = records[-1].offset + 1
            if chunk:
                yield chunk
    finally:
        await consumer.stop()
