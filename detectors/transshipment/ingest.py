"""Trade records into state: parties, physical legs (reports merged), orders, purchases.

Detectors read only ``detectors.engine.records`` objects; this module turns them into
the compact facts the patterns look at. It does no detection itself, except computing
facts that need the catalogue (controlled accelerators per family, misdescribed lines),
so state never has to hold catalogue objects.
"""

from __future__ import annotations

import functools
import operator
import re
from typing import Any

from detectors.memo import SPELLINGS_CAPACITY, Interner, make_room
from detectors.transshipment.lines import licence_scope, line_facts, relevant_accelerators
from detectors.transshipment.misdescription import misdescribed_lines
from detectors.transshipment.routes import is_licensed
from detectors.transshipment.serials import Serials
from detectors.transshipment.settings import Settings
from detectors.transshipment.state import Leg, OrderInfo, PartyInfo, State
from detectors.transshipment.timeline import to_us

__all__ = [
    "normalise_address",
    "note_party",
    "note_leg_parties",
    "note_order_parties",
    "leg_from_shipment",
    "merge_legs",
    "order_from_record",
    "is_shipment",
]

_NON_ALNUM = re.compile(r"[^0-9A-Z]+")
_QUANTITY = operator.attrgetter("quantity")
#: Rank of consignee types when two reports disagree: the most specific declaration wins.
_CONSIGNEE_TYPE_RANK = {"other_unknown": 0, "freight_forwarder": 1, "reseller": 2, "government": 3, "direct_consumer": 4}
#: Kept legs and orders share their repeated values (party ids and tuples of them, licences,
#: families, scopes): each record decodes its own copies, and the window keeps months of
#: them (54 MiB of the first 1M events of the 10M file). Countries and consignee types are
#: shared already (the decoder's and the registry's).
_shared = Interner(1 << 17)


@functools.lru_cache(maxsize=65536)
def normalise_address(address: str | None) -> str | None:
    """Upper case, every run of punctuation and space collapsed to one space."""
    if not address:
        return None
    text = _NON_ALNUM.sub(" ", address.upper()).strip()
    return text or None


def is_shipment(record: Any) -> bool:
    """Records are told apart by shape, so this package needs nothing from the engine at run time."""
    return hasattr(record, "items") and hasattr(record, "shipper")


#: PartyRefs whose stored view is memoised (``_party_view``): one per party as written.
_VIEWS_MAX = SPELLINGS_CAPACITY
_VIEWS: dict[int, tuple[Any, tuple, tuple[str, ...]]] = {}


def _party_view(ref_party: Any) -> tuple[tuple, tuple[str, ...]]:
    """The ``PartyInfo`` fields of a ``PartyRef`` but its time, and its normalised addresses
    (the document's, then the registry's). A PartyRef is immutable, and the engine hands the
    same object for every document naming the party under one registry, so this is worked
    out once per object: memoised by identity, holding the object so that its id cannot be
    reused while remembered, and bounded."""
    found = _VIEWS.get(id(ref_party))
    if found is not None and found[0] is ref_party:
        return found[1], found[2]
    subject = ref_party.subject()
    entity = ref_party.entity
    business_type = getattr(entity, "business_type", None) if entity is not None else None
    group = ref_party.entity_id
    if entity is not None:
        group = getattr(entity, "ultimate_parent_id", None) or getattr(entity, "parent_id", None) or ref_party.entity_id
    fields = (ref_party.entity_id, subject.name, subject.country, bool(ref_party.registered), business_type, group)
    written = (ref_party.address, getattr(entity, "address", None) if entity is not None else None)
    addresses = tuple(normalised for a in written if (normalised := normalise_address(a)))
    make_room(_VIEWS, _VIEWS_MAX)
    _VIEWS[id(ref_party)] = (ref_party, fields, addresses)
    return fields, addresses


def note_party(state: State, ref_party: Any, t: int) -> None:
    """Remember who a party is and where it receives goods (document and registry addresses)."""
    fields, addresses = _party_view(ref_party)
    state.note_party(PartyInfo(*fields, t))
    for address in addresses:
        state.note_address(fields[0], address, t)


