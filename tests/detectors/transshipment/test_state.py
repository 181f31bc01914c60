"""Bounded memory: state keeps ``memory_days`` of facts, and forgetting never changes a decision."""

from __future__ import annotations

import json

from detectors.transshipment import Settings, TransshipmentDetector
from detectors.transshipment.state import State
from detectors.transshipment.timeline import US_PER_DAY, to_us
from tests.detectors.transshipment.builders import (
    FINAL_HK,
    REF,
    USER_AU,
    VENDOR,
    day,
    engine_order,
    fuse,
    item,
    line,
    order,
    party,
    shipment,
)

SETTINGS = Settings.from_thresholds(REF.thresholds)
DAYS = 500


def year_of_trade():
    """Every few days a new hub imports serialised servers and passes them on; buyers order."""
    records = []
    seller = party("dist-us", "US", business_type="distributor")
    for n in range(0, DAYS, 3):
        hub = party(f"hub-{n}", ("SG", "MY", "TH")[n % 3], business_type="reseller")
        units = [f"U{n:05d}{i:02d}" for i in range(6)]
        goods = [item("HGX-H100-8GPU", 6, units)]
        records.append(shipment(f"in-{n}", day(n), VENDOR, hub, goods, consignee_type="direct_consumer", licence="NLR"))
        records.append(shipment(f"out-{n}", day(n + 9), hub, FINAL_HK if n % 2 else USER_AU, goods))
        buyer = party(f"buyer-{n}", "US", business_type="enterprise")
        records.append(order(f"po-{n}", day(n, 5), seller, buyer, [line("H100-PCIE-80GB", 4, 25_000)]))
    return engine_order(records)


class NeverForgets(TransshipmentDetector):
    """The same detector with pruning switched off: the reference for "forgetting changes nothing"."""

    def __init__(self) -> None:
        super().__init__()
        self._state.prune = lambda before: None  # type: ignore[method-assign]

    def load_state(self, state):  # pragma: no cover - not used
        raise NotImplementedError


def test_pruning_never_changes_a_decision():
    records = year_of_trade()
    pruned, kept = TransshipmentDetector(), NeverForgets()
    assert fuse(pruned.observe(records, REF)) == fuse(kept.observe(records, REF))
    assert len(pruned.state.legs) < len(kept.state.legs)


def test_state_holds_at_most_memory_days_of_facts_and_reports_its_size():
    records = year_of_trade()
    detector = TransshipmentDetector()
    for start in range(0, len(records), 50):
        detector.observe(records[start:start + 50], REF)
    state: State = detector.state
    oldest = min(leg.t for leg in state.legs.values())
    assert state.watermark - oldest <= (SETTINGS.memory_days + 7) * US_PER_DAY
    assert to_us(records[-1].time) - oldest >= SETTINGS.memory_days * US_PER_DAY - 3 * US_PER_DAY
    snapshot = json.dumps(detector.to_state())
    parties = len(state.parties)
    per_party = len(snapshot) / parties
    print(f"\ntransshipment state: {len(snapshot)} bytes, {parties} parties, {per_party:.0f} bytes per tracked party, "
          f"{len(state.legs)} legs over {SETTINGS.memory_days:.0f} days")
    assert per_party < 4_000


def test_records_older_than_memory_are_ignored():
    detector = TransshipmentDetector()
    detector.observe([shipment("now", day(400), VENDOR, FINAL_HK, [item("H100-SXM5-80GB", 8)])], REF)
    late = shipment("ancient", day(0), VENDOR, party("hub-x", "SG"), [item("H100-SXM5-80GB", 8)])
    assert detector.observe([late], REF) == []
    assert "ancient" not in detector.state.report_leg


def test_load_state_refuses_an_unknown_format():
    import pytest

    with pytest.raises(ValueError):
        TransshipmentDetector().load_state({"format": 999})
