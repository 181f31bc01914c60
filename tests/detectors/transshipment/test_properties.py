"""Properties the engine relies on: batch boundaries, ties, restarts and redelivery change nothing."""

from __future__ import annotations

import datetime as dt
import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.transshipment import TransshipmentDetector
from tests.detectors.transshipment.builders import (
    DIST_SG,
    FINAL_CN,
    FINAL_HK,
    HUB_MY,
    HUB_SG,
    REF,
    USER_AU,
    USER_MY,
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

WAREHOUSE = party("wh-us", "US", "Lighthouse Logistics LLC", registered=False, address="12 Industrial Ave, Edison NJ")
US_SELLER = party("dist-us", "US", business_type="distributor")
LEG_PARTIES = (VENDOR, HUB_SG, HUB_MY, DIST_SG, FINAL_CN, FINAL_HK, USER_AU, USER_MY, WAREHOUSE)
BUYERS = tuple(party(f"buyer-{n}", "US", registered=n % 2 == 0, business_type="enterprise") for n in range(4))
PRODUCTS = ("H100-SXM5-80GB", "HGX-H100-8GPU", "POWER ADAPTER 240W")
ADDRESSES = ("12 Industrial Ave, Edison NJ", "12 INDUSTRIAL AVE. EDISON NJ", "9 Elm St, Austin TX")

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def trade(draw):
    """A small, tangled stream: shared serial blocks (chains, conflicts), ties in time,
    dual filings, matched quantities, straw orders and misdescribed exports."""
    count = draw(st.integers(min_value=2, max_value=16))
    records = []
    ids = draw(st.lists(st.text("abcdef0123456789", min_size=6, max_size=6), min_size=count, max_size=count,
                        unique=True))
    for n in range(count):
        when = day(draw(st.integers(0, 45)), draw(st.sampled_from((0, 0, 6))))
        if draw(st.integers(0, 4)) == 0:
            buyer = draw(st.sampled_from(BUYERS))
            ship_to = party(f"{buyer.entity_id}-co", "US", registered=False, address=draw(st.sampled_from(ADDRESSES)))
            records.append(order(f"o-{ids[n]}", when, US_SELLER, buyer, [line("H100-PCIE-80GB", 4, 25_000)],
                                 ship_to=ship_to))
            continue
        shipper, consignee = draw(st.lists(st.sampled_from(LEG_PARTIES), min_size=2, max_size=2, unique=True))
        product = draw(st.sampled_from(PRODUCTS))
        quantity = draw(st.sampled_from((4, 8, 40)))
        block = draw(st.sampled_from((None, "A", "A", "B")))
        units = [f"{block}{i:04d}" for i in range(quantity)] if block and product != PRODUCTS[2] else []
        hts = "8504.40" if product == PRODUCTS[2] else None
        value = quantity * draw(st.sampled_from((30_000, 33_000, 300_000, 40)))
        shipment_id = draw(st.sampled_from((None, "AWB-SHARED")))
        records.append(shipment(
            f"s-{ids[n]}", when, shipper, consignee, [item(product, quantity, units, hts=hts)], value=float(value),
            licence=draw(st.sampled_from((None, "NLR", "D765432"))),
            consignee_type=draw(st.sampled_from(("reseller", "direct_consumer", "other_unknown"))),
            shipment_id=shipment_id, order_id=draw(st.sampled_from((None, "SO-1", "SO-2"))),
        ))
    if draw(st.booleans()):
        records.extend(draw(chain()))
    return records


@st.composite
def chain(draw):
    """vendor -> hub -> hub -> destination, with or without serials, dwell days drawn (ties possible)."""
    hops = draw(st.lists(st.sampled_from((HUB_SG, HUB_MY, DIST_SG)), min_size=1, max_size=2, unique=True))
    path = [VENDOR, *hops, draw(st.sampled_from((FINAL_CN, FINAL_HK, USER_AU)))]
    units = [f"C{i:04d}" for i in range(5)] if draw(st.booleans()) else []
    when = draw(st.integers(0, 10))
    legs = []
    for n, (shipper, consignee) in enumerate(zip(path, path[1:])):
        legs.append(shipment(f"c-{n}", day(when), shipper, consignee, [item("HGX-H100-8GPU", 5, units)],
                             value=1_500_000.0 * (1 + 0.05 * n),
                             consignee_type=draw(st.sampled_from(("reseller", "direct_consumer")))))
        when += draw(st.sampled_from((0, 3, 12, 30)))
    return legs


def one_at_a_time(records):
    detector = TransshipmentDetector()
    findings = []
    for record in engine_order(records):
        findings.extend(detector.observe([record], REF))
    return fuse(findings)


def in_batches(records, cuts):
    detector = TransshipmentDetector()
    ordered = engine_order(records)
    bounds = [0, *sorted(c % (len(ordered) + 1) for c in cuts), len(ordered)]
    findings = []
    for start, end in zip(bounds, bounds[1:]):
        findings.extend(detector.observe(ordered[start:end], REF))
    return fuse(findings)


@SETTINGS
@given(trade(), st.lists(st.integers(0, 1000), max_size=6))
def test_any_batch_size_gives_the_same_alerts(records, cuts):
    assert in_batches(records, cuts) == one_at_a_time(records)


@SETTINGS
@given(trade(), st.randoms(use_true_random=False), st.lists(st.booleans(), max_size=20))
def test_any_order_of_records_sharing_a_timestamp_gives_the_same_alerts(records, rnd, cut_here):
    """Shuffled inside each timestamp and cut into batches only between timestamps, as the
    engine does (it never splits a timestamp group); the detector orders each batch itself."""
    groups: dict[dt.datetime, list] = {}
    for record in records:
        groups.setdefault(record.time, []).append(record)
    detector = TransshipmentDetector()
    findings, batch = [], []
    for index, when in enumerate(sorted(groups)):
        group = list(groups[when])
        rnd.shuffle(group)
        batch.extend(group)
        if index < len(cut_here) and cut_here[index]:
            findings.extend(detector.observe(batch, REF))
            batch = []
    findings.extend(detector.observe(batch, REF))
    assert fuse(findings) == one_at_a_time(records)


@SETTINGS
@given(trade(), st.integers(0, 1000))
def test_state_round_trip_continues_as_if_never_stopped(records, split):
    ordered = engine_order(records)
    split %= len(ordered) + 1
    first = TransshipmentDetector()
    findings = first.observe(ordered[:split], REF)
    snapshot = json.loads(json.dumps(first.to_state()))
    second = TransshipmentDetector()
    second.load_state(snapshot)
    findings += second.observe(ordered[split:], REF)
    never_stopped = TransshipmentDetector()
    assert fuse(findings) == fuse(never_stopped.observe(ordered, REF))
    assert json.dumps(second.to_state(), sort_keys=True) == json.dumps(never_stopped.to_state(), sort_keys=True)


@SETTINGS
@given(trade(), st.integers(0, 1000))
def test_redelivered_records_change_nothing(records, seed):
    ordered = engine_order(records)
    detector = TransshipmentDetector()
    findings = detector.observe(ordered, REF)
    again = list(ordered)
    random.Random(seed).shuffle(again)
    findings += detector.observe(engine_order(again), REF)
    assert fuse(findings) == one_at_a_time(records)


def test_snapshot_is_json_builtins_only():
    detector = TransshipmentDetector()
    units = [f"S{i}" for i in range(8)]
    detector.observe(engine_order([
        shipment("a", day(0), VENDOR, HUB_SG, [item("H100-SXM5-80GB", 8, units)], consignee_type="direct_consumer"),
        shipment("b", day(5), HUB_SG, FINAL_CN, [item("H100-SXM5-80GB", 8, units)]),
        order("c", day(6), US_SELLER, BUYERS[0], [line("H100-PCIE-80GB", 4, 25_000)], ship_to=WAREHOUSE),
    ]), REF)
    state = detector.to_state()

    def builtins_only(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and builtins_only(v) for k, v in value.items())
        if isinstance(value, list):
            return all(builtins_only(v) for v in value)
        return value is None or isinstance(value, (str, int, float, bool))

    assert builtins_only(state)
    assert json.loads(json.dumps(state)) == state


def test_an_honest_twin_of_a_misdescribed_report_never_joins_its_evidence():
    """Found by the redelivery property: one consignment (one shipment id) reported twice, once as
    adapters at adapter prices and once at GPU prices. The honest report joined the alert's
    evidence only when it arrived after its twin, so redelivery changed the alert."""
    honest = shipment("s-1", day(3), VENDOR, HUB_MY, [item("POWER ADAPTER 240W", 4)], value=160.0, shipment_id="AWB-1")
    misdescribed = shipment("s-2", day(3), VENDOR, HUB_MY, [item("POWER ADAPTER 240W", 4)], value=120_000.0,
                            shipment_id="AWB-1")
    alerts = []
    for stream in ([honest, misdescribed], [misdescribed, honest], [honest, misdescribed, honest]):
        detector = TransshipmentDetector()
        findings = []
        for record in stream:
            findings += detector.observe([record], REF)
        alerts.append(fuse(findings))
    assert alerts[0] and alerts[0] == alerts[1] == alerts[2]
    assert [a["evidence"] for a in alerts[0]] == [["s-2"]]
