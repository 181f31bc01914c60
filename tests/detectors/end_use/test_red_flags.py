"""Soft end-use red flags: for each, a minimal document that raises it and its nearest
legitimate twin that does not; then how flags combine into a severity."""

from __future__ import annotations

import datetime as dt

import pytest

from detectors.end_use import EndUseDetector
from tests.detectors.over_ordering.builders import at, entity, item, line, order, party, run, shipment

RED = "end_use.red_flags@1"


def flags_of(events) -> set[str]:
    return {flag for a in run(EndUseDetector(), events) for flag in a.red_flags}


def soft(events):
    return [a for a in run(EndUseDetector(), events) if a.detector == RED]


#: A strong flag on its own is medium with volume; tests add one weak flag where a flag
#: would be weak alone (a single weak flag raises nothing).
ESTABLISHED = dict(capacity=4096, website="example.example", incorporated=dt.date(2005, 1, 1))


def test_business_line_mismatch_by_registry_type():
    realty = entity("ent-realty", "Pinnacle Realty LLC", "US", "other", capacity=None)
    events = [realty, order(at(0), party(realty), [line("A100-PCIE-80GB", 100)], end_use="ai_training")]
    [alert] = soft(events)
    assert "BUSINESS_LINE_MISMATCH" in alert.red_flags and alert.severity == "medium"
    assert alert.subject.entity_id == "ent-realty"


def test_business_line_mismatch_by_name_of_an_unregistered_buyer():
    events = [order(at(0), party(name="Sunrise Seafood Export Sdn Bhd", country="MY"), [line("H100-SXM5-80GB", 16)])]
    assert "BUSINESS_LINE_MISMATCH" in flags_of(events)


def test_twin_enterprise_buying_cards_for_its_own_it_is_quiet():
    pharma = entity("ent-pharma", "Cascade Pharma Inc.", "US", "enterprise", **ESTABLISHED)
    assert flags_of([pharma, order(at(0), party(pharma), [line("L40S-48GB", 16)], end_use="enterprise_it")]) == set()


def test_end_use_product_mismatch_gaming_for_hgx_servers():
    buyer = entity("ent-gm", "Apex Games Pte Ltd", "SG", "enterprise", **ESTABLISHED)
    events = [buyer, order(at(0), party(buyer), [line("HGX-H100-8GPU", 4)], end_use="gaming")]
    [alert] = soft(events)
    assert alert.red_flags == ["END_USE_PRODUCT_MISMATCH"] and alert.severity == "medium"


def test_twin_gaming_retailer_buying_rtx_4090_for_gaming_is_quiet():
    retailer = entity("ent-gr", "Onyx Gamer Hub LLC", "US", "gaming_retail", website="onyx.example")
    assert flags_of([retailer, order(at(0), party(retailer), [line("RTX-4090-24GB", 300)], end_use="gaming")]) == set()


def test_twin_automotive_end_use_for_pcie_cards_is_quiet():
    maker = entity("ent-auto", "Vector Motors K.K.", "JP", "enterprise", **ESTABLISHED)
    assert flags_of([maker, order(at(0), party(maker), [line("L40S-48GB", 8)], end_use="automotive")]) == set()


@pytest.mark.parametrize("address", [
    "12 Maple St Apt 4, Edison, 08817",
    "Blk 123 Tampines Street 81, #05-12, Singapore 520123",
    "No. 3, Jalan Mawar 2, Taman Bahagia, 47000 Petaling Jaya",
    "7 Elm Ct Unit 23, Newark, 07102",
    "108/37 Moo 2, Soi Lat Phrao 37, Samut Prakan 10708",
    "PO Box 4411, Dubai",
])
def test_residential_or_virtual_ship_to_address(address):
    buyer = party(name="Straits IT Solutions LLC", country="US", address=address)
    [alert] = soft([order(at(0), buyer, [line("A100-PCIE-80GB", 20)], end_use="ai_inference")])
    assert "RESIDENTIAL_ADDRESS" in alert.red_flags and alert.severity == "medium"


@pytest.mark.parametrize("address", [
    "2100 Technology Dr, Suite 300, San Jose, 95110",
    "100 Pearl St, Hartford, CT 06103",
    "700/1 Moo 5, Bangna-Trad Rd, Chonburi 20000",
    "Lot 12, Jalan Teknologi, 63000 Cyberjaya",
])
def test_twin_commercial_addresses_are_quiet(address):
    buyer = entity("ent-com", "Commercial Compute Inc.", "US", address=address, **ESTABLISHED)
    assert flags_of([buyer, order(at(0), party(buyer, address=address), [line("A100-PCIE-80GB", 20)])]) == set()


