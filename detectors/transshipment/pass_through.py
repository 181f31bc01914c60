"""Pattern 2a: goods in and goods out of one party that match, without serials.

Most feeds carry no serials, so a pass-through shows as an inbound and an outbound leg of
the same party within ``match_window_days``: same product families, controlled
accelerators and declared value within ``match_value_tolerance``. Each export is matched
to its single best inbound leg (closest quantity, then value, then the most recent), and
a late inbound leg is tried against the exports after it that have no match yet, so the
result does not depend on which leg arrived first.

Candidates come from ``State.match_in`` / ``match_out``: a party's legs by family names
and quantity band (``state.match_bucket``), so a new leg looks only at legs it could
match, not at every leg of the party in the window (tests compare it with a full scan).

Legs whose serials are known on both sides are left to ``serial_chain``: serials that
differ mean different goods, and serials that agree are a stronger link than a match.
"""

from __future__ import annotations

from typing import Any

from detectors.transshipment.serial_chain import hop_between
from detectors.transshipment.settings import Settings
from detectors.transshipment.state import Hop, Leg, State, family_names
from detectors.transshipment.timeline import US_PER_DAY

__all__ = ["match_leg", "PATTERN", "LINK_FLAG"]

PATTERN = "pass_through_match"
LINK_FLAG = "PASS_THROUGH_MATCH"


def _within(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= tolerance * max(a, b)


def _distance(inbound: Leg, outbound: Leg, settings: Settings) -> tuple | None:
    """How well two legs match (smaller is better), or ``None`` when they do not."""
    if inbound.key == outbound.key or inbound.shipment_id == outbound.shipment_id or inbound.t > outbound.t:
        return None
    if inbound.serials and outbound.serials:
        return None  # serial evidence decides, either way
    if {name for name, _ in inbound.families} != {name for name, _ in outbound.families}:
        return None
    tolerance = settings.match_value_tolerance
    if not _within(inbound.accelerators, outbound.accelerators, tolerance):
        return None
    value_gap = 0.0
    if inbound.value > 0 and outbound.value > 0:
        if not _within(inbound.value, outbound.value, tolerance):
            return None
        value_gap = abs(inbound.value - outbound.value) / max(inbound.value, outbound.value)
    quantity_gap = abs(inbound.accelerators - outbound.accelerators) / max(inbound.accelerators, outbound.accelerators)
    return (round(quantity_gap, 6), round(value_gap, 6), -inbound.t, inbound.key)


def _eligible(leg: Leg) -> bool:
    return leg.accelerators > 0


def _candidates(index: dict, full: dict, party: str, leg: Leg, since: int, until: int,
                settings: Settings, state: State) -> list[Leg]:
    """The party's legs in the window that can match ``leg`` (same family names, quantity
    band), from the candidate index; the whole window when it is short (reading a few legs
    costs less than the index's band of lookups) or the tolerance admits anything. Either
    is a superset of the matches, in (t, key) order, so the choice changes no decision."""
    if state.window_size(full, party, since, until) <= _SCAN_AT_MOST:
        return state.window(full, party, since, until)
    found = state.match_window(index, party, family_names(leg), leg.accelerators, settings.match_value_tolerance,
                               since, until)
    return state.window(full, party, since, until) if found is None else found


#: Windows of at most this many legs are read whole rather than through the index.
_SCAN_AT_MOST = 16


def _best_inbound(outbound: Leg, state: State, since: int, settings: Settings) -> Leg | None:
    window_start = max(since, outbound.t - int(settings.match_window_days * US_PER_DAY))
    best: tuple | None = None
    chosen: Leg | None = None
    for party in outbound.shippers:
        for inbound in _candidates(state.match_in, state.inbound, party, outbound, window_start, outbound.t,
                                   settings, state):
            if not _eligible(inbound):
                continue
            distance = _distance(inbound, outbound, settings)
            if distance is not None and (best is None or distance < best):
                best, chosen = distance, inbound
    return chosen


def _has_inbound_hop(state: State, leg: Leg) -> bool:
    return bool(state.hops_into.get(leg.key))


def match_leg(leg: Leg, state: State, since: int, settings: Settings, ref: Any) -> list[Hop]:
    """Matched hops with ``leg`` as the outbound side, or as a late inbound side."""
    if not _eligible(leg):
        return []
    found: list[Hop] = []
    if leg.is_export and not any(h.kind == "serial" for h in state.hops_onto(leg.key)):
        inbound = _best_inbound(leg, state, since, settings)
        if inbound is not None:
            found.append(hop_between(inbound, leg, "match", min(inbound.accelerators, leg.accelerators), LINK_FLAG,
                                     state, settings, ref))
    window_end = leg.t + int(settings.match_window_days * US_PER_DAY)
    for party in leg.consignees:
        for outbound in _candidates(state.match_out, state.outbound, party, leg, leg.t, window_end, settings, state):
            if outbound.key == leg.key or not outbound.is_export or not _eligible(outbound):
                continue
            if _has_inbound_hop(state, outbound) or _distance(leg, outbound, settings) is None:
                continue
            found.append(hop_between(leg, outbound, "match", min(leg.accelerators, outbound.accelerators), LINK_FLAG,
                                     state, settings, ref))
    return found
