"""Input validation and dead-lettering, shared by the live worker and offline replay.

``admit`` is the single gate every input message passes: it decodes, checks that the
event type belongs on the topic it came from, and either returns the event or the
dead letter to publish (or write, in replay). It never raises.
"""

from __future__ import annotations

import datetime as dt

from schemas import (
    DEADLETTER_RAW_LIMIT,
    DeadLetter,
    Event,
    FieldError,
    FieldErrorRecord,
    ValidationError,
    decode,
)
from streams.topics import ACCEPTED_EVENT_TYPES

__all__ = ["admit", "dead_letter", "raw_text"]


def raw_text(raw: bytes | bytearray | memoryview | str | None) -> str:
    """The original message as text for a human, truncated to the contract's 64 KiB."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw[:DEADLETTER_RAW_LIMIT]
    return bytes(raw[:DEADLETTER_RAW_LIMIT]).decode("utf-8", "replace")


def dead_letter(
    failure: ValidationError,
    raw: bytes | bytearray | memoryview | str | None,
    *,
    topic: str,
    partition: int | None,
    offset: int | None,
    received_at: dt.datetime,
) -> DeadLetter:
    return DeadLetter(
        received_at=received_at,
        topic=topic,
        partition=partition,
        offset=offset,
        error=failure.error,
        errors=[FieldErrorRecord(field=e.field, message=e.message) for e in failure.errors],
        raw=raw_text(raw),
    )


def admit(
    raw: bytes | bytearray | memoryview | str | None,
    *,
    topic: str,
    partition: int | None = None,
    offset: int | None = None,
    received_at: dt.datetime,
) -> tuple[Event | None, DeadLetter | None, str]:
    """Return ``(event, None, event_type)`` or ``(None, dead_letter, reason_kind)``.

    ``topic`` may be a contract topic or, in replay, a file name; only contract topics
    restrict which event types they accept.
    """
    if raw is None:
        failure = ValidationError("empty", (FieldError("", "message has no value (a tombstone or an empty record)"),))
    else:
        result = decode(raw)
        if not isinstance(result, ValidationError):
            accepted = ACCEPTED_EVENT_TYPES.get(topic)
            if accepted is None or result.event_type in accepted:
                return result, None, result.event_type
            failure = _wrong_topic(result.event_type, topic, accepted)
        else:
            failure = result
    letter = dead_letter(failure, raw, topic=topic, partition=partition, offset=offset, received_at=received_at)
    return None, letter, failure.kind


def _wrong_topic(event_type: str, topic: str, accepted: frozenset[str]) -> ValidationError:
    return ValidationError(
        "wrong_topic",
        (FieldError("event_type", f"a {event_type!r} event does not belong on {topic}; it accepts {sorted(accepted)}"),),
    )