def test_new_company_without_website_is_low():
    buyer = entity("ent-new", "Nova Tech Solutions Pte Ltd", "SG", "reseller", website=None,
                   incorporated=(at(-40)).date())
    [alert] = soft([buyer, order(at(0), party(buyer), [line("H100-SXM5-80GB", 16)], end_use="resale")])
    assert set(alert.red_flags) == {"NEW_COMPANY", "NO_ONLINE_PRESENCE"} and alert.severity == "low"
    assert alert.details["track_record"] is False


def test_twin_old_company_with_website_is_quiet():
    buyer = entity("ent-old", "Nova Old Pte Ltd", "SG", "reseller", website="nova.example", incorporated=dt.date(2001, 1, 1))
    assert flags_of([buyer, order(at(0), party(buyer), [line("H100-SXM5-80GB", 16)], end_use="resale")]) == set()


def test_one_weak_flag_alone_raises_nothing():
    buyer = entity("ent-noweb", "Quiet Compute Pte Ltd", "SG", capacity=1024, website=None)
    assert soft([buyer, order(at(0), party(buyer), [line("HGX-H100-8GPU", 2)])]) == []


def test_forwarder_as_ship_to_is_flagged_on_the_buyer():
    buyer = entity("ent-rs", "Harbor Tech Trading Sdn Bhd", "MY", "reseller", website="harbor.example")
    forwarder = entity("ent-fw", "Cirrus Air Cargo Sdn Bhd", "MY", "freight_forwarder")
    events = [buyer, forwarder, order(at(0), party(buyer), [line("H100-SXM5-80GB", 16)], ship_to=party(forwarder),
                                      end_user=party(forwarder), end_use="resale")]
    [alert] = [a for a in soft(events) if a.subject.entity_id == "ent-rs"]
    assert "FORWARDER_FINAL_CONSIGNEE" in alert.red_flags and alert.severity == "medium"


def test_forwarder_declared_as_consignee_type_on_the_filing():
    forwarder = entity("ent-fw2", "Nexus Logistics Limited", "HK", "logistics")
    events = [forwarder, shipment(at(0), party(forwarder), [item("H100-SXM5-80GB", 20)], consignee_type="freight_forwarder",
                                  license="D123456")]
    [alert] = soft(events)
    assert alert.red_flags == ["FORWARDER_FINAL_CONSIGNEE"] and alert.subject.entity_id == "ent-fw2"


def test_twin_distributor_restock_as_reseller_consignee_is_quiet():
    distributor = entity("ent-dist", "Pacific Electronics Distribution Pte Ltd", "SG", "distributor", **ESTABLISHED)
    events = [distributor,
              order(at(0), party(distributor), [line("H100-SXM5-80GB", 300)], end_use="resale"),
              shipment(at(5), party(distributor), [item("H100-SXM5-80GB", 300)], consignee_type="reseller")]
    assert run(EndUseDetector(), events) == []


def test_trading_company_declared_as_end_user():
    buyer = entity("ent-cl", "Cedar Cloud Sdn Bhd", "MY", **ESTABLISHED)
    end_user = party(name="Huarui Import Export Trading Co., Ltd.", country="MY")
    [alert] = soft([buyer, order(at(0), party(buyer), [line("HGX-H100-8GPU", 4)], end_user=end_user)])
    assert alert.red_flags == ["FORWARDER_FINAL_CONSIGNEE"] and alert.subject.entity_id == "ent-cl"


def test_third_country_payer():
    buyer = entity("ent-tp", "Kestrel Cloud Sdn Bhd", "MY", **ESTABLISHED)
    payer = party(name="Hengtong Holdings Limited", country="HK")
    [alert] = soft([buyer, order(at(0), party(buyer), [line("HGX-H100-8GPU", 4)], payer=payer)])
    assert alert.red_flags == ["THIRD_COUNTRY_PAYER"] and alert.severity == "medium"
    assert "watch country" in alert.details["flags"]["THIRD_COUNTRY_PAYER"]


