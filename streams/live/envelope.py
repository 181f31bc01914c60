"""Messages on the detection topic: a batch of validated events, or "this source is idle".

The ingest stage validates input once and forwards the valid events of each micro-batch,
each tagged with the input partition it came from (its *source*) and when the worker
received it, to every detection shard in one message per shard: one Kafka message per
batch rather than per event is what keeps the fan-out cheap. It also announces when it
has read a source to its end, so that an idle partition does not hold back event time
(see :mod:`streams.live.sequencer`): in the batch's own message (``idle``, applied after
its events) for a source the batch read to its end, so a shard need not wait for a
separate announcement; in an ``idle`` message for one that has gone quiet since.

JSON, so that an operator can read the topic with any Kafka tool.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from schemas import Event, encode

__all__ = ["Envelope", "Forwarded", "events_envelope", "idle_envelope", "decode_envelope"]


class Forwarded(msgspec.Struct, frozen=True, array_like=True):
    source: str  # "trade.orders.v1:3"
    ingested_at: float  # worker wall clock (epoch seconds), for detection latency
    event: msgspec.Raw  # the contract event, re-encoded canonically


class Envelope(msgspec.Struct, frozen=True, omit_defaults=True):
    kind: str  # "events" | "idle"
    source: str = ""  # for "idle"
    events: list[Forwarded] = []
    idle: list[str] = []  # for "events": sources read to their end with these events


_decoder = msgspec.json.Decoder(Envelope)
_encoder = msgspec.json.Encoder()

#: Events per detection message: ~0.8 KB each keeps a message far below Kafka's 1 MB default.
MAX_EVENTS_PER_MESSAGE = 250


def events_envelope(items: Sequence[tuple[str, Event, float]], idle: Sequence[str] = ()) -> bytes:
    """One message for ``(source, event, ingested_at)`` items, in their order; ``idle``:
    sources that these events (and the earlier messages) have read to their end."""
    forwarded = [Forwarded(s, t, msgspec.Raw(encode(e))) for s, e, t in items]
    return _encoder.encode(Envelope("events", events=forwarded, idle=sorted(idle)))


def idle_envelope(source: str) -> bytes:
    return _encoder.encode(Envelope("idle", source=source))


def decode_envelope(value: bytes) -> Envelope | None:
    """The envelope, or None for anything else (never raises)."""
    try:
        envelope = _decoder.decode(value)
    except (msgspec.DecodeError, TypeError):
        return None
    if envelope.kind == "idle" and envelope.source:
        return envelope
    if envelope.kind == "events" and envelope.events:
        return envelope
    return None
