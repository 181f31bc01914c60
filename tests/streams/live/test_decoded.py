"""Detection messages decoded once for a worker's shards: the same answer as decoding alone."""

from __future__ import annotations

import json

from schemas import Order, ValidationError, decode
from streams.live import events_envelope, idle_envelope
from streams.live.decoded import SharedDecoding, decode_message

SOURCE = "trade.orders.v1:0"


def _order(contract_examples) -> Order:
    return next(e for e in map(decode, contract_examples) if isinstance(e, Order))


def test_equal_bytes_share_one_decoded_message(contract_examples) -> None:
    order = _order(contract_examples)
    value = events_envelope([(SOURCE, order, 12.5)])
    decoding = SharedDecoding()
    first = decoding.decode(value)
    again = decoding.decode(bytes(bytearray(value)))  # another copy of the same bytes
    assert again is first and first == decode_message(value)
    assert first.kind == "events" and first.events == ((SOURCE, 12.5, order),)
    assert (decoding.decoded, decoding.shared) == (1, 1)


def test_invalid_events_and_malformed_messages_decode_as_alone(contract_examples) -> None:
    order = _order(contract_examples)
    raw = json.loads(events_envelope([(SOURCE, order, 1.0)]))
    raw["events"][0][2]["quantity"] = "lots"  # the forwarded event no longer validates
    raw["events"][0][2].pop("event_id")
    broken = json.dumps(raw).encode()
    decoding = SharedDecoding()
    message = decoding.decode(broken)
    assert isinstance(message.events[0][2], ValidationError)
    assert decoding.decode(b"not json") is None and decoding.decode(b"not json") is None
    idle = decoding.decode(idle_envelope(SOURCE))
    assert (idle.kind, idle.source, idle.events) == ("idle", SOURCE, ())


def test_a_full_cache_stops_adding_and_clear_empties_it(contract_examples) -> None:
    order = _order(contract_examples)
    values = [events_envelope([(SOURCE, order, float(i))]) for i in range(4)]
    decoding = SharedDecoding(capacity=2)
    for _ in range(2):
        for value in values:
            decoding.decode(value)
    assert len(decoding) == 2 and (decoding.decoded, decoding.shared) == (6, 2)
    decoding.clear()
    assert len(decoding) == 0
