"""Pattern 3: multi-hop chains, and which alert every hop belongs to.

Hops link into chains when one hop's outbound leg is the next hop's inbound leg
(vendor -> hub A -> hub B -> CN). Only hops that are suspicious on their own link: a
distributor's ordinary regional sale ends a chain, so the party after it becomes the
chain's first pass-through party.

**Decision: one alert per chain, by sharing its identity.** Every hop finding (serial or
matched) and the chain finding carry the chain's subject (the party that received the
chain's first leg: the first pass-through party) and the pattern key ``chain:<first
leg>``. Fusion therefore merges hub A's hop, hub B's hop and the chain into one alert,
whose evidence is every leg. The hop views and the chain view are different detectors,
so fusion's agreement rule raises a chain of two or more hops one severity level: the
later hops are independent observations of further pass-throughs, and always present
for a chain, so this does not depend on arrival order.

The first leg is found by walking back along linked hops, choosing the earliest
predecessor at each step. It changes only if an earlier leg of the chain arrives late
(after the chain has alerted) or the chain is older than ``memory_days``; a second alert
then appears for the re-rooted chain. Replays in business-time order never re-root.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from detectors.alerts import Finding
from detectors.transshipment import pass_through, serial_chain
from detectors.transshipment.report import evidence_of, goods, make_finding, who
from detectors.transshipment.routes import classify_destination, strongest
from detectors.transshipment.settings import Settings
from detectors.transshipment.state import Hop, State

__all__ = ["Chain", "chain_of", "hop_finding", "chain_finding", "PATTERN", "MAX_CHAIN_HOPS"]

PATTERN = "multi_hop"
#: A chain is reported with at most this many hops (a safety bound; real chains have 2-4).
MAX_CHAIN_HOPS = 200

_HOP_PATTERNS = {"serial": serial_chain.PATTERN, "match": pass_through.PATTERN}


@dataclass(frozen=True)
class Chain:
    root: str  # the chain's first leg
    subject: str  # first pass-through party
    hops: tuple[Hop, ...]  # every linked hop reachable from the root, in (time, key) order
    depth: int  # pass-through parties on the longest path

    @property
    def pattern_key(self) -> str:
        return f"chain:{self.root}"


def _linked_onto(state: State, leg: str, since: int) -> list[Hop]:
    return [h for h in state.hops_onto(leg) if h.linked and h.inbound in state.legs and state.legs[h.inbound].t >= since]


def _root(state: State, hop: Hop, since: int) -> str:
    leg = hop.inbound
    visited = {leg, hop.outbound}
    while True:
        before = _linked_onto(state, leg, since)
        if not before:
            return leg
        previous = min(before, key=lambda h: (state.legs[h.inbound].t, h.inbound)).inbound
        if previous in visited:
            return leg
        visited.add(previous)
        leg = previous


def _reachable(state: State, root: str, since: int) -> list[Hop]:
    hops: dict[tuple[str, str], Hop] = {}
    frontier = [root]
    while frontier and len(hops) < MAX_CHAIN_HOPS:
        leg = frontier.pop()
        for hop in sorted(state.hops_from(leg), key=lambda h: h.outbound):
            if hop.linked and hop.outbound in state.legs and (hop.inbound, hop.outbound) not in hops:
                hops[(hop.inbound, hop.outbound)] = hop
                frontier.append(hop.outbound)
    return sorted(hops.values(), key=lambda h: (h.t, h.inbound, h.outbound))[:MAX_CHAIN_HOPS]


def _depth(hops: list[Hop], root: str) -> int:
    onward: dict[str, list[str]] = {}
    for hop in hops:
        onward.setdefault(hop.inbound, []).append(hop.outbound)
    best = 0
    stack = [(root, 0, frozenset([root]))]
    while stack:
        leg, length, path = stack.pop()
        best = max(best, length)
        for nxt in onward.get(leg, ()):
            if nxt not in path:
                stack.append((nxt, length + 1, path | {nxt}))
    return best


def chain_of(hop: Hop, state: State, since: int) -> Chain:
    root = _root(state, hop, since)
    hops = _reachable(state, root, since)
    first = [h for h in hops if h.inbound == root] or [hop]
    subject = min(first, key=lambda h: (h.t, h.outbound)).party
    return Chain(root, subject, tuple(hops), _depth(hops, root))


def hop_finding(hop: Hop, chain: Chain, state: State, settings: Settings) -> Finding:
    """One pass-through (serial or matched) as part of its chain's alert."""
    assert hop.severity is not None
    inbound, outbound = state.legs[hop.inbound], state.legs[hop.outbound]
    origin = state.canonical(inbound.shippers)
    next_party = state.canonical(outbound.consignees)
    link = f"{hop.shared} matching serials" if hop.kind == "serial" else "matching goods"
    summary = (
        f"{who(state, hop.party)} received {goods(inbound.families, inbound.accelerators)} from {who(state, origin)} "
        f"and re-exported them ({link}) to {who(state, next_party)} in {outbound.dest} after {hop.dwell_days:.0f} days."
    )
    pattern = _HOP_PATTERNS[hop.kind]
    details = {
        **hop.facts,
        "pass_through_party": hop.party,
        "link": hop.kind,
        "shared": hop.shared,
        "inbound_leg": inbound.key,
        "outbound_leg": outbound.key,
        "accelerators_in": inbound.accelerators,
        "accelerators_out": outbound.accelerators,
        "value_in_usd": inbound.value,
        "value_out_usd": outbound.value,
        "chain_root": chain.root,
        "thresholds": settings.figures("reexport_max_dwell_days", "severe_dwell_days", "match_window_days",
                                       "match_value_tolerance"),
        "thresholds_version": settings.version,
    }
    return make_finding(
        pattern=pattern,
        state=state,
        subject=chain.subject,
        t=hop.t,
        evidence=evidence_of([inbound, outbound]),
        red_flags=hop.flags,
        severity=hop.severity,
        summary=summary,
        details=details,
        pattern_key=chain.pattern_key,
        related={origin, hop.party, next_party, *outbound.others},
        score_offset=0.0 if hop.kind == "serial" else -0.1,
    )


