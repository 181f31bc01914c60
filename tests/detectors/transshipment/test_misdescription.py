"""Misdescription: GPUs declared as adapters, switches or cables (``MISDESCRIPTION``)."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.engine.records import classify_line
from detectors.transshipment.lines import line_facts
from tests.detectors.transshipment.builders import (
    FINAL_HK,
    HUB_SG,
    REF,
    USER_AU,
    VENDOR,
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
from detectors.transshipment.misdescription import _flag_lines, _may_flag_a_line, misdescribed_lines
from detectors.transshipment.settings import Settings

SETTINGS = Settings.from_thresholds(REF.thresholds)
WAREHOUSE = party("wh-us", "US", "Northstar Logistics LLC", business_type="logistics")
US_DISTRIBUTOR = party("dist-us", "US", business_type="distributor")


def adapters(quantity=40, value=1_200_000.0, shipper=HUB_SG, when=12.0, hts="8504.40", product="POWER ADAPTER 240W"):
    return shipment("out-1", day(when), shipper, FINAL_HK, [item(product, quantity, hts=hts, eccn="EAR99")],
                    value=value, licence="NLR")


def test_gpu_value_under_8504_after_an_inbound_gpu_leg_is_critical():
    inbound = shipment("in-1", day(0), VENDOR, HUB_SG, [item("H100-SXM5-80GB", 40)], consignee_type="direct_consumer")
    findings = by_pattern(run([inbound, adapters()]), "misdescription")
    assert len(findings) == 1
    finding = findings[0]
    check_finding_shape(finding)
    assert finding.severity == "critical"
    assert finding.subject.entity_id == HUB_SG.entity_id
    assert finding.evidence == ("in-1", "out-1")
    assert finding.details["lines"][0]["unit_value_usd"] == 30_000
    assert "8504.40" in finding.summary and "$30k" in finding.summary and "12 days after" in finding.summary


def test_gpu_value_under_8504_without_inbound_gpus_is_still_reported():
    findings = by_pattern(run([adapters()]), "misdescription")
    assert [f.severity for f in findings] == ["high"]  # to Hong Kong


def test_a_real_forty_dollar_adapter_is_quiet():
    assert run([adapters(quantity=400, value=16_000.0)]) == []


def test_gpus_bought_domestically_then_exported_as_cables():
    purchases = [order("po-1", day(0), US_DISTRIBUTOR, WAREHOUSE, [line("H100-SXM5-80GB", 30)])]
    out = adapters(shipper=WAREHOUSE, product="DATA CABLE UNBRANDED", hts="8544.42", quantity=30, value=900_000.0, when=20)
    findings = by_pattern(run(purchases + [out]), "misdescription")
    assert [f.severity for f in findings] == ["critical"]
    assert "po-1" in findings[0].evidence


def test_a_gpu_declared_under_an_unrelated_heading_fires_whatever_its_value():
    gpu_as_switch = shipment("out-1", day(3), HUB_SG, USER_AU, [item("H100-SXM5-80GB", 8, hts="8536.50")], value=800.0)
    findings = by_pattern(run([gpu_as_switch]), "misdescription")
    assert [f.details["lines"][0]["reason"] for f in findings] == ["gpu_under_unrelated_heading"]


def test_an_expensive_switch_beside_cheap_adapters_does_not_make_the_adapters_expensive():
    items = (item("IB-SWITCH-NDR", 4), item("POWER ADAPTER 240W", 10, hts="8504.40"))
    records = [shipment("out-1", day(1), HUB_SG, USER_AU, list(items), value=4 * 30_000 + 10 * 40.0)]
    assert run(records) == []


def test_line_classification():
    classify = REF.catalogue
    from detectors.engine.records import classify_line

    known = (classify_line(item("POWER ADAPTER 240W", 10, hts="8504.40"), classify),)  # a catalogue family
    assert misdescribed_lines(known, 400.0, REF.catalogue, SETTINGS) == ()
    assert [r for *_, r in misdescribed_lines(known, 300_000.0, REF.catalogue, SETTINGS)] == ["value_above_description"]
    unknown = (classify_line(item("STATIC CONVERTER UNIT", 10, hts="8504.40"), classify),)  # only the heading says it
    assert misdescribed_lines(unknown, 4_000.0, REF.catalogue, SETTINGS) == ()
    dear = misdescribed_lines(unknown, 300_000.0, REF.catalogue, SETTINGS)
    assert [reason for *_, reason in dear] == ["unrelated_heading_value"]
    hinted = (classify_line(item("CONTACTOR CONTROLLER X2", 10), classify),)  # no HTS: the description says it
    assert [r for *_, r in misdescribed_lines(hinted, 300_000.0, REF.catalogue, SETTINGS)] == ["unrelated_heading_value"]


LINE_PRODUCTS = ("H100-SXM5-80GB", "HGX-H100-8GPU", "POWER ADAPTER 240W", "DATA CABLE UNBRANDED", "IB-SWITCH-NDR",
                 "CPU-SERVER-2S", "STATIC CONVERTER UNIT", "CONTACTOR CONTROLLER X2", "UNKNOWN WIDGET", "H20-96GB")


@given(st.lists(st.tuples(st.sampled_from(LINE_PRODUCTS), st.integers(1, 500),
                          st.sampled_from((None, "8504.40", "8536.50", "8544.42", "8471.50"))), min_size=1, max_size=3),
       st.one_of(st.floats(0, 5e7, allow_nan=False), st.sampled_from((0.999, 1.0, 1.001, 1.2))),
       st.sampled_from((0.0, 0.2, 0.5)), st.sampled_from((0.0, 1.0, 3000.0, 5e5)))
@settings(max_examples=400)
def test_the_value_bound_never_hides_a_misdescribed_line(raw, value, tolerance, minimum):
    """``misdescribed_lines`` skips the line-by-line attribution when a bound says no line can
    be flagged; the attribution itself must then find nothing. A ``value`` below 2 puts the
    first line's attributed unit value at that multiple of its ceiling (the edge)."""
    tuned = dataclasses.replace(SETTINGS, match_value_tolerance=tolerance, misdescription_min_unit_value_usd=minimum)
    items = tuple(classify_line(item(p, q, hts=h), REF.catalogue) for p, q, h in raw)
    facts = [line_facts(i, REF.catalogue) for i in items]
    declared = value
    if value < 2:
        others = sum(i.quantity * (f.unit_max or 0.0) for i, f in zip(items[1:], facts[1:]))
        ceiling = max(minimum, (facts[0].unit_max or 0.0) * (1 + tolerance))
        declared = others + items[0].quantity * ceiling * value
    found = _flag_lines(items, facts, declared, tuned)
    assert not found or _may_flag_a_line(items, facts, declared, tuned)
    assert misdescribed_lines(items, declared, REF.catalogue, tuned) == found


def test_a_negative_catalogue_price_turns_the_bound_off():
    family = REF.catalogue.family("POWER-ADAPTER")
    odd = dataclasses.replace(family, unit_value_usd=dataclasses.replace(family.unit_value_usd, max=-1e6))
    catalogue = dataclasses.replace(REF.catalogue, products=tuple(odd if p is family else p
                                                                  for p in REF.catalogue.products), _memo={})
    # 100 adapters at $100 each are no GPUs, but at minus $1M each they make the switch look dear.
    items = (classify_line(item("POWER ADAPTER 240W", 100), catalogue),
             classify_line(item("IB-SWITCH-NDR", 1), catalogue))
    facts = [line_facts(i, catalogue) for i in items]
    assert _may_flag_a_line(items, facts, 10_000.0, SETTINGS)
    assert [r for *_, r in misdescribed_lines(items, 10_000.0, catalogue, SETTINGS)] == ["value_above_description"]