def leg_from_shipment(record: Any, ref: Any, settings: Settings, t: int | None = None) -> Leg | None:
    """One report of a leg, or ``None`` when it carries no licensable accelerators and no
    misdescribed line: such a report is neither remembered nor merged into another report
    of its consignment, so nothing more of it is worked out. Its parties are recorded by
    ``note_leg_parties`` if it is kept. ``t``: the record's business time in microseconds,
    when the caller has it already."""
    event = record.event
    items = record.items
    catalogue = ref.catalogue
    declared = float(event.declared_value_usd)
    misdescribed = misdescribed_lines(items, declared, catalogue, settings)
    if not misdescribed and relevant_accelerators(items, record.time) <= 0:
        return None
    day = record.time.date()
    families: dict[str, int] = {}
    scopes: set[str] = set()
    accelerators = 0
    h200 = False
    serials: list[str] = []
    for item in items:
        serials.extend(item.serials)
        scope = licence_scope(item, day)
        if scope is None:
            continue
        facts = line_facts(item, catalogue)
        families[facts.name] = families.get(facts.name, 0) + item.accelerators
        accelerators += item.accelerators
        scopes.add(scope)
        h200 = h200 or facts.h200_class
    others = [p.entity_id for p in (record.intermediate_consignee, record.freight_forwarder) if p]
    transit = event.transit_countries
    domestic = event.origin_country == event.destination_country
    return Leg(
        key=f"{event.shipment_id}|{event.origin_country}>{event.destination_country}",
        ids=(event.event_id,),
        t=to_us(record.time) if t is None else t,
        shipment_id=event.shipment_id,
        order_id=event.order_id,
        shippers=_shared((record.shipper.entity_id,)),
        consignees=_shared((record.consignee.entity_id,)),
        shipper_country=record.shipper.country,
        consignee_country=record.consignee.country,
        consignee_type=event.consignee_type,
        origin=event.origin_country,
        dest=event.destination_country,
        transit=_shared(tuple(sorted(set(transit)))) if transit else (),
        licence=_shared(event.license),
        value=declared,
        accelerators=accelerators,
        families=_shared(tuple(sorted(families.items()))),
        units=sum(map(_QUANTITY, items)),
        serials=Serials.of(serials),
        h200_class=h200,
        scopes=_shared(tuple(sorted(scopes))),
        misdescribed=misdescribed,
        shipper_addr=normalise_address(record.shipper.address),
        # Kept for domestic legs only (consolidation points); exports' addresses go to the party table.
        consignee_addr=normalise_address(record.consignee.address) if domestic else None,
        others=_shared(tuple(sorted(set(others)))) if others else (),
    )


def note_leg_parties(record: Any, t: int, state: State) -> None:
    for ref_party in (record.shipper, record.consignee, record.intermediate_consignee, record.freight_forwarder):
        if ref_party is not None:
            note_party(state, ref_party, t)


def _licence_rank(licence: str | None) -> tuple:
    return (is_licensed(licence), licence is not None, licence or "")


def merge_legs(a: Leg, b: Leg) -> Leg:
    """Two reports of one consignment as one leg: unions, minima, maxima (order-free)."""
    families = dict(a.families)
    for name, count in b.families:
        families[name] = max(families.get(name, 0), count)
    first = min(a, b, key=lambda leg: (leg.t, leg.ids))
    return Leg(
        key=a.key,
        ids=tuple(sorted(set(a.ids) | set(b.ids))),
        t=min(a.t, b.t),
        shipment_id=a.shipment_id,
        order_id=min((o for o in (a.order_id, b.order_id) if o), default=None),
        shippers=_shared(tuple(sorted(set(a.shippers) | set(b.shippers)))),
        consignees=_shared(tuple(sorted(set(a.consignees) | set(b.consignees)))),
        shipper_country=first.shipper_country,
        consignee_country=first.consignee_country,
        consignee_type=max(a.consignee_type, b.consignee_type, key=lambda c: (_CONSIGNEE_TYPE_RANK.get(c, 0), c)),
        origin=a.origin,
        dest=a.dest,
        transit=_shared(tuple(sorted(set(a.transit) | set(b.transit)))),
        licence=max(a.licence, b.licence, key=_licence_rank),
        value=max(a.value, b.value),
        accelerators=max(a.accelerators, b.accelerators),
        families=_shared(tuple(sorted(families.items()))),
        units=max(a.units, b.units),
        serials=a.serials.union(b.serials),
        h200_class=a.h200_class or b.h200_class,
        scopes=_shared(tuple(sorted(set(a.scopes) | set(b.scopes)))),
        misdescribed=tuple(sorted(set(a.misdescribed) | set(b.misdescribed))),
        shipper_addr=min((x for x in (a.shipper_addr, b.shipper_addr) if x), default=None),
        consignee_addr=min((x for x in (a.consignee_addr, b.consignee_addr) if x), default=None),
        others=_shared(tuple(sorted(set(a.others) | set(b.others)))),
    )


def note_order_parties(record: Any, t: int, state: State) -> None:
    """The parties consolidation and receipts use: who bought, and where it was delivered."""
    note_party(state, record.buyer, t)
    note_party(state, record.ship_to, t)


def order_from_record(record: Any, t: int) -> OrderInfo | None:
    """An order at business time ``t`` as stored, or ``None`` when it buys no licensable
    accelerators (only such purchases matter here, so nothing more of it is worked out).
    Its parties are recorded by ``note_order_parties`` if it is kept.

    Its delivery address is not stored: it is used once, as the order's convergence point
    (``consolidation.record_order``, given ``normalise_address(record.ship_to.address)``)."""
    accelerators = relevant_accelerators(record.lines, record.time)
    if accelerators <= 0:
        return None
    event = record.event
    return OrderInfo(
        id=event.event_id,
        t=t,
        order_id=event.order_id,
        buyer=_shared(record.buyer.entity_id),
        ship_to=_shared(record.ship_to.entity_id),
        accelerators=accelerators,
        domestic=record.ship_to.country == record.buyer.country,
    )
