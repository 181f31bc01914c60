"""Serial anomalies: one serial in two places at once, or exported twice (``SERIAL_DUPLICATE``)."""

from __future__ import annotations

from tests.detectors.transshipment.builders import (
    FINAL_CN,
    FINAL_HK,
    HUB_MY,
    VENDOR,
    by_pattern,
    check_finding_shape,
    day,
    item,
    party,
    run,
    serials,
    shipment,
)

UNITS = serials("D1", 4)
DECOY = party("decoy-th", "TH", registered=False)


def goods():
    return [item("HGX-H100-8GPU", len(UNITS), UNITS)]


def base():
    return [
        shipment("in-1", day(0), VENDOR, HUB_MY, goods(), consignee_type="direct_consumer", licence="NLR"),
        shipment("out-1", day(8), HUB_MY, FINAL_HK, goods()),
    ]


def test_same_serial_shipped_elsewhere_within_two_days_fires():
    decoy = shipment("decoy-1", day(9), DECOY, HUB_MY, goods(), consignee_type="direct_consumer")
    findings = by_pattern(run(base() + [decoy]), "serial_anomaly")
    assert len(findings) == 1
    finding = findings[0]
    check_finding_shape(finding)
    assert finding.details["kind"] == "two_places_at_once"
    assert finding.subject.entity_id == DECOY.entity_id
    assert finding.evidence == ("decoy-1", "out-1")
    assert finding.red_flags == ("SERIAL_DUPLICATE",)


def test_same_serial_days_later_is_a_feed_gap_not_a_contradiction():
    decoy = shipment("decoy-1", day(14), DECOY, HUB_MY, goods(), consignee_type="direct_consumer")
    assert by_pattern(run(base() + [decoy]), "serial_anomaly") == []


def test_exported_twice_by_the_same_party_fires():
    again = shipment("out-2", day(40), HUB_MY, FINAL_CN, goods())
    findings = by_pattern(run(base() + [again]), "serial_anomaly")
    assert [f.details["kind"] for f in findings] == ["exported_twice"]
    assert findings[0].subject.entity_id == HUB_MY.entity_id  # it received the units, and shipped them twice
    assert findings[0].severity == "critical"


def test_an_origin_exporting_a_serial_twice_points_at_the_later_recipient():
    first = shipment("v-1", day(0), VENDOR, HUB_MY, goods(), consignee_type="direct_consumer", licence="NLR")
    second = shipment("v-2", day(30), VENDOR, FINAL_HK, goods(), licence="NLR")
    findings = by_pattern(run([first, second]), "serial_anomaly")
    assert [(f.details["kind"], f.subject.entity_id, f.severity) for f in findings] == [
        ("exported_twice", FINAL_HK.entity_id, "critical")
    ]


def test_a_unit_that_came_back_may_leave_again():
    returned = shipment("ret-1", day(30), FINAL_HK, HUB_MY, goods(), consignee_type="reseller")
    again = shipment("out-2", day(40), HUB_MY, FINAL_CN, goods())
    assert by_pattern(run(base() + [returned, again]), "serial_anomaly") == []


def test_the_vendor_filing_and_the_destination_customs_filing_are_one_leg():
    dual = shipment("in-1b", day(2), VENDOR, HUB_MY, goods(), shipment_id="AWB-in-1", consignee_type="direct_consumer")
    assert by_pattern(run(base() + [dual]), "serial_anomaly") == []
