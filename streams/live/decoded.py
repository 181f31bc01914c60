"""Detection messages decoded once per worker for all of its shards.

Every shard of a worker reads the same envelope (ingest sends one copy to each family's
partition), and each decoded and validated every event in it again: five times the
decode, and five equal-but-distinct objects per event, so the shared trade records
(:class:`detectors.engine.SharedRecords`) had to compare events field by field to be
sure they were the same. Decoded once, the shards get the same frozen event objects.

Keyed by the message's bytes: equal bytes decode to equal content, so sharing can never
give a shard anything but what it would have decoded itself. The owner clears the cache
after each batch every shard has applied; ``capacity`` bounds it against a huge batch,
and a full cache stops adding (the shards ask in the same order; see ``SharedRecords``).
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas import Event, ValidationError, decode
from streams.live.envelope import decode_envelope

__all__ = ["DecodedMessage", "SharedDecoding", "decode_message"]


@dataclass(frozen=True, slots=True)
class DecodedMessage:
    kind: str  # "events" | "idle"
    source: str  # for "idle"
    #: (source, ingested_at, the event or why it is invalid), in message order
    events: tuple[tuple[str, float, Event | ValidationError], ...]
    #: for "events": sources idle once these events are applied
    idle: tuple[str, ...] = ()


def decode_message(value: bytes) -> DecodedMessage | None:
    """A detection message with its events decoded, or None when it is not one."""
    envelope = decode_envelope(value)
    if envelope is None:
        return None
    events = tuple((item.source, item.ingested_at, decode(bytes(item.event))) for item in envelope.events)
    return DecodedMessage(envelope.kind, envelope.source, events, tuple(envelope.idle))


class SharedDecoding:
    def __init__(self, capacity: int = 128) -> None:
        """``capacity``: messages kept. One is up to 250 events (~500 KB decoded), and a
        worker's batch of 500 detection messages holds at most 100 distinct ones (five
        copies of each), so 128 covers a batch in at most ~64 MB."""
        self.capacity = capacity
        self._messages: dict[bytes, DecodedMessage | None] = {}
        self.decoded = 0
        self.shared = 0

    def decode(self, value: bytes) -> DecodedMessage | None:
        """``decode_message(value)``, decoded once while it is cached."""
        try:
            found = self._messages[value]
        except KeyError:
            pass
        else:
            self.shared += 1
            return found
        message = decode_message(value)
        self.decoded += 1
        if len(self._messages) < self.capacity:
            self._messages[value] = message
        return message

    def clear(self) -> None:
        """Forget every message (after a batch every shard has applied)."""
        self._messages.clear()

    def __len__(self) -> int:
        return len(self._messages)
