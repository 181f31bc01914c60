"""Pattern 6: straw purchases consolidated at one address, then exported.

Purchases "for domestic use" (orders delivered in the buyer's own country, and domestic
legs) by different buyers are remembered per convergence point: the ship-to party when
it is not the buyer, and the normalised delivery address. When a party exports from such
a point, the purchases delivered there within ``consolidation_window_days`` are counted
by ownership group, leaving out the exporter's own group and the groups of the export's
consignees (a forwarder sending each buyer its own goods is routing, not consolidation).
``consolidation_min_buyers`` unrelated buyers or more is the pattern.
"""

from __future__ import annotations

from typing import Any

from detectors.alerts import Finding
from detectors.reference.countries import DEFAULT_SCOPE
from detectors.transshipment.report import evidence_of, goods, make_finding, who
from detectors.transshipment.routes import classify_destination
from detectors.transshipment.settings import Settings
from detectors.transshipment.state import Leg, OrderInfo, Purchase, State
from detectors.transshipment.timeline import US_PER_DAY

__all__ = ["record_order", "record_domestic_leg", "check_export", "PATTERN"]

PATTERN = "consolidation"


def _party_point(party: str) -> str:
    return f"party:{party}"


def _address_point(address: str) -> str:
    return f"addr:{address}"


def record_order(order: OrderInfo, ship_to_addr: str | None, state: State) -> None:
    """A domestic purchase of controlled accelerators, remembered where it was delivered
    (the ship-to party, and ``ship_to_addr``: the normalised delivery address)."""
    if order.accelerators <= 0 or not order.domestic:
        return
    purchase = Purchase(order.t, order.id, order.buyer, state.party(order.buyer).group, order.accelerators)
    if order.ship_to != order.buyer:
        state.add_purchase(_party_point(order.ship_to), purchase)
    if ship_to_addr:
        state.add_purchase(_address_point(ship_to_addr), purchase)


def _purchaser(leg: Leg, state: State, since: int) -> str | None:
    """Who bought a domestic leg's goods: its order's buyer when known, else the consignee."""
    if leg.order_id:
        orders = [state.orders[i] for i in state.orders_numbered(leg.order_id) if i in state.orders]
        orders = [o for o in orders if o.t >= since]
        if orders:
            order = min(orders, key=lambda o: (o.t, o.id))
            return order.buyer if order.domestic else None  # bought for export: not a domestic purchase
    return state.canonical(leg.consignees)


def record_domestic_leg(leg: Leg, state: State, since: int) -> None:
    if leg.is_export or leg.accelerators <= 0:
        return
    buyer = _purchaser(leg, state, since)
    if buyer is None:
        return
    purchase = Purchase(leg.t, min(leg.ids), buyer, state.party(buyer).group, leg.accelerators)
    for consignee in leg.consignees:
        if consignee != buyer:
            state.add_purchase(_party_point(consignee), purchase)
    if leg.consignee_addr:
        state.add_purchase(_address_point(leg.consignee_addr), purchase)


def check_export(leg: Leg, state: State, since: int, settings: Settings, ref: Any) -> list[Finding]:
    """An export from a convergence point of enough unrelated buyers' purchases."""
    if not leg.is_export or (leg.accelerators <= 0 and not leg.misdescribed):
        return []
    window_start = max(since, leg.t - int(settings.consolidation_window_days * US_PER_DAY))
    addresses = {leg.shipper_addr} if leg.shipper_addr else set()
    for shipper in leg.shippers:
        addresses.update(state.addresses_of(shipper, window_start))
    points = [_party_point(p) for p in leg.shippers] + [_address_point(a) for a in sorted(addresses)]
    points_held = [point for point in points if point in state.purchases]
    if not points_held:
        return []
    excluded_groups = {state.party(p).group for p in (*leg.shippers, *leg.consignees)}
    bound: set[str] = set()
    for point in points_held:
        bound |= state.groups_between(point, window_start, leg.t, excluded_groups)
    if len(bound) < settings.consolidation_min_buyers:
        return []  # too few groups even before leaving out the exporter's and consignees' purchases
    delivered = [state.purchases_between(point, window_start, leg.t) for point in points_held]
    excluded_buyers = set(leg.shippers) | set(leg.consignees)
    purchases: dict[str, Purchase] = {}
    for at_point in delivered:
        for purchase in at_point:
            if purchase.buyer not in excluded_buyers \
                    and purchase.group not in excluded_groups:
                purchases[purchase.id] = purchase
    groups = {p.group for p in purchases.values()}
    if len(groups) < settings.consolidation_min_buyers:
        return []
    exporter = state.canonical(leg.shippers)
    destination = classify_destination(leg, ref.countries, leg.scopes or (DEFAULT_SCOPE,))
    severity = "critical" if destination.concerning or destination.kind == "point" or leg.misdescribed else "high"
    flags = ["CONSOLIDATION"]
    if leg.misdescribed:
        flags.append("MISDESCRIPTION")
    if destination.via_transshipment_point:
        flags.append("TRANSSHIPMENT_POINT_ROUTE")
    bought = sum(p.accelerators for p in purchases.values())
    first = min(p.t for p in purchases.values())
    if leg.accelerators:
        exported = goods(leg.families, leg.accelerators)
    else:
        exported = f"{leg.units} units declared as '{leg.misdescribed[0][0]}'"
    summary = (
        f"{len(groups)} unrelated buyers' purchases of {bought} controlled accelerators converged on "
        f"{who(state, exporter)} over {(leg.t - first) / US_PER_DAY:.0f} days, which exported {exported} to "
        f"{who(state, state.canonical(leg.consignees))} in {leg.dest}."
    )
    buyers = sorted({p.buyer for p in purchases.values()})
    details = {
        "buyers": buyers,
        "buyer_groups": len(groups),
        "purchases": len(purchases),
        "accelerators_purchased": bought,
        "accelerators_exported": leg.accelerators,
        "destination": leg.dest,
        "destination_kind": destination.kind,
        "convergence_points": sorted(points),
        "thresholds": settings.figures("consolidation_min_buyers", "consolidation_window_days"),
        "thresholds_version": settings.version,
    }
    return [
        make_finding(
            pattern=PATTERN,
            state=state,
            subject=exporter,
            t=leg.t,
            evidence=evidence_of([leg], purchases),
            red_flags=flags,
            severity=severity,
            summary=summary,
            details=details,
            pattern_key=PATTERN,
            related={*buyers, *leg.consignees},
        )
    ]
