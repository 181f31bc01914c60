"""Multi-hop chains: one alert per chain, linking every hop (``MULTI_HOP_CHAIN``)."""

from __future__ import annotations

from tests.detectors.transshipment.builders import (
    FINAL_CN,
    HUB_MY,
    HUB_SG,
    USER_MY,
    VENDOR,
    by_pattern,
    check_finding_shape,
    day,
    fuse,
    item,
    run,
    serials,
    shipment,
)

UNITS = serials("C1", 5)  # 5 servers = 40 accelerators: below the ratio's minimum, so chains stand alone


def chain(with_serials=True, last_consignee=FINAL_CN):
    units = UNITS if with_serials else ()
    goods = lambda: [item("HGX-H100-8GPU", 5, units)]  # noqa: E731
    return [
        shipment("leg-1", day(0), VENDOR, HUB_SG, goods(), consignee_type="direct_consumer", licence="NLR",
                 value=1_500_000.0),
        shipment("leg-2", day(6), HUB_SG, HUB_MY, goods(), value=1_600_000.0),
        shipment("leg-3", day(11), HUB_MY, last_consignee, goods(), value=1_750_000.0),
    ]


def test_vendor_hub_hub_china_is_one_alert_linking_every_hop():
    findings = run(chain())
    whole = by_pattern(findings, "multi_hop")
    assert whole
    check_finding_shape(whole[-1])
    assert whole[-1].severity == "critical" and "MULTI_HOP_CHAIN" in whole[-1].red_flags
    assert whole[-1].subject.entity_id == HUB_SG.entity_id
    assert whole[-1].pattern_key == "chain:AWB-leg-1|US>SG"
    alerts = fuse(findings)
    assert len(alerts) == 1, [a["summary"] for a in alerts]
    alert = alerts[0]
    assert alert["subject"]["entity_id"] == HUB_SG.entity_id
    assert alert["evidence"] == ["leg-1", "leg-2", "leg-3"]
    assert {p["entity_id"] for p in alert["related"]} == {VENDOR.entity_id, HUB_MY.entity_id, FINAL_CN.entity_id}
    assert set(alert["details"]["detectors"]) == {"transshipment.multi_hop@1", "transshipment.serial_chain@1"}
    assert "->" in alert["summary"]


def test_chain_without_serials_is_matched_hop_by_hop():
    findings = run(chain(with_serials=False))
    alerts = fuse(findings)
    assert len(alerts) == 1
    assert alerts[0]["evidence"] == ["leg-1", "leg-2", "leg-3"]
    assert "transshipment.pass_through_match@1" in alerts[0]["details"]["detectors"]


def test_chain_is_the_same_whichever_leg_arrives_first():
    from detectors.transshipment import TransshipmentDetector
    from tests.detectors.transshipment.builders import REF

    legs = chain()
    detector = TransshipmentDetector()
    findings = detector.observe([legs[1]], REF) + detector.observe([legs[2]], REF) + detector.observe([legs[0]], REF)
    whole = by_pattern(findings, "multi_hop")
    assert whole and whole[-1].pattern_key == "chain:AWB-leg-1|US>SG"
    assert set(whole[-1].evidence) == {"leg-1", "leg-2", "leg-3"}


def test_hub_that_keeps_the_goods_ends_no_chain():
    legs = chain(last_consignee=USER_MY)[:2]  # SG hub -> MY reseller, which keeps them
    findings = run(legs)
    assert by_pattern(findings, "multi_hop") == []
