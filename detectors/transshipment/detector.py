"""``TransshipmentDetector``: goods passing through a party on their way somewhere else.

Records are processed one at a time in (business time, event id) order, each against the
state left by the ones before, so the findings do not depend on how records are cut into
micro-batches. Every lookup ignores facts older than ``memory_days`` behind the record,
and pruning removes only such facts, so when pruning runs never changes a decision.
Re-observing a record (same event id) does nothing.

Per record:

* a **shipment** report is merged into its physical leg, then checked for serial hops
  and conflicts (``serial_chain``, ``serial_anomaly``), matched hops (``pass_through``),
  chains (``chains``), misdescribed lines (``misdescription``), a pass-through ratio
  (``ratio``) and consolidation (``consolidation``);
* an **order** is remembered as a purchase at its delivery point (``consolidation``) and
  as a receipt that can make a later misdescribed export worse (``misdescription``).

Records older than ``memory_days`` behind the latest business time seen are too late to
matter and are ignored (documented bound; a live stream delivers within hours).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from detectors.alerts import Finding
from detectors.transshipment import chains, consolidation, misdescription, pass_through, ratio, serial_anomaly, serial_chain
from detectors.transshipment.ingest import (
    is_shipment,
    leg_from_shipment,
    merge_legs,
    normalise_address,
    note_leg_parties,
    note_order_parties,
    order_from_record,
)
from detectors.transshipment.settings import Settings
from detectors.transshipment.state import Hop, State
from detectors.transshipment.timeline import US_PER_DAY, to_us

from detectors.engine.records import in_event_order

if TYPE_CHECKING:  # records are told apart by shape at run time
    from detectors.engine.context import Reference
    from detectors.engine.core import ReferenceChange
    from detectors.engine.records import TradeRecord

__all__ = ["TransshipmentDetector"]

#: Prune at most once per business week: pruning scans every leg. State therefore holds
#: up to ``memory_days`` + 7 days of facts.
_PRUNE_EVERY_US = 7 * US_PER_DAY


class TransshipmentDetector:
    """Serial chains, matched pass-throughs, ratios, multi-hop chains, serial anomalies,
    misdescription and consolidation, in one state."""

    name = "transshipment"

    def __init__(self) -> None:
        self._state = State()
        self._settings_of: Any = None  # the thresholds ``_settings_cache`` was read from
        self._settings_cache: Settings | None = None

    # -- Detector protocol ----------------------------------------------------------------
    def observe(self, records: Sequence[TradeRecord], ref: Reference) -> list[Finding]:
        settings = self._settings(ref.thresholds)
        findings: list[Finding] = []
        for record in in_event_order(records):
            findings.extend(self._observe_one(record, ref, settings))
        return findings

    def on_reference_change(self, change: ReferenceChange, ref: Reference) -> list[Finding]:
        """Registry changes alter names and groups of future findings only; nothing to re-run."""
        return []

    def to_state(self) -> dict[str, Any]:
        return self._state.to_json()

    def load_state(self, state: dict[str, Any]) -> None:
        self._state = State.from_json(state)

    @property
    def tracked_parties(self) -> int:
        return self._state.tracked_parties()

    # -- internals --------------------------------------------------------------------------
    def _settings(self, thresholds: Any) -> Settings:
        """``Settings`` of ``thresholds``, read again only when the thresholds object changes
        (thresholds are read-only, and live micro-batches are often a record or two)."""
        if thresholds is not self._settings_of or self._settings_cache is None:
            self._settings_cache = Settings.from_thresholds(thresholds)
            self._settings_of = thresholds
        return self._settings_cache

    @property
    def state(self) -> State:
        """Read-only use in tests and diagnostics."""
        return self._state

    def _observe_one(self, record: Any, ref: Any, settings: Settings) -> list[Finding]:
        state = self._state
        event = record.event
        t = to_us(event.event_time)
        watermark = state.watermark
        if watermark is not None and t < watermark - settings.memory_us:
            return []
        if event.event_id in state.report_leg or event.event_id in state.orders:
            return []
        if watermark is None or t > watermark:
            state.watermark = watermark = t
        cutoff = watermark - settings.memory_us
        if state.last_prune is None or cutoff - state.last_prune >= _PRUNE_EVERY_US:
            state.prune(cutoff)
        if is_shipment(record):
            return self._shipment(record, t, ref, settings)
        return self._order(record, t, ref, settings)

    def _shipment(self, record: Any, t: int, ref: Any, settings: Settings) -> list[Finding]:
        state = self._state
        report = leg_from_shipment(record, ref, settings, t)
        if report is None:
            # Nothing that needs a licence, nothing hidden: neither remembered nor merged
            # into another report of the same consignment. Merging it only when its twin
            # happened to arrive first made evidence depend on arrival order.
            return []
        since = t - settings.memory_us
        existing = state.legs.get(report.key)
        note_leg_parties(record, t, state)
        leg = report if existing is None else merge_legs(existing, report)
        state.put_leg(leg)
        findings: list[Finding] = []

        scan = serial_chain.scan(leg, state, since, settings) if leg.serials else None  # none to follow
        hops: list[Hop] = []
        if scan is not None:
            for (inbound, outbound), shared in sorted(scan.hops.items()):
                hops.append(serial_chain.hop_between(state.legs[inbound], state.legs[outbound], "serial", shared,
                                                     serial_chain.LINK_FLAG, state, settings, ref))
            for hop in hops:
                state.put_hop(hop)
        matched = pass_through.match_leg(leg, state, since, settings, ref)
        for hop in matched:
            state.put_hop(hop)
        if hops or matched:
            findings.extend(self._hop_findings([*hops, *matched], settings, ref, since))
        if scan is not None and scan.conflicts:
            findings.extend(serial_anomaly.check_conflicts(scan.conflicts, state, since, settings, ref))

        findings.extend(misdescription.check_leg(leg, state, ref, settings))
        if leg.accelerators > 0:
            findings.extend(misdescription.recheck_after_receipt(leg.consignees, leg.t, state, ref, settings))
        if existing is None:
            consolidation.record_domestic_leg(leg, state, since)
        findings.extend(consolidation.check_export(leg, state, since, settings, ref))
        findings.extend(ratio.check_export(leg, state, since, settings, ref))
        return findings

    def _hop_findings(self, hops: list[Hop], settings: Settings, ref: Any, since: int) -> list[Finding]:
        findings: list[Finding] = []
        for hop in hops:
            if not hop.linked:
                continue
            chain = chains.chain_of(hop, self._state, since)
            findings.append(chains.hop_finding(hop, chain, self._state, settings))
            whole = chains.chain_finding(chain, self._state, settings, ref)
            if whole is not None:
                findings.append(whole)
        return findings

    def _order(self, record: Any, t: int, ref: Any, settings: Settings) -> list[Finding]:
        state = self._state
        order = order_from_record(record, t)
        if order is None:
            return []  # only purchases of licensable accelerators matter here
        note_order_parties(record, t, state)
        state.put_order(order)
        consolidation.record_order(order, normalise_address(record.ship_to.address), state)
        return misdescription.recheck_after_receipt((order.ship_to,), order.t, state, ref, settings)


