"""The engine loop: duplicates, held-back timestamps, reference records in time order."""

from __future__ import annotations

import datetime as dt
import json

from detectors.alerts import Finding
from detectors.engine import Engine, Reference, ReferenceChange
from schemas import decode

T0 = dt.datetime(2025, 3, 4, 9, 30, tzinfo=dt.timezone.utc)


class Recorder:
    """A detector that raises one finding per order, naming how its buyer was resolved."""

    name = "recorder"

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.changes: list[set[str]] = []

    def observe(self, records, ref):
        self.batches.append([r.event_id for r in records])
        return [
            Finding(
                detector="recorder@1",
                typology="end_use",
                subject=r.buyer.subject(),
                event_time=r.time,
                evidence=(r.event_id,),
                red_flags=("TEST",),
                severity="low",
                score=0.1,
                summary=f"buyer resolved by {r.buyer.method}",
                details={"registered": r.buyer.registered},
            )
            for r in records
            if r.event.event_type == "order"
        ]

    def on_reference_change(self, change: ReferenceChange, ref):
        self.changes.append(set(change.entities))
        return []

    def to_state(self):
        return {}

    def load_state(self, state):
        pass


def _events(contract_examples, copies: int = 1):
    entity, screening, order, shipment = contract_examples
    raw = json.loads(order)
    orders = [json.dumps({**raw, "event_id": f"ord-{i}", "event_time": (T0 + dt.timedelta(hours=i)).isoformat()}) for i in range(copies)]
    return [decode(entity), decode(screening), *map(decode, orders), decode(shipment)]


def test_registry_resolves_typed_names_before_detectors_see_them(contract_examples):
    recorder = Recorder()
    engine = Engine([recorder], Reference())
    engine.process(_events(contract_examples))
    engine.flush()
    [alert] = engine.alerts()
    # "AURORA COMPUTE SDN. BHD." on the order is the registered ent-aurora-my.
    assert alert.subject.entity_id == "ent-aurora-my"
    assert alert.details["registered"] is True
    # One change per reference timestamp: the list entry (1 Jan), then the entity (2 Jan).
    assert recorder.changes == [set(), {"ent-aurora-my"}]


def test_duplicates_are_dropped_and_counted(contract_examples):
    engine = Engine([Recorder()], Reference())
    events = _events(contract_examples)
    engine.process(events)
    engine.process(events)
    engine.flush()
    assert engine.duplicates_dropped == len(events)
    assert engine.events_processed == len(events)


def test_latest_timestamp_is_held_until_time_moves_on(contract_examples):
    recorder = Recorder()
    engine = Engine([recorder], Reference())
    events = _events(contract_examples, copies=3)
    trade = [e for e in events if e.event_type in ("order", "shipment")]
    engine.process(events[:3])  # entity, screening entry, ord-0
    assert all("ord-0" not in batch for batch in recorder.batches)  # ord-0 is at the latest time: held
    engine.process(events[3:4])  # ord-1, later: releases ord-0
    assert ["ord-0"] in recorder.batches
    engine.flush()
    seen = [e for batch in recorder.batches for e in batch]
    assert seen == [e.event_id for e in trade[:2]]


def test_alerts_do_not_depend_on_batch_size(contract_examples):
    events = _events(contract_examples, copies=6)
    results = []
    for size in (1, 2, 5, len(events)):
        engine = Engine([Recorder()], Reference())
        for start in range(0, len(events), size):
            engine.process(events[start : start + size])
        engine.flush()
        results.append([a.alert_id for a in engine.alerts()] + [a.evidence for a in engine.alerts()])
    assert all(r == results[0] for r in results)


def test_orders_and_legs_count_controlled_accelerators_the_same_way():
    """One name, one meaning: controlled data-centre accelerators, on an order or on a leg."""
    from detectors.engine.records import LineRecord, OrderRecord, ShipmentRecord

    def line(accelerators: int, controlled: bool, datacenter: bool) -> LineRecord:
        return LineRecord(sku="x", product="x", family=None, eccn=None, hts=None, quantity=accelerators,
                          unit_value_usd=1.0, accelerators=accelerators, controlled=controlled, datacenter=datacenter)

    lines = (line(8, True, True), line(4, True, False), line(2, False, True))
    order = OrderRecord(None, None, None, None, None, None, lines)  # type: ignore[arg-type]
    leg = ShipmentRecord(None, None, None, None, None, lines)  # type: ignore[arg-type]
    assert order.controlled_accelerators == leg.controlled_accelerators == 8


def test_a_group_known_complete_is_processed_without_waiting_for_later_time(contract_examples):
    """``complete_before`` (a live watermark) past the latest group releases it now; at the
    group's own time it does not, since more of that group may still come."""
    events = _events(contract_examples, copies=3)
    first = events[:3]  # entity, screening entry, ord-0
    latest = max(e.event_time for e in first)
    at_latest = Engine([recorder := Recorder()], Reference())
    at_latest.process(first, complete_before=latest)
    assert all("ord-0" not in batch for batch in recorder.batches)
    assert "ord-0" in at_latest.held_ids
    past = Engine([recorder := Recorder()], Reference())
    past.process(first, complete_before=latest + dt.timedelta(microseconds=1))
    assert ["ord-0"] in recorder.batches
    assert not past.held_ids
    # a later call with nothing new releases what the watermark has since passed
    at_latest.process([], complete_before=latest + dt.timedelta(seconds=1))
    assert not at_latest.held_ids


def test_complete_before_does_not_change_alerts(contract_examples):
    events = _events(contract_examples, copies=6)
    plain = Engine([Recorder()], Reference())
    for start in range(0, len(events), 2):
        plain.process(events[start : start + 2], T0)
    plain.flush(T0)
    told = Engine([Recorder()], Reference())
    for start in range(0, len(events), 2):
        batch = events[start : start + 2]
        following = events[start + 2 : start + 3]
        told.process(batch, T0, complete_before=following[0].event_time if following else None)
    told.flush(T0)
    assert told.alerts() == plain.alerts()
    assert told.alerts()