def test_twin_group_treasury_paying_for_its_subsidiary_is_quiet():
    parent = entity("ent-tre", "Maple Holdings Inc.", "US", "enterprise")
    sub = entity("ent-tre-my", "Maple Cloud Sdn Bhd", "MY", parent="ent-tre", ultimate_country="US", **ESTABLISHED)
    assert flags_of([parent, sub, order(at(0), party(sub), [line("HGX-H100-8GPU", 4)], payer=party(parent))]) == set()


def test_twin_payer_in_the_buyers_country_is_quiet():
    buyer = entity("ent-tp2", "Kestrel Two Sdn Bhd", "MY", **ESTABLISHED)
    payer = party(name="Bank Leasing Berhad", country="MY")
    assert flags_of([buyer, order(at(0), party(buyer), [line("HGX-H100-8GPU", 4)], payer=payer)]) == set()


@pytest.mark.parametrize("method", ["cash", "crypto"])
def test_cash_or_crypto_for_accelerators(method):
    buyer = entity("ent-cash", "Ember AI LLC", "US", "ai_lab", **ESTABLISHED)
    [alert] = soft([buyer, order(at(0), party(buyer), [line("A100-PCIE-80GB", 2)], payment=method, end_use="ai_training")])
    assert alert.red_flags == ["CASH_OR_CRYPTO"]


def test_twin_card_payment_and_cash_for_cables_are_quiet():
    buyer = entity("ent-card", "Ember Two LLC", "US", "ai_lab", **ESTABLISHED)
    events = [buyer,
              order(at(0), party(buyer), [line("A100-PCIE-80GB", 2)], payment="card"),
              order(at(1), party(buyer), [line("DAC-CABLE-400G-2M", 100)], payment="cash")]
    assert flags_of(events) == set()


def test_declined_installation_with_rush_order_on_a_large_first_order_is_low():
    """No track record: the "little or no business background" red flag."""
    buyer = entity("ent-dec", "Sapphire Cloud Co., Ltd.", "TH", **ESTABLISHED)
    [alert] = soft([buyer, order(at(0), party(buyer), [line("HGX-H100-8GPU", 16)], installation=False, expedited=True)])
    assert set(alert.red_flags) == {"DECLINED_INSTALLATION", "EXPEDITED_HIGH_VALUE"} and alert.severity == "low"
    assert alert.details["track_record"] is False and alert.details["document_accelerators"] == 128


def test_twin_same_two_weak_flags_from_an_established_buyer_are_quiet():
    buyer = entity("ent-dec", "Sapphire Cloud Co., Ltd.", "TH", **ESTABLISHED)
    history = [order(at(i - 30), party(buyer), [line("HGX-H100-8GPU", 8)]) for i in range(3)]
    rush = order(at(0), party(buyer), [line("HGX-H100-8GPU", 16)], installation=False, expedited=True)
    assert soft([buyer, *history, rush]) == []


def test_twin_same_two_weak_flags_on_a_small_first_order_are_quiet():
    buyer = entity("ent-dec", "Sapphire Cloud Co., Ltd.", "TH", **ESTABLISHED)
    assert soft([buyer, order(at(0), party(buyer), [line("HGX-H100-8GPU", 2)], installation=False, expedited=True)]) == []


def test_three_weak_flags_are_low_whatever_the_track_record():
    buyer = entity("ent-dec", "Sapphire Cloud Co., Ltd.", "TH", **{**ESTABLISHED, "website": None})
    history = [order(at(i - 30), party(buyer), [line("HGX-H100-8GPU", 8)]) for i in range(3)]
    rush = order(at(0), party(buyer), [line("HGX-H100-8GPU", 16)], installation=False, expedited=True)
    alerts = soft([buyer, *history, rush])
    assert [set(a.red_flags) for a in alerts] == [{"DECLINED_INSTALLATION", "EXPEDITED_HIGH_VALUE", "NO_ONLINE_PRESENCE"}]
    assert alerts[0].severity == "low" and alerts[0].details["track_record"] is True


def test_twin_hyperscaler_declining_installation_alone_is_quiet():
    buyer = entity("ent-hyp", "Skyline Cloud Inc.", "US", capacity=100_000, website="skyline.example")
    events = [buyer] + [order(at(i), party(buyer), [line("HGX-H100-8GPU", 48)], installation=False) for i in range(5)]
    assert run(EndUseDetector(), events) == []


def test_price_far_outside_the_catalogue_range():
    buyer = entity("ent-price", "Zephyr Compute LLC", "US", website=None, capacity=1024)
    [alert] = soft([buyer, order(at(0), party(buyer), [line("H100-SXM5-80GB", 16, unit=4_000)], expedited=True)])
    assert set(alert.red_flags) == {"PRICE_OUT_OF_RANGE", "NO_ONLINE_PRESENCE", "EXPEDITED_HIGH_VALUE"}


