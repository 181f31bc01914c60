"""Legitimate trade that looks like transshipment must not alert medium or higher."""

from __future__ import annotations

from tests.detectors.transshipment.builders import (
    VENDOR,
    assert_medium_or_higher_absent,
    day,
    item,
    line,
    order,
    party,
    run,
    serials,
    shipment,
)

SG_DISTRIBUTOR = party("dist-sg", "SG", "Beacon Components Pte Ltd", business_type="distributor")


def test_singapore_billing_hub_whose_goods_ship_elsewhere():
    biller = party("bill-sg", "SG", "Nimbus Cloud Asia Pacific Pte Ltd", business_type="cloud_provider",
                   parent="nimbus-us")
    sites = [party(f"site-{c.lower()}", c, business_type="cloud_provider", parent="nimbus-us") for c in ("JP", "AU", "IN")]
    records = []
    for n, site in enumerate(sites):
        records.append(order(f"po-{n}", day(n), VENDOR, biller, [line("HGX-H100-8GPU", 16, 300_000)], ship_to=site))
        records.append(shipment(f"leg-{n}", day(n + 5), VENDOR, site, [item("HGX-H100-8GPU", 16, serials(f"B{n}", 16))],
                                consignee_type="direct_consumer", licence="NLR", order_id=f"SO-po-{n}"))
    assert run(records) == []


def test_singapore_distributor_reexporting_serialised_units_to_au_jp_in_within_days():
    stock = serials("R", 96)
    records = [shipment("in-1", day(0), VENDOR, SG_DISTRIBUTOR, [item("H100-SXM5-80GB", 96, stock)],
                        consignee_type="reseller", licence="NLR")]
    for n, country in enumerate(("AU", "JP", "IN")):
        customer = party(f"user-{country.lower()}", country, business_type="cloud_provider")
        records.append(shipment(f"out-{n}", day(3 + n), SG_DISTRIBUTOR, customer,
                                [item("H100-SXM5-80GB", 32, stock[32 * n:32 * (n + 1)])],
                                consignee_type="direct_consumer", licence=None if n % 2 else "NLR"))
    assert_medium_or_higher_absent(run(records))


def test_large_distributor_restocking_and_reselling_at_home():
    us_distributor = party("dist-us", "US", business_type="distributor")
    records = []
    for n in range(6):
        stock = serials(f"L{n}", 200)
        records.append(shipment(f"in-{n}", day(7 * n), party("oem-tw", "TW", business_type="oem_server"), us_distributor,
                                [item("H100-SXM5-80GB", 200, stock)], consignee_type="reseller", licence="NLR"))
        for k in range(4):
            customer = party(f"user-{n}-{k}", "US", business_type="enterprise")
            records.append(shipment(f"out-{n}-{k}", day(7 * n + 2 + k), us_distributor, customer,
                                    [item("H100-SXM5-80GB", 50, stock[50 * k:50 * (k + 1)])], origin="US", dest="US"))
    assert run(records) == []


def test_licensed_reexport_to_a_licence_destination():
    customer = party("cloud-ae", "AE", business_type="cloud_provider")
    units = serials("AE", 64)
    records = [
        shipment("in-1", day(0), VENDOR, SG_DISTRIBUTOR, [item("H100-SXM5-80GB", 64, units)], consignee_type="reseller"),
        shipment("out-1", day(4), SG_DISTRIBUTOR, customer, [item("H100-SXM5-80GB", 64, units)], licence="D987654",
                 consignee_type="direct_consumer"),
    ]
    assert run(records) == []


def test_group_moving_its_own_servers_between_its_data_centres():
    sg_site = party("grp-sg", "SG", business_type="cloud_provider", parent="grp")
    jp_site = party("grp-jp", "JP", business_type="cloud_provider", parent="grp")
    units = serials("G", 8)
    records = [
        shipment("in-1", day(0), VENDOR, sg_site, [item("HGX-H100-8GPU", 8, units)], consignee_type="direct_consumer"),
        shipment("out-1", day(10), sg_site, jp_site, [item("HGX-H100-8GPU", 8, units)], consignee_type="direct_consumer"),
    ]
    assert run(records) == []
