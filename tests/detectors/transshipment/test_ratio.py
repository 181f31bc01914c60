"""Pass-through ratio: most of what a party receives is re-exported to hubs or licence destinations."""

from __future__ import annotations

from tests.detectors.transshipment.builders import (
    FINAL_HK,
    USER_AU,
    VENDOR,
    by_pattern,
    check_finding_shape,
    day,
    item,
    party,
    run,
    shipment,
)

HUB = party("hub-id", "ID", "PT Summit Tech", business_type="reseller")
USER_JP = party("user-jp", "JP", business_type="ai_lab")


def receive(quantity=128, consignee=HUB, product="H100-SXM5-80GB", consignee_type="reseller"):
    return shipment("in-1", day(0), VENDOR, consignee, [item(product, quantity)], consignee_type=consignee_type,
                    licence="NLR")


def send(event_id, when, quantity, consignee, shipper=HUB, product="H100-SXM5-80GB"):
    return shipment(event_id, day(when), shipper, consignee, [item(product, quantity)])


def test_split_reexports_to_hong_kong_fire_the_ratio():
    records = [receive(), send("out-1", 5, 40, FINAL_HK), send("out-2", 9, 30, FINAL_HK)]
    findings = by_pattern(run(records), "pass_through_ratio")
    assert findings, "70 of 128 re-exported to HK"
    last = findings[-1]
    check_finding_shape(last)
    assert last.severity == "critical" and last.pattern_key == "pass_through_ratio"
    assert last.details["ratio"] == round(70 / 128, 4)
    assert set(last.evidence) == {"in-1", "out-1", "out-2"}


def test_below_the_ratio_is_quiet():
    records = [receive(), send("out-1", 5, 40, FINAL_HK)]  # 31%
    assert by_pattern(run(records), "pass_through_ratio") == []


def test_below_the_minimum_volume_is_quiet():
    records = [receive(quantity=40), send("out-1", 5, 20, FINAL_HK), send("out-2", 9, 20, FINAL_HK)]
    assert by_pattern(run(records), "pass_through_ratio") == []


def test_regional_distribution_to_non_licence_countries_is_quiet():
    distributor = party("dist-sg", "SG", business_type="distributor")
    records = [receive(consignee=distributor), send("out-1", 3, 64, USER_AU, shipper=distributor),
               send("out-2", 4, 64, USER_JP, shipper=distributor)]
    assert run(records) == []


def test_server_maker_turning_modules_into_servers_is_not_pass_through():
    oem = party("oem-tw", "TW", business_type="oem_server")
    records = [receive(consignee=oem, quantity=256), send("out-1", 20, 16, FINAL_HK, shipper=oem, product="HGX-H100-8GPU")]
    assert by_pattern(run(records), "pass_through_ratio") == []


USER_AE = party("user-ae", "AE", business_type="ai_lab")
USER_SG = party("user-sg", "SG", business_type="ai_lab")


def _hub_trade(last_to=USER_AE):
    """A declared reseller passing 112 of 128 H100s on to hubs (AE twice, then ``last_to``)."""
    return [receive(), send("out-1", 3, 48, USER_AE), send("out-2", 4, 48, USER_AE), send("out-3", 5, 16, last_to)]


def _outbound_reads(monkeypatch) -> list[tuple[str, int]]:
    """(exporter, legs read) for every read of an exporter's outbound window."""
    from detectors.transshipment.state import State

    reads: list[tuple[str, int]] = []
    window = State.window

    def spy(self, index, party, since, until):
        found = window(self, index, party, since, until)
        if index is self.outbound:
            reads.append((party, len(found)))
        return found

    monkeypatch.setattr(State, "window", spy)
    return reads


def test_a_trader_sending_nothing_where_a_licence_is_missing_is_quiet_without_reading_its_exports(monkeypatch):
    reads = _outbound_reads(monkeypatch)
    assert by_pattern(run(_hub_trade()), "pass_through_ratio") == []  # 75% to hubs: regional distribution
    assert [legs for exporter, legs in reads if exporter == HUB.entity_id and legs] == []


def test_the_forbidden_export_count_follows_the_country_groups(monkeypatch):
    import dataclasses

    from detectors.transshipment import TransshipmentDetector
    from tests.detectors.transshipment.builders import REF, Ref

    # The same groups but the UAE treated as China: a licence destination.
    strict = Ref(countries=dataclasses.replace(REF.countries, version=f"{REF.countries.version}+ae",
                                               treated_as={**REF.countries.treated_as, "AE": "CN"}))
    assert by_pattern(run(_hub_trade(), ref=strict), "pass_through_ratio")  # H100s to "China" without a licence

    # Groups changing mid-stream: out-1 and out-2 were counted under the old groups (to a
    # hub), and out-3 (to Singapore, a hub under both) finds them forbidden under the new.
    reads = _outbound_reads(monkeypatch)
    detector = TransshipmentDetector()
    records = _hub_trade(last_to=USER_SG)
    assert by_pattern(run(records[:3], detector=detector), "pass_through_ratio") == []
    assert detector.state.forbidden_under[0] is REF.countries  # counted under the old groups
    findings = by_pattern(run(records[3:], detector=detector, ref=strict), "pass_through_ratio")
    assert findings and findings[-1].details["accelerators_to_licence_destinations"] == 96
    assert (HUB.entity_id, 3) in reads
