"""Each over-ordering rule: a minimal case that fires, and its nearest legitimate twin that does not."""

from __future__ import annotations


import pytest

from detectors.over_ordering import OverOrderingDetector, ordering_party
from detectors.thresholds import Thresholds
from tests.detectors.over_ordering.builders import (
    at,
    entity,
    item,
    line,
    order,
    party,
    reference,
    records_of,
    run,
    shipment,
)


def servers(n: int, product: str = "HGX-H100-8GPU") -> list:
    return [line(product, n)]


def by_pattern(alerts, pattern: str):
    return [a for a in alerts if a.detector == f"over_ordering.{pattern}@1"]


def history(of) -> list:
    """A small earlier order, so a party is a known customer (not a first-time buyer)."""
    return [of, order(at(-30), party(of), [line("DAC-CABLE-400G-2M", 50)])]


# -- capacity ------------------------------------------------------------------------------


def test_subsidiary_over_capacity_fires_with_figures():
    sub = entity("ent-aurora-my", "Aurora Compute Sdn Bhd", "MY", capacity=1024)
    events = [sub] + [order(at(30 * i), party(sub), servers(64)) for i in range(3)]
    [alert] = by_pattern(run(OverOrderingDetector(), events), "capacity")
    assert alert.severity == "high"
    assert alert.red_flags == ["OVER_CAPACITY"]
    assert alert.subject.entity_id == "ent-aurora-my"
    assert "1,536" in alert.summary and "1,024" in alert.summary and "+50%" in alert.summary
    assert alert.details["declared_capacity"] == 1024 and alert.details["accelerators"] == 1536
    assert alert.details["thresholds_version"]
    assert len(alert.evidence) == 3  # every order in the window makes up the total


