"""Licence rules: critical whatever the quantity, each with its nearest lawful twin."""

from __future__ import annotations

import datetime as dt

import pytest

from detectors.end_use import EndUseDetector, line_scope
from tests.detectors.over_ordering.builders import (
    at,
    entity,
    item,
    line,
    order,
    party,
    records_of,
    reference,
    run,
    shipment,
)

LICENCE = "end_use.licence@1"


def licence_alerts(events):
    return [a for a in run(EndUseDetector(), events) if LICENCE in (a.detector, *a.details.get("detectors", {}))]


# -- destination rule (shipment legs) ------------------------------------------------------


@pytest.mark.parametrize("licence", ["NLR", "NAC", "ACA", "", "none"])
def test_leg_to_licence_destination_without_licence_is_critical(licence):
    buyer = entity("ent-ae", "Falcon Data Centers FZE", "AE", capacity=4096)
    [alert] = licence_alerts([buyer, shipment(at(0), party(buyer), [item("H100-SXM5-80GB", 1)], license=licence)])
    assert alert.severity == "critical"
    assert alert.red_flags == ["LICENCE_REQUIRED_DESTINATION"]
    assert alert.subject.entity_id == "ent-ae"
    assert "AE" in alert.summary and "1 controlled" in alert.summary


def test_leg_to_licence_destination_with_a_licence_number_is_quiet():
    buyer = entity("ent-ae2", "Falcon Two FZE", "AE", capacity=4096)
    assert licence_alerts([buyer, shipment(at(0), party(buyer), [item("HGX-H100-8GPU", 8)], license="D123456")]) == []


def test_leg_to_singapore_needs_no_licence():
    buyer = entity("ent-sg", "Straits Cloud Pte Ltd", "SG", capacity=4096)
    assert licence_alerts([buyer, shipment(at(0), party(buyer), [item("HGX-H100-8GPU", 8)], license="NLR")]) == []


def test_absent_licence_field_is_unknown_except_into_d5():
    ae = entity("ent-ae3", "Falcon Three FZE", "AE", capacity=4096)
    quiet = [ae, shipment(at(0), party(ae), [item("HGX-H100-8GPU", 8)], license=None, source="customs-ae")]
    assert licence_alerts(quiet) == []
    cn = party(name="Shanghai Ruida IT Solutions Co., Ltd.", country="CN")
    [alert] = licence_alerts([shipment(at(0), cn, [item("A100-PCIE-80GB", 40)], license=None, source="customs-th",
                                       shipper=party(name="Atlas Warehousing Co., Ltd.", country="TH"))])
    assert alert.severity == "critical" and alert.red_flags == ["LICENCE_REQUIRED_DESTINATION"]


def test_uncontrolled_goods_to_china_are_quiet():
    cn = party(name="Shenzhen Taihe Manufacturing Co., Ltd.", country="CN")
    events = [shipment(at(0), cn, [item("CPU-SERVER-2S", 10), item("DAC-CABLE-400G-2M", 100)], license="NLR")]
    assert licence_alerts(events) == []


# -- H20 and RTX 4090: the catalogue's licence scopes --------------------------------------


def test_h20_needs_a_licence_for_china_only_from_april_2025():
    cn = party(name="Chengdu Lianyun Cloud Co., Ltd.", country="CN")
    before = shipment(dt.datetime(2025, 3, 20, tzinfo=dt.timezone.utc), cn, [item("H20-96GB", 10)], license="NLR")
    after = shipment(dt.datetime(2025, 5, 20, tzinfo=dt.timezone.utc), cn, [item("H20-96GB", 10)], license="NLR")
    assert licence_alerts([before]) == []
    [alert] = licence_alerts([after])
    assert alert.severity == "critical"
    ref = reference()
    [record] = records_of(ref, [after])
    assert line_scope(record.items[0], dt.date(2025, 5, 20)) == "d5_macau"


def test_h20_to_malaysia_needs_no_licence_even_after_april():
    my = entity("ent-my-h20", "Tembusu Cloud Sdn Bhd", "MY", capacity=1024)
    assert licence_alerts([my, shipment(dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc), party(my), [item("H20-96GB", 8)])]) == []


def test_rtx_4090_for_gaming_in_singapore_is_quiet_but_not_into_china():
    retailer = entity("ent-gr", "Lumen Gamer Hub Pte Ltd", "SG", "gaming_retail")
    assert licence_alerts([retailer, shipment(at(0), party(retailer), [item("RTX-4090-24GB", 200)])]) == []
    cn = party(name="Guangzhou Games Co., Ltd.", country="CN")
    [alert] = licence_alerts([shipment(at(0), cn, [item("RTX-4090-24GB", 20)], license="NLR")])
    assert alert.severity == "critical"


# -- headquarters rule ---------------------------------------------------------------------


def _subsidiary(parent_country: str, entity_id: str = "ent-my-sub"):
    parent = entity(f"{entity_id}-parent", "Zhongtian Holdings Co., Ltd.", parent_country, "enterprise")
    sub = entity(entity_id, "Zhongtian Compute Sdn Bhd", "MY", capacity=2048, parent=parent.entity_id,
                 ultimate_country=parent_country)
    return parent, sub


