"""Who an order or a shipment leg counts against.

Capacity is declared by the party whose data centres will house the accelerators, so
volumes must be counted against that party, not against whoever is billed:

* **Orders** count against the *ordering party*: the first of end user, ship-to, buyer
  that is not a freight forwarder or logistics firm (they move goods, they do not run
  data centres), preferring a party the registry knows (capacity is a registry fact)
  over one it does not. That puts a Singapore billing hub's orders (bill-to SG, ship-to
  a Japanese data centre of the same group) on the Japanese site, a subsidiary that
  told the vendor it is the end user on itself, and a buyer shipping to a forwarder on
  the buyer.
* **Shipment legs** count as *received* by the consignee (or, when the consignee is a
  forwarder, the intermediate consignee). An order and the legs that deliver it are the
  same accelerators, so a window judges the larger of ordered and received, never their
  sum (see :mod:`detectors.over_ordering.window`); that stays right when a feed leaves
  out a leg's ``order_id``, which real feeds (and the simulator's, 15% of the time) do.

Distributors, resellers and server OEMs resell what they buy and declare no data-centre
capacity, so they are never judged against capacity (``is_resale``).
"""

from __future__ import annotations

from detectors.engine.records import OrderRecord, PartyRef, ShipmentRecord

__all__ = [
    "RESALE_TYPES",
    "PASS_THROUGH_TYPES",
    "business_type",
    "declared_capacity",
    "is_resale",
    "ordering_party",
    "receiving_party",
]

#: Business types that buy to resell: large volumes are their trade, not over-ordering.
RESALE_TYPES = frozenset({"distributor", "reseller", "oem_server"})
#: Business types that move goods for others and never house accelerators.
PASS_THROUGH_TYPES = frozenset({"freight_forwarder", "logistics"})


def business_type(party: PartyRef) -> str | None:
    return party.entity.business_type if party.entity is not None else None


def declared_capacity(party: PartyRef) -> int | None:
    """Declared data-centre capacity in accelerators; ``None`` when unknown or unregistered."""
    return party.entity.declared_capacity_accelerators if party.entity is not None else None


def is_resale(party: PartyRef) -> bool:
    return business_type(party) in RESALE_TYPES


def ordering_party(order: OrderRecord) -> PartyRef | None:
    """The party an order's volume counts against (see the module docstring).

    Eligible means not a pass-through party. Asked for every order, so written as one
    pass with the check inline: the first registered eligible party, else the first
    eligible one."""
    first = None
    for party in (order.end_user, order.ship_to, order.buyer):
        if party is None or (party.entity is not None and party.entity.business_type in PASS_THROUGH_TYPES):
            continue
        if party.registered:
            return party
        if first is None:
            first = party
    return first


def receiving_party(shipment: ShipmentRecord) -> PartyRef | None:
    """The party a leg counts as received by: the first that is not a pass-through party."""
    for party in (shipment.consignee, shipment.intermediate_consignee):
        if party is not None and (party.entity is None or party.entity.business_type not in PASS_THROUGH_TYPES):
            return party
    return None
