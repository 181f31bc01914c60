"""Consolidation: straw purchases converge on one address, which then exports (``CONSOLIDATION``)."""

from __future__ import annotations

from tests.detectors.transshipment.builders import (
    FINAL_HK,
    by_pattern,
    check_finding_shape,
    day,
    item,
    line,
    order,
    party,
    run,
    shipment,
)

ADDRESS = "12 Industrial Ave., Unit 4, Edison, NJ 08817"
SELLER = party("dist-us", "US", business_type="distributor")
WAREHOUSE = party("wh-us", "US", "Lighthouse Logistics LLC", registered=False)


def straw(n, *, parent=None, spelled=ADDRESS):
    buyer = party(f"straw-{n}", "US", f"Straw Buyer {n} LLC", registered=parent is not None, business_type="enterprise",
                  parent=parent)
    ship_to = party(f"straw-{n}-co", "US", f"Straw Buyer {n} c/o Lighthouse", registered=False, address=spelled)
    return order(f"po-{n}", day(n * 5), SELLER, buyer, [line("H100-PCIE-80GB", 4, 25_000)], ship_to=ship_to)


def export(consignee=FINAL_HK, when=40):
    shipper = party(WAREHOUSE.entity_id, "US", WAREHOUSE.name, registered=False, address=ADDRESS.upper())
    return shipment("out-1", day(when), shipper, consignee, [item("H100-PCIE-80GB", 12)], value=330_000.0,
                    licence="NLR", source="aes")


def test_three_unrelated_buyers_at_one_address_then_an_export_fires():
    findings = by_pattern(run([straw(1), straw(2), straw(3, spelled="12 INDUSTRIAL AVE UNIT 4 EDISON NJ 08817"),
                               export()]), "consolidation")
    assert len(findings) == 1
    finding = findings[0]
    check_finding_shape(finding)
    assert finding.severity == "critical"
    assert finding.subject.entity_id == WAREHOUSE.entity_id
    assert set(finding.evidence) == {"po-1", "po-2", "po-3", "out-1"}
    assert {p.entity_id for p in finding.related} >= {"straw-1", "straw-2", "straw-3", FINAL_HK.entity_id}
    assert finding.details["buyer_groups"] == 3


def test_two_buyers_are_not_enough():
    assert by_pattern(run([straw(1), straw(2), export()]), "consolidation") == []


def test_buyers_of_one_group_count_once():
    orders = [straw(n, parent="group-parent") for n in (1, 2, 3)]
    assert by_pattern(run(orders + [export()]), "consolidation") == []


def test_purchases_without_an_export_are_quiet():
    assert run([straw(1), straw(2), straw(3)]) == []


def test_forwarder_sending_a_buyer_its_own_goods_is_routing():
    buyer = party("straw-3", "US", "Straw Buyer 3 LLC", business_type="enterprise")
    assert by_pattern(run([straw(1), straw(2), straw(3), export(consignee=buyer)]), "consolidation") == []


def test_purchases_outside_the_window_do_not_count():
    assert by_pattern(run([straw(1), straw(2), straw(3), export(when=200)]), "consolidation") == []
