"""Line facts: memoised per product and catalogue, never read for another catalogue or family."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from detectors.engine.records import classify_line
from detectors.transshipment import lines
from detectors.transshipment.ingest import leg_from_shipment, order_from_record
from detectors.transshipment.lines import licence_scope, line_facts, relevant_accelerators
from detectors.transshipment.settings import Settings
from tests.detectors.transshipment.builders import HUB_SG, REF, VENDOR, day, item, line, order, party, shipment

SETTINGS = Settings.from_thresholds(REF.thresholds)


def test_facts_are_worked_out_again_for_another_catalogue():
    cable = classify_line(item("DATA CABLE UNBRANDED", 3, hts="8544.42"), REF.catalogue)
    without_headings = dataclasses.replace(REF.catalogue, unrelated_headings=())
    assert line_facts(cable, REF.catalogue).heading is not None
    assert line_facts(cable, without_headings).heading is None
    assert line_facts(cable, REF.catalogue).heading is not None  # and back again


def test_facts_follow_the_lines_own_family():
    """Two lines with the same product fields, classified against catalogues that price the family differently."""
    family = REF.catalogue.family("H100-SXM5")
    cheaper = dataclasses.replace(family, unit_value_usd=dataclasses.replace(family.unit_value_usd, max=1.0))
    repriced = dataclasses.replace(REF.catalogue, products=tuple(cheaper if p is family else p
                                                                 for p in REF.catalogue.products), _memo={})
    real = classify_line(item("H100-SXM5-80GB", 1), REF.catalogue)
    relabelled = classify_line(item("H100-SXM5-80GB", 1), repriced)
    assert relabelled.family is cheaper
    assert line_facts(real, REF.catalogue).unit_max == family.unit_value_usd.max
    assert line_facts(relabelled, REF.catalogue).unit_max == 1.0
    assert line_facts(real, REF.catalogue).family is family


def test_the_memo_is_bounded():
    for n in range(lines.MEMO_MAX + 10):
        line_facts(classify_line(item(f"JUNK PRODUCT {n}", 1), REF.catalogue), REF.catalogue)
    assert len(lines._MEMO) <= lines.MEMO_MAX


PRODUCTS = ("H100-SXM5-80GB", "H20-96GB", "RTX-4060-8GB", "DATA CABLE UNBRANDED", "UNKNOWN WIDGET", "HGX-H100-8GPU")


@given(st.lists(st.tuples(st.sampled_from(PRODUCTS), st.integers(1, 50), st.sampled_from((None, "3A090.a", "EAR99"))),
                min_size=1, max_size=4),
       st.dates(dt.date(2024, 6, 1), dt.date(2026, 6, 1)))
def test_relevant_accelerators_counts_the_relevant_lines(raw, when):
    """H20 lines count only from their licence date: the day is worked out lazily but must be right."""
    classified = [classify_line(item(p, q, eccn=e), REF.catalogue) for p, q, e in raw]
    moment = dt.datetime(when.year, when.month, when.day, 23, 59, tzinfo=dt.timezone.utc)
    expected = sum(ln.accelerators for ln in classified if licence_scope(ln, when) is not None)
    assert relevant_accelerators(classified, moment) == expected


def test_records_without_licensable_accelerators_are_not_built():
    cards = shipment("x", day(0), HUB_SG, party("c-cn", "CN"), [item("RTX-4060-8GB", 8)])
    assert leg_from_shipment(cards, REF, SETTINGS) is None
    adapters_at_gpu_prices = shipment("y", day(0), HUB_SG, party("c-cn", "CN"),
                                      [item("POWER ADAPTER 240W", 8, hts="8504.40")], value=240_000.0)
    kept = leg_from_shipment(adapters_at_gpu_prices, REF, SETTINGS)
    assert kept is not None and kept.accelerators == 0 and kept.misdescribed
    assert order_from_record(order("o", day(0), VENDOR, HUB_SG, [line("RTX-4060-8GB", 4)]), 0) is None
    assert order_from_record(order("p", day(0), VENDOR, HUB_SG, [line("H100-SXM5-80GB", 4)]), 0).accelerators == 4


def test_licence_scope_of_a_line():
    """Relevant lines and the scope they need: the family's when it has one, else the ECCN's."""
    before, after = dt.date(2025, 4, 8), dt.date(2025, 4, 9)
    h20 = classify_line(item("H20-96GB", 4), REF.catalogue)
    assert licence_scope(h20, before) is None and licence_scope(h20, after) == "d5_macau"
    assert licence_scope(classify_line(item("RTX-4060-8GB", 4), REF.catalogue), after) is None
    assert licence_scope(classify_line(item("UNKNOWN WIDGET", 4, eccn="3A090.a"), REF.catalogue), after) == \
        "advanced_computing"
    assert licence_scope(classify_line(item("DAC-CABLE-400G-2M", 4, eccn="3A090.a"), REF.catalogue), after) is None