@pytest.mark.parametrize("total_servers, severity", [(136, None), (140, "medium"), (200, "high"), (376, "critical")])
def test_capacity_severity_rises_with_the_excess(total_servers, severity):
    cloud = entity("ent-c", "Cobalt Cloud Pte Ltd", "SG", capacity=1000)
    events = [*history(cloud), order(at(0), party(cloud), servers(total_servers // 2)),
              order(at(5), party(cloud), servers(total_servers - total_servers // 2))]
    found = by_pattern(run(OverOrderingDetector(), events), "capacity")
    assert [a.severity for a in found] == ([] if severity is None else [severity])


def test_cloud_provider_within_capacity_is_quiet():
    cloud = entity("ent-big", "Nimbus Cloud Inc.", "US", capacity=20_000)
    events = history(cloud) + [order(at(10 * i), party(cloud), servers(100)) for i in range(20)]  # 16,000 of 20,000
    assert run(OverOrderingDetector(), events) == []


def test_window_is_rolling_in_event_time():
    cloud = entity("ent-roll", "Rolling Cloud Pte Ltd", "SG", capacity=1000)
    events = [cloud, order(at(0), party(cloud), servers(100)), order(at(400), party(cloud), servers(100))]
    assert by_pattern(run(OverOrderingDetector(), events), "capacity") == []  # 800 + 800, a year apart


def test_an_order_and_the_legs_that_deliver_it_count_once():
    cloud = entity("ent-once", "Once Cloud Sdn Bhd", "MY", capacity=1000)
    placed = order(at(0), party(cloud), servers(120), order_id="SO-1")  # 960 of 1000
    legs = [
        shipment(at(5), party(cloud), [item("HGX-H100-8GPU", 60)], order_id="SO-1", shipment_id="AWB-1"),
        shipment(at(9), party(cloud), [item("HGX-H100-8GPU", 60)], order_id=None, shipment_id="AWB-2"),  # feed left out the order id
        shipment(at(11), party(cloud), [item("HGX-H100-8GPU", 60)], order_id=None, shipment_id="AWB-2", source="customs-my"),  # reported twice
    ]
    assert run(OverOrderingDetector(), [*history(cloud), placed, *legs]) == []


def test_legs_without_any_order_count_as_received():
    cloud = entity("ent-legs", "Legs Cloud Sdn Bhd", "MY", capacity=1000)
    legs = [shipment(at(i), party(cloud), [item("HGX-H100-8GPU", 60)], shipment_id=f"AWB-L{i}") for i in range(3)]
    [alert] = by_pattern(run(OverOrderingDetector(), [cloud, *legs]), "capacity")
    assert alert.details["received_accelerators"] == 1440 and alert.details["ordered_accelerators"] == 0


def test_billing_hub_counts_against_the_data_centre_not_the_biller():
    parent = entity("ent-grp", "Vertex Cloud Inc.", "US", capacity=60_000)
    biller = entity("ent-bill-sg", "Vertex Cloud Asia Pacific Pte Ltd", "SG", parent="ent-grp", ultimate_country="US")
    site = entity("ent-site-jp", "Vertex Cloud Japan K.K.", "JP", capacity=4096, parent="ent-grp", ultimate_country="US")
    events = [parent, biller, *history(site)] + [
        order(at(20 * i), party(biller), servers(48), ship_to=party(site)) for i in range(8)  # 3,072 of 4,096
    ]
    assert run(OverOrderingDetector(), events) == []
    ref = reference(parent, biller, site)
    [record] = records_of(ref, events[4:5])
    assert ordering_party(record).entity_id == "ent-site-jp"


def test_billing_hub_volume_over_the_site_capacity_lands_on_the_site():
    parent = entity("ent-grp2", "Vertex Two Inc.", "US")
    biller = entity("ent-bill2-sg", "Vertex Two Asia Pacific Pte Ltd", "SG", parent="ent-grp2", ultimate_country="US")
    site = entity("ent-site2-jp", "Vertex Two Japan K.K.", "JP", capacity=1024, parent="ent-grp2", ultimate_country="US")
    events = [parent, biller, site] + [order(at(20 * i), party(biller), servers(48), ship_to=party(site)) for i in range(4)]
    [alert] = by_pattern(run(OverOrderingDetector(), events), "capacity")
    assert alert.subject.entity_id == "ent-site2-jp"


def test_large_distributor_is_never_judged_against_capacity():
    distributor = entity("ent-dist", "Pacific Electronics Distribution Pte Ltd", "SG", "distributor")
    events = [distributor] + [order(at(5 * i), party(distributor), servers(200), end_use="resale") for i in range(10)]
    assert run(OverOrderingDetector(), events) == []


def test_forwarder_ship_to_counts_against_the_buyer():
    buyer = entity("ent-fb", "Falcon Compute Sdn Bhd", "MY", capacity=256)
    forwarder = entity("ent-fwd", "Harbor Global Freight Sdn Bhd", "MY", "freight_forwarder")
    events = [buyer, forwarder, order(at(0), party(buyer), servers(64), ship_to=party(forwarder))]
    [alert] = by_pattern(run(OverOrderingDetector(), events), "capacity")
    assert alert.subject.entity_id == "ent-fb"


# -- group ---------------------------------------------------------------------------------


def _group(shared_address: bool):
    parent = entity("ent-hold", "Meridian Holdings Pte Ltd", "SG", "enterprise", capacity=2048 if shared_address else None)
    subs = [
        entity(f"ent-sub{i}", f"Meridian Cloud {i} Sdn Bhd", "MY", capacity=2048, parent="ent-hold",
               ultimate_country="SG", address="Lot 7, Jalan Teknologi, Cyberjaya" if shared_address else f"Lot {i}, Kulim")
        for i in range(3)
    ]
    orders = [order(at(10 * i + j), party(sub), servers(200)) for i, sub in enumerate(subs) for j in range(1)]  # 1,600 each
    return [parent, *subs, *orders]


def test_group_over_shared_capacity_fires_on_the_parent():
    alerts = run(OverOrderingDetector(), _group(shared_address=True))
    [alert] = by_pattern(alerts, "group_capacity")
    assert alert.subject.entity_id == "ent-hold"
    assert alert.red_flags == ["GROUP_OVER_CAPACITY"]
    assert {p.entity_id for p in alert.related} == {"ent-sub0", "ent-sub1", "ent-sub2"}
    assert alert.details["combined_capacity"] == 2048 and alert.details["accelerators"] == 4800
    assert by_pattern(alerts, "capacity") == []  # each member alone is within its declaration


def test_group_with_separate_sites_is_within_its_combined_capacity():
    assert by_pattern(run(OverOrderingDetector(), _group(shared_address=False)), "group_capacity") == []


# -- no declared capacity ------------------------------------------------------------------


@pytest.mark.parametrize("capacity", [None, 0])
def test_datacenter_volume_without_declared_capacity(capacity):
    cloud = entity("ent-nocap", "Zenith GPU Cloud FZE", "AE", capacity=capacity)
    events = [cloud, order(at(0), party(cloud), servers(16)), order(at(20), party(cloud), servers(16))]
    [alert] = by_pattern(run(OverOrderingDetector(), events), "no_capacity")
    assert alert.severity == "high" and alert.red_flags == ["NO_DECLARED_CAPACITY"]


def test_no_capacity_below_the_line_and_non_datacenter_goods_are_quiet():
    gamer = entity("ent-gamer", "Onyx Gaming LLC", "US", "gaming_retail")
    small = entity("ent-small", "Small Compute LLC", "US", "enterprise")
    events = [
        gamer, small,
        order(at(0), party(gamer), [line("RTX-4090-24GB", 600)], end_use="gaming"),
        order(at(1), party(small), [line("L40S-48GB", 40)], end_use="enterprise_it"),
    ]
    assert by_pattern(run(OverOrderingDetector(), events), "no_capacity") == []


def test_unregistered_party_with_datacenter_volume_is_only_low():
    events = [order(at(0), party(name="Unknown Compute Co., Ltd.", country="VN"), servers(16))]
    [alert] = by_pattern(run(OverOrderingDetector(), events), "no_capacity")
    assert alert.severity == "low"


# -- first-time large order ----------------------------------------------------------------


def test_first_order_large_in_volume_and_value_fires():
    cloud = entity("ent-new", "Horizon Cloud Sdn Bhd", "MY", capacity=8192)
    [alert] = by_pattern(run(OverOrderingDetector(), [cloud, order(at(0), party(cloud), servers(96))]), "first_order")
    assert alert.red_flags == ["FIRST_TIME_LARGE_ORDER"] and alert.severity == "medium"  # fits its capacity
    assert "768" in alert.summary


def test_same_order_after_history_is_not_first_time():
    cloud = entity("ent-old", "Horizon Two Sdn Bhd", "MY", capacity=8192)
    events = [cloud, order(at(0), party(cloud), [line("DAC-CABLE-400G-2M", 100)]), order(at(3), party(cloud), servers(96))]
    assert by_pattern(run(OverOrderingDetector(), events), "first_order") == []


def test_first_order_of_sixteen_servers_is_an_ordinary_first_order():
    cloud = entity("ent-16", "Ordinary Cloud SAS", "FR", capacity=80_000)
    events = [cloud, order(at(0), party(cloud), [line("HGX-H200-8GPU", 16, unit=340_000)])]  # $5.4M but 128 accelerators
    assert by_pattern(run(OverOrderingDetector(), events), "first_order") == []


def test_first_order_without_capacity_and_huge_is_critical():
    events = [order(at(0), party(name="Brand New Compute Pte Ltd", country="SG"), servers(200))]
    [alert] = by_pattern(run(OverOrderingDetector(), events), "first_order")
    assert alert.severity == "critical"


# -- burst ---------------------------------------------------------------------------------


def _burst_events(baseline_servers: int, history_orders: int, burst_orders: int):
    cloud = entity("ent-burst", "Kestrel Cloud Co., Ltd.", "TH", capacity=16_384)
    events = [cloud]
    events += [order(at(20 * i), party(cloud), servers(baseline_servers)) for i in range(history_orders)]
    start = 20 * history_orders + 30
    events += [order(at(start + 2 * i), party(cloud), servers(100)) for i in range(burst_orders)]  # $30M each
    return events


def test_burst_far_above_own_history_and_peers_is_critical():
    alerts = run(OverOrderingDetector(), _burst_events(baseline_servers=2, history_orders=4, burst_orders=5))
    [alert] = by_pattern(alerts, "burst")
    assert alert.severity == "critical" and alert.red_flags == ["ORDER_BURST"]
    assert alert.details["value_usd"] >= 100_000_000


def test_steady_large_buyer_is_not_a_burst():
    alerts = run(OverOrderingDetector(), _burst_events(baseline_servers=100, history_orders=12, burst_orders=3))
    assert by_pattern(alerts, "burst") == []


def test_twin_hyperscaler_capex_cycle_a_few_times_its_average_is_not_a_burst():
    """A large buyer quintupling a quarter is a capex cycle; the diversion cases were a
    burst against a baseline of a few small orders (>= 10x, thresholds.toml)."""
    events = _burst_events(baseline_servers=80, history_orders=12, burst_orders=5)
    assert by_pattern(run(OverOrderingDetector(), events), "burst") == []
    lenient = Thresholds.load().with_overrides(over_ordering={"burst_history_multiple": 4.0})
    [alert] = by_pattern(run(OverOrderingDetector(), events, thresholds=lenient), "burst")
    assert 4.0 <= alert.details["value_usd"] / alert.details["own_baseline_usd"] < 10.0


def test_no_history_is_not_a_burst():
    cloud = entity("ent-nohist", "Fresh Cloud Co., Ltd.", "TH", capacity=100_000)
    events = [cloud] + [order(at(i), party(cloud), servers(100)) for i in range(5)]
    assert by_pattern(run(OverOrderingDetector(), events), "burst") == []


# -- reference changes ---------------------------------------------------------------------


def test_capacity_cut_in_the_registry_is_judged_at_once():
    cloud = entity("ent-cut", "Cut Cloud Pte Ltd", "SG", capacity=4096)
    cut = entity("ent-cut", "Cut Cloud Pte Ltd", "SG", capacity=512, when=at(10))
    events = [cloud, order(at(0), party(cloud), servers(100)), cut, order(at(20), party(name="x", country="US"), [line("DAC-CABLE-400G-2M", 1)])]
    [alert] = by_pattern(run(OverOrderingDetector(), events), "capacity")
    assert alert.subject.entity_id == "ent-cut" and alert.severity == "high"  # 800 against 512: +56%
