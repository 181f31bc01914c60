"""``SimulationConfig``: every knob of a run, so nothing tunable hides in the code.

A config plus the reference data fully determine a run: the same config gives
byte-identical events and truth. The truth file records the config it came from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streams.simulate.clock import add_months

__all__ = ["SimulationConfig"]


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """What to simulate. Only ``seed`` matters for most uses; the rest have realistic defaults."""

    seed: int = 7
    #: First day of business time (UTC). Entities are registered on this day.
    start: dt.date = dt.date(2025, 1, 1)
    months: int = 12
    #: Approximate total number of events; background trade scales to reach it.
    target_events: int = 100_000
    #: Injected cases of each pattern (every pattern appears when >= 1).
    cases_per_pattern: int = 4

    # -- how documents name parties ------------------------------------------------------
    #: Share of counterparties (buyer, consignee, ...) that carry the registry entity_id.
    resolved_party_share: float = 0.35
    #: Share of documents where the reporting party itself (ERP owner) carries its entity_id.
    reporter_resolved_share: float = 0.95
    #: Share of parties printed with an address (ship-to parties always have one).
    party_address_share: float = 0.45
    #: Share of parties spelled differently from the legal name (case, punctuation, suffix, alias).
    name_variant_share: float = 0.6

    # -- feeds ---------------------------------------------------------------------------
    #: Hub customs feeds that report legs crossing their border (source ``customs-xx``).
    customs_feeds: tuple[str, ...] = ("SG", "MY", "TH", "HK", "AE", "VN", "ID")
    #: Feeds that print unit serial numbers.
    serial_sources: tuple[str, ...] = ("vendor-erp", "customs-sg", "customs-my")
    #: Share of legs shipped by a vendor or OEM reported by its ERP (with serials) rather than AES.
    vendor_asn_share: float = 0.5
    #: Share of legs reported a second time by the destination's customs feed.
    dual_report_share: float = 0.15
    #: Share of order lines that carry the ECCN and the HTS code.
    eccn_share: float = 0.85
    hts_share: float = 0.7

    # -- background trade ----------------------------------------------------------------
    #: Background events per background buyer; sets how many buyers the world has.
    events_per_buyer: int = 250
    min_background_buyers: int = 120
    #: Background buyers order at most this share of declared capacity in any 365 days.
    capacity_use_ceiling: float = 0.8
    #: A buyer's first accelerator order stays below this many accelerators (never "first-time large").
    first_orders_max_accelerators: int = 32
    first_orders_count: int = 3
    #: Each of those first orders may be this many times larger than the one before.
    first_orders_ramp: int = 4
    #: Days from order to first shipment, and between partial shipments.
    shipment_lag_days: tuple[int, int] = (2, 21)
    max_legs_per_order: int = 3
    #: Background trade is generated in this many independent shards (disjoint buyers,
    #: own random streams), merged in time order. Part of the output's definition, not of
    #: the machine: the same value gives the same events with or without parallel workers.
    background_shards: int = 2
    #: Registry updates spread over the period (website added, address moved, capacity raised, tombstone).
    entity_updates: int = 10
    #: Add one Entity List entry part-way through the period (continuous screening).
    mid_period_listing: bool = True

    # -- reference data (None = the files shipped in detectors/reference/data) ----------
    catalogue_path: Path | None = None
    country_groups_path: Path | None = None
    screening_path: Path | None = None

    @property
    def end(self) -> dt.date:
        """First day after the simulated period."""
        return add_months(self.start, self.months)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, recorded in the truth file."""
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[field.name] = value
        return out