def _longest_path(chain: Chain) -> list[Hop]:
    onward: dict[str, list[Hop]] = {}
    for hop in chain.hops:
        onward.setdefault(hop.inbound, []).append(hop)
    best: list[Hop] = []
    stack: list[tuple[str, list[Hop]]] = [(chain.root, [])]
    while stack:
        leg, path = stack.pop()
        if len(path) > len(best):
            best = path
        for hop in sorted(onward.get(leg, ()), key=lambda h: (h.t, h.outbound), reverse=True):
            if all(hop.outbound != p.outbound for p in path) and hop.outbound != chain.root:
                stack.append((hop.outbound, [*path, hop]))
    return best


def chain_finding(chain: Chain, state: State, settings: Settings, ref: Any) -> Finding | None:
    """The whole chain, when goods passed through two or more parties in a row.

    Critical when any leg of the chain reaches a licence destination without a licence;
    otherwise the strongest hop's severity (fusion then raises the chain's alert one level,
    see the module docstring).
    """
    if chain.depth < 2:
        return None
    legs = [state.legs[chain.root]] + [state.legs[h.outbound] for h in chain.hops]
    controlled_end = any(classify_destination(state.legs[h.outbound], ref.countries).forbidden for h in chain.hops)
    severity = strongest(*(h.severity for h in chain.hops))
    if controlled_end:
        severity = "critical"
    assert severity is not None
    path = _longest_path(chain)
    root = state.legs[chain.root]
    steps = [who(state, state.canonical(root.shippers))]
    for hop in path:
        party = state.party(hop.party)
        steps.append(f"{party.name} ({party.country}, {hop.dwell_days:.0f} d)")
    last = state.legs[path[-1].outbound]
    steps.append(who(state, state.canonical(last.consignees)))
    summary = (
        f"Chain of {len(path)} pass-through hops moved {goods(root.families, root.accelerators)}: "
        + " -> ".join(steps) + f", ending in {last.dest}."
    )
    flags = ["MULTI_HOP_CHAIN"] + [f for h in chain.hops for f in h.flags]
    parties = {p for leg in legs for p in (*leg.shippers, *leg.consignees)}
    details = {
        "hops": [
            {
                "party": h.party,
                "inbound_leg": h.inbound,
                "outbound_leg": h.outbound,
                "link": h.kind,
                "dwell_days": h.dwell_days,
                "next_destination": h.facts.get("next_destination"),
                "severity": h.severity,
            }
            for h in chain.hops
        ],
        "depth": chain.depth,
        "chain_root": chain.root,
        "total_days": round((max(leg.t for leg in legs) - root.t) / 86_400_000_000, 2),
        "thresholds": settings.figures("reexport_max_dwell_days", "severe_dwell_days", "match_window_days"),
        "thresholds_version": settings.version,
    }
    serial_only = all(h.kind == "serial" for h in chain.hops)
    return make_finding(
        pattern=PATTERN,
        state=state,
        subject=chain.subject,
        t=max(h.t for h in chain.hops),
        evidence=evidence_of(legs),
        red_flags=flags,
        severity=severity,
        summary=summary,
        details=details,
        pattern_key=chain.pattern_key,
        related=parties,
        score_offset=0.05 if serial_only else -0.05,
    )

