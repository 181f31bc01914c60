"""Serial chains: a unit imported into a party leaves it again (``SERIAL_REEXPORT``)."""

from __future__ import annotations

from tests.detectors.transshipment.builders import (
    DIST_SG,
    FINAL_CN,
    HUB_SG,
    USER_AU,
    USER_MY,
    VENDOR,
    assert_medium_or_higher_absent,
    by_pattern,
    check_finding_shape,
    day,
    fuse,
    item,
    party,
    run,
    serials,
    shipment,
)

UNITS = serials("H1", 40)


def inbound(when=0.0, consignee=HUB_SG, consignee_type="direct_consumer", units=UNITS, **kw):
    return shipment("in-1", day(when), VENDOR, consignee, [item("H100-SXM5-80GB", len(units), units)],
                    consignee_type=consignee_type, licence="NLR", **kw)


def outbound(when, consignee, units=UNITS, shipper=HUB_SG, licence=None, event_id="out-1", **kw):
    return shipment(event_id, day(when), shipper, consignee, [item("H100-SXM5-80GB", len(units), units)],
                    licence=licence, **kw)


def test_reexport_to_china_within_days_is_critical():
    findings = by_pattern(run([inbound(), outbound(10, FINAL_CN)]), "serial_chain")
    assert len(findings) == 1
    finding = findings[0]
    check_finding_shape(finding)
    assert finding.severity == "critical"
    assert finding.subject.entity_id == HUB_SG.entity_id
    assert {p.entity_id for p in finding.related} == {VENDOR.entity_id, FINAL_CN.entity_id}
    assert finding.evidence == ("in-1", "out-1")
    assert "SERIAL_REEXPORT" in finding.red_flags and "TRANSSHIPMENT_POINT_ROUTE" in finding.red_flags
    assert finding.event_time == day(10)
    assert finding.details["dwell_days"] == 10.0 and finding.details["shared"] == 40
    assert "40" in finding.summary and "10 days" in finding.summary and "CN" in finding.summary


def test_same_goods_to_australia_with_licence_after_200_days_is_quiet():
    findings = run([inbound(), outbound(200, USER_AU, licence="D1234567")])
    assert findings == []


def test_reexport_to_china_after_the_severe_dwell_is_high():
    findings = by_pattern(run([inbound(), outbound(40, FINAL_CN)]), "serial_chain")
    assert [f.severity for f in findings] == ["high"]


def test_outbound_arriving_before_inbound_gives_the_same_alert():
    in_order = fuse(run([inbound(), outbound(10, FINAL_CN)]))
    detector_findings = []
    from detectors.transshipment import TransshipmentDetector
    from tests.detectors.transshipment.builders import REF

    detector = TransshipmentDetector()
    detector_findings += detector.observe([outbound(10, FINAL_CN)], REF)  # the export is reported first
    detector_findings += detector.observe([inbound()], REF)  # the import arrives late
    assert fuse(detector_findings) == in_order


def test_declared_end_user_reexporting_to_a_hub_is_high_and_abnormal():
    findings = by_pattern(run([inbound(), outbound(7, party("next-my", "MY", business_type="reseller"))]),
                          "serial_chain")
    assert [f.severity for f in findings] == ["high"]
    assert "ABNORMAL_ROUTE" in findings[0].red_flags


def test_distributor_selling_part_of_a_lot_to_a_hub_end_user_is_quiet():
    stock = serials("H2", 200)
    records = [
        inbound(consignee=DIST_SG, consignee_type="reseller", units=stock),
        outbound(5, USER_MY, units=stock[:16], shipper=DIST_SG, consignee_type="direct_consumer"),
        outbound(9, USER_AU, units=stock[16:40], shipper=DIST_SG, event_id="out-2", consignee_type="direct_consumer"),
    ]
    assert run(records) == []


def test_distributor_reexporting_to_a_non_licence_country_without_licence_field_is_quiet():
    records = [inbound(consignee=DIST_SG, consignee_type="reseller"), outbound(3, USER_AU, shipper=DIST_SG)]
    assert_medium_or_higher_absent(run(records))


def test_forwarder_routing_one_order_is_not_a_reexport():
    forwarder = party("fwd-sg", "SG", business_type="freight_forwarder")
    records = [
        shipment("in-1", day(0), VENDOR, forwarder, [item("H100-SXM5-80GB", 40, UNITS)], dest="MY",
                 consignee_type="freight_forwarder", order_id="SO-1", licence="NLR"),
        shipment("out-1", day(2), forwarder, USER_MY, [item("H100-SXM5-80GB", 40, UNITS)], order_id="SO-1"),
    ]
    assert run(records) == []


def test_two_filings_of_one_leg_are_one_leg():
    dual = shipment("in-1b", day(2), VENDOR, HUB_SG, [item("H100-SXM5-80GB", 40, UNITS)],
                    shipment_id="AWB-in-1", consignee_type="direct_consumer", source="customs-sg")
    findings = run([inbound(), dual, outbound(10, FINAL_CN)])
    assert by_pattern(findings, "serial_anomaly") == []
    chain = by_pattern(findings, "serial_chain")
    assert len(chain) == 1 and set(chain[0].evidence) == {"in-1", "in-1b", "out-1"}


def test_reobserving_a_record_changes_nothing():
    records = [inbound(), outbound(10, FINAL_CN)]
    assert fuse(run(records + records)) == fuse(run(records))
