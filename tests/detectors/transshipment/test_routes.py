"""Destinations, licences and declared roles: the questions every hop asks."""

from __future__ import annotations

import msgspec
import pytest

from detectors.transshipment.ingest import leg_from_shipment, merge_legs, normalise_address
from detectors.transshipment.routes import classify_destination, is_licensed, role_of
from detectors.transshipment.settings import Settings
from detectors.transshipment.state import PartyInfo
from tests.detectors.transshipment.builders import HUB_SG, REF, VENDOR, day, item, party, shipment

SETTINGS = Settings.from_thresholds(REF.thresholds)


def leg_to(country, licence=None, product="H100-SXM5-80GB", transit=None):
    record = shipment("x", day(0), HUB_SG, party(f"c-{country}", country), [item(product, 8)], licence=licence,
                      transit=transit)
    return leg_from_shipment(record, REF, SETTINGS)


@pytest.mark.parametrize("country, licence, kind", [
    ("CN", None, "embargoed"),
    ("HK", "NLR", "embargoed"),
    ("MO", None, "embargoed"),
    ("CN", "D123456", "licensed"),
    ("AE", "NLR", "controlled"),  # declared no licence needed: wrong for H100s to the UAE
    ("AE", None, "unverified"),  # the feed carries no licence field
    ("VN", "NAC", "licensed"),  # a licence exception counts
    ("MY", None, "hub"),
    ("IN", None, "point"),  # a listed transshipment point, not a hub
    ("AU", None, "other"),
    ("SG", None, "domestic"),
])
def test_destination_kinds(country, licence, kind):
    assert classify_destination(leg_to(country, licence), REF.countries).kind == kind


def test_uncontrolled_goods_need_no_licence_anywhere():
    assert leg_to("CN", product="RTX-4060-8GB") is None  # nothing licensable: not even remembered
    no_scopes = msgspec.structs.replace(leg_to("CN"), accelerators=0, families=(), scopes=())  # as a leg of RTX cards
    assert classify_destination(no_scopes, REF.countries).kind != "embargoed"


def test_transit_through_a_transshipment_point_is_noted():
    assert classify_destination(leg_to("AU", transit=["AE"]), REF.countries).via_transshipment_point


@pytest.mark.parametrize("licence, licensed", [(None, False), ("NLR", False), ("nlr ", False), ("D123", True),
                                               ("NAC", True)])
def test_licence_field(licence, licensed):
    assert is_licensed(licence) is licensed


def test_role_is_the_declaration_first_then_the_registry():
    reseller = PartyInfo("p", "P", "SG", True, "reseller", "p", 0)
    assert role_of(reseller, "direct_consumer") == "end_user"  # told the vendor it was the end user
    assert role_of(reseller, "other_unknown") == "trader"
    assert role_of(msgspec.structs.replace(reseller, business_type=None), "other_unknown") == "unknown"
    assert role_of(reseller, "freight_forwarder") == "forwarder"


def test_addresses_compare_without_case_punctuation_or_spacing():
    spelled = normalise_address("12 Industrial Ave., Unit 4,  Edison, NJ")
    assert spelled == normalise_address("12 INDUSTRIAL AVE UNIT 4 EDISON NJ")
    assert normalise_address(" ,. ") is None and normalise_address(None) is None


def test_two_filings_merge_the_same_whichever_comes_first():
    goods = [item("H100-SXM5-80GB", 8, [f"S{i}" for i in range(8)])]
    a = leg_from_shipment(shipment("a", day(0), VENDOR, HUB_SG, goods, shipment_id="AWB", licence="NLR"), REF, SETTINGS)
    b = leg_from_shipment(shipment("b", day(2), VENDOR, party("hub-sg-2", "SG"), [item("H100-SXM5-80GB", 8)],
                                   shipment_id="AWB", consignee_type="direct_consumer"), REF, SETTINGS)
    merged = merge_legs(a, b)
    assert merged == merge_legs(b, a)
    assert merged.ids == ("a", "b") and merged.t == a.t and merged.licence == "NLR"
    assert set(merged.consignees) == {"hub-sg", "hub-sg-2"} and len(merged.serials) == 8
