"""Contract v1 in code: typed models, one decoder with precise error paths, JSON Schema.

``shared/contract/events-v1.md`` is the authority; this package is its executable form.

    >>> from schemas import decode, ValidationError
    >>> result = decode(message_bytes)
    >>> if isinstance(result, ValidationError): route_to_deadletter(result.error, result.errors)
"""

from schemas._decode import MAX_EVENT_BYTES, FieldError, ValidationError, decode, decode_object
from schemas._encode import encode
from schemas.events import (
    EVENT_TYPES,
    Entity,
    Event,
    EventBase,
    Item,
    Line,
    Order,
    Party,
    ScreeningAddress,
    ScreeningEntry,
    Shipment,
)
from schemas.outputs import DEADLETTER_RAW_LIMIT, Alert, DeadLetter, FieldErrorRecord, SubjectParty

__all__ = [
    "decode",
    "decode_object",
    "encode",
    "ValidationError",
    "FieldError",
    "MAX_EVENT_BYTES",
    "Event",
    "EventBase",
    "EVENT_TYPES",
    "Order",
    "Shipment",
    "Entity",
    "ScreeningEntry",
    "Party",
    "Line",
    "Item",
    "ScreeningAddress",
    "Alert",
    "SubjectParty",
    "DeadLetter",
    "FieldErrorRecord",
    "DEADLETTER_RAW_LIMIT",
]
