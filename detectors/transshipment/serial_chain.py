"""Pattern 1: a unit serial imported into a party is seen leaving it.

A serial's legs, in business-time order, tell where the unit was. Two adjacent legs
either connect (the first's consignee ships the second: the unit passed through that
party, a *hop*) or they do not (a conflict, for ``serial_anomaly``). Looking at
neighbours in the serial's history, rather than only backwards, is what makes the
result the same whichever leg arrives first.

A hop's severity comes from ``routes.assess_hop``; its finding is built by ``chains``,
which decides the alert it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from detectors.transshipment.routes import assess_hop
from detectors.transshipment.settings import Settings
from detectors.transshipment.state import Hop, Leg, State
from detectors.transshipment.timeline import US_PER_DAY, days_between

__all__ = ["SerialScan", "scan", "hop_between", "intact_lot", "INTACT_LOT_SHARE", "PATTERN", "LINK_FLAG"]

PATTERN = "serial_chain"
LINK_FLAG = "SERIAL_REEXPORT"


@dataclass
class SerialScan:
    """Pairs of legs sharing serials around one leg: connected (hops) and conflicting."""

    hops: dict[tuple[str, str], int] = field(default_factory=dict)  # (inbound, outbound) -> shared serials
    conflicts: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (earlier, later) -> serials


def _same_report(a: Leg, b: Leg, settings: Settings) -> bool:
    """Two filings of one consignment under different ids: same route, days apart."""
    return (
        a.shipment_id == b.shipment_id
        or bool(set(a.shippers) & set(b.shippers))
        and bool(set(a.consignees) & set(b.consignees))
        and abs(b.t - a.t) <= settings.serial_conflict_days * US_PER_DAY
    )


def _classify_pair(first: Leg, second: Leg, serial: str, result: SerialScan, settings: Settings) -> None:
    if _same_report(first, second, settings):
        return
    if set(first.consignees) & set(second.shippers):
        result.hops[(first.key, second.key)] = first.serials.shared_count(second.serials)
    elif first.t == second.t and set(second.consignees) & set(first.shippers):
        result.hops[(second.key, first.key)] = first.serials.shared_count(second.serials)
    else:
        result.conflicts.setdefault((first.key, second.key), set()).add(serial)


def scan(leg: Leg, state: State, since: int, settings: Settings) -> SerialScan:
    """Every serial of ``leg`` against its neighbours in that serial's history."""
    result = SerialScan()
    for serial in state.serials_on_other_legs(leg):  # a serial on this leg alone has no neighbours
        before, after = state.neighbours(serial, leg.key)
        if before is not None and state.legs[before].t >= since:
            _classify_pair(state.legs[before], leg, serial, result, settings)
        if after is not None:
            _classify_pair(leg, state.legs[after], serial, result, settings)
    return result


#: Share of a lot's serials that must travel together for it to count as moved on intact.
INTACT_LOT_SHARE = 0.9


def intact_lot(inbound: Leg, outbound: Leg, shared: int) -> bool:
    """The same consignment moved on as a whole: most serials in are out, most out came in.

    A distributor breaks bulk (a lot of 200 leaves as many small sales); a pass-through
    forwards the lot it received. Serial counts show which, without a tunable threshold
    beyond "most" (``INTACT_LOT_SHARE``).
    """
    if not inbound.serials or not outbound.serials:
        return False
    return shared >= INTACT_LOT_SHARE * len(inbound.serials) and shared >= INTACT_LOT_SHARE * len(outbound.serials)


def hop_between(inbound: Leg, outbound: Leg, kind: str, shared: int, link_flag: str, state: State,
                settings: Settings, ref: Any) -> Hop:
    """A hop through the party that received ``inbound`` and shipped ``outbound``, assessed."""
    party = state.canonical(set(inbound.consignees) & set(outbound.shippers) or set(outbound.shippers))
    next_party = state.canonical(outbound.consignees)
    dwell = max(days_between(inbound.t, outbound.t), 0.0)
    intact = kind == "match" or intact_lot(inbound, outbound, shared)
    assessment = assess_hop(inbound, outbound, state.party(party), state.party(next_party), dwell, intact, link_flag,
                            settings, ref.countries)
    facts = dict(assessment.facts)
    facts["next_party"] = next_party
    return Hop(
        inbound=inbound.key,
        outbound=outbound.key,
        party=party,
        kind=kind,
        shared=shared,
        dwell_days=round(dwell, 3),
        severity=assessment.severity,
        flags=assessment.flags,
        facts=facts,
        t=max(inbound.t, outbound.t),
    )
