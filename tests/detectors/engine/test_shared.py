"""Records shared between engines: only for the same reference content and an equal event."""

from __future__ import annotations

import json

from detectors.engine import Reference, SharedRecords
from schemas import Entity, Order, decode


def _examples(contract_examples):
    events = [decode(line) for line in contract_examples]
    entity = next(e for e in events if isinstance(e, Entity))
    order = next(e for e in events if isinstance(e, Order))
    return entity, order


def test_engines_with_the_same_registry_share_one_record(contract_examples) -> None:
    entity, order = _examples(contract_examples)
    shared = SharedRecords()
    a, b = Reference(), Reference()
    for ref in (a, b):
        ref.registry.apply(entity)
    first = shared.record(order, a)
    again = decode(json.dumps(_builtins(order)).encode())
    assert again is not order and again == order  # decoded separately, as each shard does
    assert shared.record(again, b) is first
    assert (shared.built, shared.shared) == (1, 1)
    assert first == a.order(order) == b.order(order)


def test_another_registry_content_or_another_event_builds_its_own(contract_examples) -> None:
    entity, order = _examples(contract_examples)
    shared = SharedRecords()
    empty, known = Reference(), Reference()
    known.registry.apply(entity)
    without = shared.record(order, empty)
    with_entity = shared.record(order, known)
    assert without is not with_entity
    assert without == empty.order(order) and with_entity == known.order(order)
    impostor = decode(json.dumps({**_builtins(order), "payment_method": "crypto"}).encode())
    assert impostor.event_id == order.event_id and impostor != order
    assert shared.record(impostor, known).event is impostor  # same id, other content: not shared
    assert shared.built == 3 and shared.shared == 0


def test_a_full_cache_keeps_what_it_has_until_cleared(contract_examples) -> None:
    """Shards ask in the same order: a full cache keeps sharing its first records
    (evicting the oldest would share none of a batch larger than the cache)."""
    _, order = _examples(contract_examples)
    raw = _builtins(order)
    shared = SharedRecords(capacity=3)
    ref = Reference()
    orders = [decode(json.dumps({**raw, "event_id": f"ord-{i}"}).encode()) for i in range(5)]
    for _ in range(2):  # two shards over the same batch of five
        for event in orders:
            shared.record(event, ref)
    assert len(shared) == 3
    assert (shared.built, shared.shared) == (7, 3)  # the first three shared, the last two built twice
    shared.clear()
    assert len(shared) == 0
    shared.record(orders[4], ref)
    assert len(shared) == 1 and shared.built == 8


def _builtins(event) -> dict:
    import msgspec

    return json.loads(msgspec.json.encode(event))
