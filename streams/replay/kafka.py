"""``chokepoint replay --from-kafka``: the offline engine over what the input topics hold.

For investigations of what is already in the cluster: every input partition is read
from its first offset to its end, outside any consumer group (the workers' offsets are
untouched), through the same validation gate, then handed to the same engine as files.

"Its end" is the high watermark reported by fetches. ``end_offsets`` (ListOffsets) is
not used: the embedded broker answers it with a value that lags after multi-record
batches, which would silently cut the history short.
"""

from __future__ import annotations

from collections.abc import Iterator

from streams.settings import Settings
from streams.topics import INPUT_TOPICS

__all__ = ["iter_topic_messages"]


def iter_topic_messages(
    settings: Settings, bootstrap_servers: str, topics: tuple[str, ...] = INPUT_TOPICS, *, quiet_polls: int = 3
) -> Iterator[tuple[str, int, int, bytes | None]]:
    """``(topic, partition, offset, value)`` for every message now in ``topics``."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers.split(","),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=5000,
        **settings.kafka.kafka_python_config(),
    )
    try:
        tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        quiet = 0
        while True:
            batch = consumer.poll(500)
            for tp, records in batch.items():
                for record in records:
                    yield tp.topic, tp.partition, record.offset, record.value
            if batch:
                quiet = 0
                continue
            quiet += 1
            at_end = all((hw := consumer.highwater(tp)) is None or consumer.position(tp) >= hw for tp in tps)
            if at_end and quiet >= quiet_polls:
                return
    finally:
        consumer.close()
