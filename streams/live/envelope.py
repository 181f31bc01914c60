"""Messages on the detection topic: a validated event, or "this source is idle".

The ingest stage validates input once and forwards each valid event, tagged with the
input partition it came from (its *source*) and when the worker received it, to every
detection shard. It also announces when it has read a source to its end, so that an
idle partition does not hold back event time (see :mod:`streams.live.sequencer`).

JSON, so that an operator can read the topic with any Kafka tool.
"""

from __future__ import annotations

import msgspec

from schemas import Event, encode

__all__ = ["Envelope", "event_envelope", "idle_envelope", "decode_envelope"]


_NULL = msgspec.Raw(b"null")


class Envelope(msgspec.Struct, frozen=True, omit_defaults=True):
    kind: str  # "event" | "idle"
    source: str  # "trade.orders.v1:3"
    ingested_at: float = 0.0  # worker wall clock (epoch seconds), for detection latency
    event: msgspec.Raw = _NULL  # the contract event, re-encoded canonically (msgspec.Raw takes no Optional)


_decoder = msgspec.json.Decoder(Envelope)
_encoder = msgspec.json.Encoder()


def event_envelope(source: str, event: Event, ingested_at: float) -> bytes:
    return _encoder.encode(Envelope("event", source, ingested_at, msgspec.Raw(encode(event))))


def idle_envelope(source: str) -> bytes:
    return _encoder.encode(Envelope("idle", source))


def decode_envelope(value: bytes) -> Envelope | None:
    """The envelope, or None for anything else (never raises)."""
    try:
        envelope = _decoder.decode(value)
    except (msgspec.DecodeError, TypeError):
        return None
    if envelope.kind not in ("event", "idle") or (envelope.kind == "event" and bytes(envelope.event) == b"null"):
        return None
    return envelope
