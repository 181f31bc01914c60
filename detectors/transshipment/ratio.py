"""Pattern 2b: a party re-exports most of what it receives (pass-through ratio).

Splits and merges defeat leg-to-leg matching: 64 GPUs in, 2 x 32 out. Over the re-export
dwell (``reexport_max_dwell_days``), the ratio compares the controlled accelerators a
party received with those it re-exported *of the same product families* to a licence
destination without a licence or to a hub, outside its own ownership group. Re-exports to
ordinary destinations (a Singapore distributor serving Australia and Japan) and products
it did not receive (an OEM building servers from modules) do not count, so legitimate
regional distribution and manufacturing stay quiet.

It fires when the ratio reaches ``pass_through_ratio`` and at least
``pass_through_min_accelerators`` were re-exported: critical when that many went to
licence destinations without a licence, high for fewer, or for a declared end user
re-exporting to hubs, medium for others. A declared trader re-exporting to hubs (and to
licence destinations whose licence the feed does not show) is doing regional
distribution and is not reported. One alert per party (``pattern_key``
``pass_through_ratio``), updated as the window's evidence grows.

Cost: per-day sums kept in state (``State.most_received``, ``most_exported``,
``least_received``) bound what the window can hold, so an export that cannot reach the
ratio or the minimum is settled without reading the party's legs (exact: the concerning re-exports are at most every export's
family counts, the received at least one party's receipts on whole days, and float
division is monotone); only exports that might fire read the window. A trader's exports
are read only if it sent any to a licence destination without a licence in the window
(``State.most_forbidden_exports``): without one it is not reported, and a busy
distributor serving hubs made each of its exports read hundreds of others (825k legs
read for 1,195 exports in the first million events of the 10M file).
"""

from __future__ import annotations

from typing import Any

from detectors.alerts import Finding
from detectors.transshipment.report import evidence_of, make_finding, who
from detectors.transshipment.routes import classify_destination, role_of
from detectors.transshipment.settings import Settings
from detectors.transshipment.state import Leg, State
from detectors.transshipment.timeline import US_PER_DAY

__all__ = ["check_export", "PATTERN"]

PATTERN = "pass_through_ratio"


def check_export(leg: Leg, state: State, since: int, settings: Settings, ref: Any) -> list[Finding]:
    """Re-evaluate the exporter's ratio when it ships controlled accelerators abroad."""
    if not leg.is_export or leg.accelerators <= 0 or not classify_destination(leg, ref.countries).concerning:
        return []  # only a concerning export can raise the ratio; others leave the last finding standing
    party = state.canonical(leg.shippers)
    info = state.party(party)
    window_start = max(since, leg.t - int(settings.reexport_max_dwell_days * US_PER_DAY))
    if not state.most_received(leg.shippers, window_start, leg.t):
        return []  # nothing received
    most_out = state.most_exported(leg.shippers, window_start, leg.t)
    if most_out < settings.pass_through_min_accelerators:
        return []  # too little exported to reach the minimum
    least_in = state.least_received(leg.shippers, window_start, leg.t)
    if least_in and most_out / least_in < settings.pass_through_ratio:
        return []  # even every export over the fewest received stays below the ratio
    received: dict[str, Leg] = {}
    for shipper in leg.shippers:
        for inbound in state.window(state.inbound, shipper, window_start, leg.t):
            if inbound.accelerators > 0:
                received[inbound.key] = inbound
    if not received:
        return []
    received_families = {name for r in received.values() for name, _ in r.families}
    accelerators_in = sum(r.accelerators for r in received.values())
    latest_declaration = max(received.values(), key=lambda r: (r.t, r.key)).consignee_type
    role = role_of(info, latest_declaration)
    if role == "manufacturer":
        return []
    if role == "trader":
        state.follow_countries(ref.countries)
        if not state.most_forbidden_exports(leg.shippers, window_start, leg.t):
            return []  # nothing to a licence destination without one: regional distribution (below)
    exports: dict[str, Leg] = {}
    for shipper in leg.shippers:
        for outbound in state.window(state.outbound, shipper, window_start, leg.t):
            if outbound.is_export and outbound.accelerators > 0 and outbound.key not in received:
                exports[outbound.key] = outbound
    reexported = 0
    concerning: list[Leg] = []
    controlled = 0
    for outbound in exports.values():
        same_family = sum(count for name, count in outbound.families if name in received_families)
        if not same_family:
            continue
        reexported += same_family
        destination = classify_destination(outbound, ref.countries)
        if not destination.concerning:
            continue
        if state.party(state.canonical(outbound.consignees)).group == info.group:
            continue
        concerning.append(outbound)
        if destination.forbidden:
            controlled += same_family
    concerning_accelerators = sum(
        sum(count for name, count in o.families if name in received_families) for o in concerning
    )
    ratio = concerning_accelerators / accelerators_in
    if ratio < settings.pass_through_ratio or concerning_accelerators < settings.pass_through_min_accelerators:
        return []
    if controlled >= settings.pass_through_min_accelerators:
        severity = "critical"
    elif controlled:
        severity = "high"
    elif role == "end_user":
        severity = "high"
    elif role == "trader":
        return []  # a distributor serving hubs and licensed markets: regional distribution
    else:
        severity = "medium"
    flags = ["PASS_THROUGH_MATCH"]
    if role == "end_user":
        flags.append("ABNORMAL_ROUTE")
    destinations = sorted({o.dest for o in concerning})
    if any(classify_destination(o, ref.countries).via_transshipment_point for o in concerning):
        flags.append("TRANSSHIPMENT_POINT_ROUTE")
    summary = (
        f"{who(state, party)} re-exported {concerning_accelerators} of {accelerators_in} controlled accelerators "
        f"received in the last {settings.reexport_max_dwell_days:.0f} days ({ratio:.0%}) to {', '.join(destinations)}."
    )
    details = {
        "accelerators_in": accelerators_in,
        "accelerators_reexported": reexported,
        "accelerators_reexported_concerning": concerning_accelerators,
        "accelerators_to_licence_destinations": controlled,
        "ratio": round(ratio, 4),
        "received_families": sorted(received_families),
        "destinations": destinations,
        "pass_through_role": role,
        "thresholds": settings.figures("pass_through_ratio", "pass_through_min_accelerators", "reexport_max_dwell_days"),
        "thresholds_version": settings.version,
    }
    legs = sorted([*received.values(), *concerning], key=lambda x: (x.t, x.key))
    related = {p for o in concerning for p in o.consignees} | {p for r in received.values() for p in r.shippers}
    return [
        make_finding(
            pattern=PATTERN,
            state=state,
            subject=party,
            t=leg.t,
            evidence=evidence_of(legs),
            red_flags=flags,
            severity=severity,
            summary=summary,
            details=details,
            pattern_key=PATTERN,
            related=related,
            score_offset=-0.05,
        )
    ]