@pytest.mark.parametrize("hq", ["CN", "HK", "MO"])
def test_subsidiary_of_d5_group_without_licence_in_malaysia_is_critical(hq):
    parent, sub = _subsidiary(hq, f"ent-sub-{hq.lower()}")
    [alert] = licence_alerts([parent, sub, shipment(at(0), party(sub), [item("H100-SXM5-80GB", 4)], license="NLR")])
    assert alert.severity == "critical" and alert.red_flags == ["HQ_D5_PARENT_NO_LICENCE"]
    assert alert.subject.entity_id == sub.entity_id
    assert hq in alert.summary


def test_subsidiary_of_us_group_in_malaysia_is_quiet():
    parent, sub = _subsidiary("US", "ent-sub-us")
    assert licence_alerts([parent, sub, shipment(at(0), party(sub), [item("H100-SXM5-80GB", 4)], license="NLR")]) == []


def test_d5_group_subsidiary_buying_only_uncontrolled_goods_is_quiet():
    parent, sub = _subsidiary("CN", "ent-sub-nc")
    events = [parent, sub, shipment(at(0), party(sub), [item("CPU-SERVER-2S", 20), item("RTX-4060-8GB", 50)], license="NLR")]
    assert licence_alerts(events) == []


def test_d5_group_subsidiary_with_a_licence_is_quiet():
    parent, sub = _subsidiary("CN", "ent-sub-lic")
    assert licence_alerts([parent, sub, shipment(at(0), party(sub), [item("HGX-H100-8GPU", 4)], license="D765432")]) == []


# -- orders: waiting for the legs ----------------------------------------------------------


def _later(days: float):
    """Any later record moves event time on (grace periods expire on event time only)."""
    return order(at(days), party(name="Clock Tick Co", country="US"), [line("DAC-CABLE-400G-2M", 1)])


def test_order_needing_a_licence_with_no_leg_is_high_after_the_grace_period():
    parent, sub = _subsidiary("CN", "ent-wait")
    placed = order(at(0), party(sub), [line("HGX-H100-8GPU", 4)])
    assert licence_alerts([parent, sub, placed, _later(44)]) == []  # still waiting
    [alert] = licence_alerts([parent, sub, placed, _later(46)])
    assert alert.severity == "high" and alert.red_flags == ["HQ_D5_PARENT_NO_LICENCE"]
    assert alert.evidence == [placed.event_id] and alert.event_time == placed.event_time


def test_order_then_unlicensed_leg_is_critical_with_both_as_evidence():
    buyer = entity("ent-vn", "Sierra Cloud JSC", "VN", capacity=1024)
    placed = order(at(0), party(buyer), [line("HGX-H200-8GPU", 2)], order_id="SO-77")
    leg = shipment(at(6), party(buyer), [item("HGX-H200-8GPU", 2)], order_id="SO-77", license="NLR")
    [alert] = licence_alerts([buyer, placed, leg, _later(60)])
    assert alert.severity == "critical"
    assert set(alert.evidence) == {placed.event_id, leg.event_id}


def test_order_then_licensed_leg_is_quiet():
    buyer = entity("ent-sa", "Lighthouse Cloud Co.", "SA", capacity=1024)
    placed = order(at(0), party(buyer), [line("L40S-48GB", 8)], order_id="SO-78")
    leg = shipment(at(6), party(buyer), [item("L40S-48GB", 8)], order_id=None, license="D111222")  # matched by party
    assert licence_alerts([buyer, placed, leg, _later(60)]) == []


def test_order_shipped_only_through_feeds_without_licences_is_low():
    buyer = entity("ent-sa2", "Lotus Cloud Co.", "SA", capacity=1024)
    placed = order(at(0), party(buyer), [line("L40S-48GB", 8)], order_id="SO-79")
    leg = shipment(at(6), party(buyer), [item("L40S-48GB", 8)], order_id="SO-79", license=None, source="forwarder-edi")
    [alert] = licence_alerts([buyer, placed, leg, _later(60)])
    assert alert.severity == "low"


def test_known_licensee_is_not_reported_when_a_later_order_ships_unrecorded():
    buyer = entity("ent-sa3", "Licensed Cloud Co.", "SA", capacity=1024)
    events = [
        buyer,
        shipment(at(0), party(buyer), [item("L40S-48GB", 8)], license="D999000"),
        order(at(10), party(buyer), [line("L40S-48GB", 8)], order_id="SO-80"),
        shipment(at(16), party(buyer), [item("L40S-48GB", 8)], order_id="SO-80", license=None, source="customs-sa"),
        _later(80),
    ]
    assert licence_alerts(events) == []


def test_order_to_singapore_for_a_singapore_company_is_never_pending():
    buyer = entity("ent-sg2", "Orchid Cloud Pte Ltd", "SG", capacity=1024)
    assert licence_alerts([buyer, order(at(0), party(buyer), [line("HGX-H100-8GPU", 4)]), _later(90)]) == []