def test_twin_price_inside_the_range_is_quiet():
    buyer = entity("ent-price2", "Zephyr Two LLC", "US", capacity=1024, **{k: v for k, v in ESTABLISHED.items() if k != "capacity"})
    assert flags_of([buyer, order(at(0), party(buyer), [line("H100-SXM5-80GB", 16, unit=31_000)])]) == set()


# -- severity together ---------------------------------------------------------------------


def test_strong_flag_below_the_volume_line_is_low():
    buyer = entity("ent-few", "Few Compute Sdn Bhd", "MY", **ESTABLISHED)
    payer = party(name="Hengtong Holdings Limited", country="HK")
    [alert] = soft([buyer, order(at(0), party(buyer), [line("H100-PCIE-80GB", 2)], payer=payer)])
    assert alert.severity == "low"


def test_two_strong_flags_are_high_and_three_are_critical():
    realty = party(name="Eastern Realty LLC", country="US")
    payer = party(name="Shenzhen Payer Co., Ltd.", country="CN")
    two = [order(at(0), realty, [line("A100-PCIE-80GB", 100)], payer=payer)]
    assert [a.severity for a in soft(two)] == ["high"]
    home = party(name="Eastern Realty LLC", country="US", address="12 Maple St Apt 4, Edison, 08817")
    three = [order(at(0), realty, [line("A100-PCIE-80GB", 100)], payer=payer, ship_to=home)]
    [alert] = soft(three)
    assert alert.severity == "critical"
    assert {"BUSINESS_LINE_MISMATCH", "THIRD_COUNTRY_PAYER", "RESIDENTIAL_ADDRESS"} <= set(alert.red_flags)


def test_flags_of_several_documents_fuse_into_one_alert_per_subject():
    buyer = entity("ent-fuse", "Fuse Compute Sdn Bhd", "MY", **ESTABLISHED)
    payer = party(name="Hengtong Holdings Limited", country="HK")
    events = [buyer,
              order(at(0), party(buyer), [line("HGX-H100-8GPU", 4)], payer=payer),
              order(at(9), party(buyer), [line("HGX-H100-8GPU", 4)], payment="cash")]
    [alert] = run(EndUseDetector(), events)
    assert set(alert.red_flags) == {"THIRD_COUNTRY_PAYER", "CASH_OR_CRYPTO"} and len(alert.evidence) == 2


# -- legitimate look-alikes ----------------------------------------------------------------


def test_university_buying_h100_with_installation_is_quiet():
    university = entity("ent-uni", "University of Penang", "MY", "university", capacity=512, website="uni.example")
    events = [university, order(at(0), party(university), [line("H100-PCIE-80GB", 32)], end_use="hpc_research",
                                installation=True),
              shipment(at(7), party(university), [item("H100-PCIE-80GB", 32)], license="NLR")]
    assert run(EndUseDetector(), events) == []


def test_indonesian_cloud_operator_with_foreign_tenant_is_not_an_export_case():
    operator = entity("ent-id", "PT Catalyst Cloud Nusantara", "ID", capacity=4096, website="catalyst.example",
                      address="Jl. Jend. Sudirman Kav. 52, Jakarta 12190")
    events = [operator,
              order(at(0), party(operator), [line("HGX-H100-8GPU", 16)]),
              shipment(at(8), party(operator), [item("HGX-H100-8GPU", 16)], license="NLR")]
    assert run(EndUseDetector(), events) == []


def test_singapore_billing_hub_shipping_to_japan_is_quiet():
    parent = entity("ent-bh", "Vertex Cloud Inc.", "US", capacity=60_000)
    biller = entity("ent-bh-sg", "Vertex Cloud Asia Pacific Pte Ltd", "SG", parent="ent-bh", ultimate_country="US")
    site = entity("ent-bh-jp", "Vertex Cloud Japan K.K.", "JP", capacity=8192, parent="ent-bh", ultimate_country="US")
    events = [parent, biller, site,
              order(at(0), party(biller), [line("HGX-H100-8GPU", 32)], ship_to=party(site), end_user=party(site)),
              shipment(at(9), party(site), [item("HGX-H100-8GPU", 32)], license="NLR")]
    assert run(EndUseDetector(), events) == []
