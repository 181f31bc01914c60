"""Pass-through without serials: matched legs (``PASS_THROUGH_MATCH``)."""

from __future__ import annotations

from tests.detectors.transshipment.builders import (
    FINAL_HK,
    HUB_SG,
    USER_MY,
    VENDOR,
    assert_medium_or_higher_absent,
    by_pattern,
    check_finding_shape,
    day,
    item,
    party,
    run,
    shipment,
)

HUB_TH = party("hub-th", "TH", "Tidal Trading Co Ltd", business_type="reseller")


def inbound(quantity=48, value=1_440_000.0, consignee=HUB_TH, consignee_type="direct_consumer"):
    return shipment("in-1", day(0), VENDOR, consignee, [item("H100-SXM5-80GB", quantity)], value=value,
                    consignee_type=consignee_type, licence="NLR")


def outbound(quantity=48, value=1_600_000.0, when=6.0, consignee=FINAL_HK, shipper=HUB_TH, **kw):
    return shipment("out-1", day(when), shipper, consignee, [item("H100-SXM5-80GB", quantity)], value=value, **kw)


def test_matching_value_out_to_hong_kong_fires():
    findings = by_pattern(run([inbound(), outbound()]), "pass_through_match")
    assert len(findings) == 1
    finding = findings[0]
    check_finding_shape(finding)
    assert finding.severity == "critical"
    assert finding.subject.entity_id == HUB_TH.entity_id
    assert finding.evidence == ("in-1", "out-1")
    assert "PASS_THROUGH_MATCH" in finding.red_flags
    assert finding.details["accelerators_in"] == finding.details["accelerators_out"] == 48
    assert finding.details["thresholds"]["match_value_tolerance"] == 0.2


def test_ten_times_the_quantity_out_does_not_match():
    assert by_pattern(run([inbound(), outbound(quantity=480, value=16_000_000.0)]), "pass_through_match") == []


def test_value_outside_tolerance_does_not_match():
    assert by_pattern(run([inbound(), outbound(value=3_000_000.0)]), "pass_through_match") == []


def test_outbound_outside_the_match_window_does_not_match():
    assert by_pattern(run([inbound(), outbound(when=75)]), "pass_through_match") == []


def test_different_product_family_does_not_match():
    out = shipment("out-1", day(6), HUB_TH, FINAL_HK, [item("H200-SXM-141GB", 48)], value=1_600_000.0)
    assert by_pattern(run([inbound(), out]), "pass_through_match") == []


def test_domestic_resale_by_a_large_distributor_is_not_a_reexport():
    distributor = party("dist-th", "TH", business_type="distributor")
    local = party("user-th", "TH", business_type="enterprise")
    records = [inbound(consignee=distributor, consignee_type="reseller"),
               outbound(shipper=distributor, consignee=local)]
    assert run(records) == []


def test_distributor_sale_to_a_hub_end_user_is_quiet():
    distributor = party("dist-th", "TH", business_type="distributor")
    records = [inbound(consignee=distributor, consignee_type="reseller"),
               outbound(shipper=distributor, consignee=USER_MY, consignee_type="direct_consumer")]
    assert_medium_or_higher_absent(run(records))


def test_best_inbound_is_chosen_among_several():
    older = shipment("in-0", day(-3), VENDOR, HUB_TH, [item("H100-SXM5-80GB", 40)], value=1_200_000.0,
                     consignee_type="direct_consumer")
    findings = by_pattern(run([older, inbound(), outbound()]), "pass_through_match")
    assert [f.evidence for f in findings] == [("in-1", "out-1")]


def test_late_inbound_matches_an_earlier_reported_export():
    from detectors.transshipment import TransshipmentDetector
    from tests.detectors.transshipment.builders import REF

    detector = TransshipmentDetector()
    assert detector.observe([outbound()], REF) == []
    late = by_pattern(detector.observe([inbound()], REF), "pass_through_match")
    assert len(late) == 1 and late[0].evidence == ("in-1", "out-1")


def test_hub_to_hub_same_goods_by_an_unknown_party():
    unknown = party("anon-sg", "SG", registered=False)
    records = [inbound(consignee=unknown, consignee_type="other_unknown"),
               outbound(shipper=unknown, consignee=party("next-my", "MY", business_type="reseller"))]
    findings = by_pattern(run(records), "pass_through_match")
    assert [f.severity for f in findings] == ["high"]
    assert HUB_SG.entity_id not in {f.subject.entity_id for f in findings}
