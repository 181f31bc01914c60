"""Injected cases: every typology of the domain facts, several cases per pattern.

``PATTERNS`` fixes the order (and so each pattern's serial block); append new patterns
at the end so existing cases keep their serial numbers. Each case draws from its own
random stream, so adding one never changes another.
"""

from __future__ import annotations

from typing import Any

from streams.simulate.cases import end_use, over_ordering, screening, transshipment
from streams.simulate.cases.base import CaseContext, CaseRecord, ItemSpec, Pattern, party_ref
from streams.simulate.config import SimulationConfig
from streams.simulate.refs import References
from streams.simulate.world import World

__all__ = ["PATTERNS", "TYPOLOGIES", "build_cases", "CaseRecord", "CaseContext", "ItemSpec", "Pattern", "party_ref"]

#: Typologies of injected cases (the contract's alert enum less ``anomaly``, which is a
#: detector's statistical view rather than a scheme the simulator plays out).
TYPOLOGIES = ("over_ordering", "transshipment", "end_use", "screening")

PATTERNS: tuple[Pattern, ...] = (
    Pattern("over_ordering", "subsidiary_over_capacity", over_ordering.subsidiary_over_capacity),
    Pattern("over_ordering", "group_over_capacity", over_ordering.group_over_capacity),
    Pattern("over_ordering", "no_declared_capacity", over_ordering.no_declared_capacity),
    Pattern("over_ordering", "first_time_large_order", over_ordering.first_time_large_order),
    Pattern("over_ordering", "order_burst", over_ordering.order_burst),
    Pattern("transshipment", "serial_reexport", transshipment.serial_reexport),
    Pattern("transshipment", "pass_through_match", transshipment.pass_through_match),
    Pattern("transshipment", "multi_hop", transshipment.multi_hop),
    Pattern("transshipment", "serial_duplicate", transshipment.serial_duplicate),
    Pattern("transshipment", "misdescription", transshipment.misdescription),
    Pattern("transshipment", "straw_consolidation", transshipment.straw_consolidation),
    Pattern("end_use", "business_line_mismatch", end_use.business_line_mismatch),
    Pattern("end_use", "end_use_product_mismatch", end_use.end_use_product_mismatch),
    Pattern("end_use", "third_country_payer", end_use.third_country_payer),
    Pattern("end_use", "cash_or_crypto", end_use.cash_or_crypto),
    Pattern("end_use", "declined_installation", end_use.declined_installation),
    Pattern("end_use", "hq_d5_no_licence", end_use.hq_d5_no_licence),
    Pattern("end_use", "residential_address", end_use.residential_address),
    Pattern("end_use", "new_company_no_website", end_use.new_company_no_website),
    Pattern("end_use", "forwarder_final_consignee", end_use.forwarder_final_consignee),
    Pattern("screening", "listed_name_variant", screening.listed_name_variant),
    Pattern("screening", "listed_unresolved", screening.listed_unresolved),
    Pattern("screening", "listed_address", screening.listed_address),
    Pattern("screening", "listed_affiliate", screening.listed_affiliate),
    Pattern("screening", "newly_listed_party", screening.newly_listed_party),
)
#: Serial-number blocks: background uses 0..99, pattern i case j uses 100 + 100 * i + j.
SERIAL_BLOCK_BASE = 100
MAX_CASES_PER_PATTERN = 99


def build_cases(world: World, refs: References, config: SimulationConfig) -> tuple[list[CaseRecord], list[dict[str, Any]]]:
    """Every case of every pattern: the truth records and their events (unsorted)."""
    if not 0 <= config.cases_per_pattern <= MAX_CASES_PER_PATTERN:
        raise ValueError(f"cases_per_pattern must be within 0..{MAX_CASES_PER_PATTERN}")
    records: list[CaseRecord] = []
    events: list[dict[str, Any]] = []
    for pattern_index, pattern in enumerate(PATTERNS):
        if pattern.name == "newly_listed_party" and not config.mid_period_listing:
            continue
        for index in range(config.cases_per_pattern):
            block = SERIAL_BLOCK_BASE + 100 * pattern_index + index
            ctx = CaseContext(world, refs, config, pattern, index, block)
            records.append(pattern.build(ctx))
            events.extend(ctx.events)
    return records, events
