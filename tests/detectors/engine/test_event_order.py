"""``in_event_order``: the engine's (time, id) order kept as it is, any other order sorted."""

from __future__ import annotations

import datetime as dt
import json
import random

from detectors.engine import Engine, Reference
from detectors.engine.records import EventOrdered, in_event_order
from schemas import decode

T0 = dt.datetime(2025, 3, 4, tzinfo=dt.timezone.utc)


def _orders(contract_examples, times_and_ids):
    template = json.loads(contract_examples[2])
    ref = Reference()
    out = []
    for minutes, event_id in times_and_ids:
        when = (T0 + dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
        out.append(ref.order(decode(json.dumps({**template, "event_id": event_id, "event_time": when}).encode())))
    return out


def test_records_in_order_are_passed_through_and_others_sorted_by_time_then_id(contract_examples) -> None:
    records = _orders(contract_examples, [(0, "o-1"), (0, "o-2"), (60, "o-0"), (61, "o-3")])
    assert in_event_order(records) is records
    assert in_event_order([]) == [] and in_event_order(records[:1]) == records[:1]
    for swapped in ([records[1], records[0], *records[2:]], [records[2], *records[:2], records[3]]):
        assert list(in_event_order(swapped)) == records  # same time with ids reversed; a later time first
    rng = random.Random(1)
    for _ in range(20):
        shuffled = records[:]
        rng.shuffle(shuffled)
        assert list(in_event_order(shuffled)) == records


class _Recorder:
    """A detector that keeps what the engine passes it."""

    name = "recorder"
    tracked_parties = 0

    def __init__(self) -> None:
        self.seen: list = []

    def observe(self, records, ref):
        self.seen.append(records)
        return []

    def on_reference_change(self, change, ref):
        return []


def test_the_engine_vouches_for_its_order_and_in_event_order_trusts_it(contract_examples) -> None:
    records = _orders(contract_examples, [(0, "o-1"), (0, "o-2"), (60, "o-0")])
    vouched = EventOrdered(records)
    assert in_event_order(vouched) is vouched
    # trusted, not checked: only the engine builds one, from events it sorted
    reversed_but_vouched = EventOrdered(records[::-1])
    assert in_event_order(reversed_but_vouched) is reversed_but_vouched

    recorder = _Recorder()
    engine = Engine(detectors=[recorder])
    engine.process([r.event for r in reversed(records)])
    engine.flush()
    passed = [r for batch in recorder.seen for r in batch]
    assert all(type(batch) is EventOrdered for batch in recorder.seen)
    assert [r.event.event_id for r in passed] == ["o-1", "o-2", "o-0"]
