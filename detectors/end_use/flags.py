"""Soft end-use red flags of one order or shipment leg, as pure functions.

Each function answers one question from the guidance (does the buyer's line of business
fit? who pays, and from where?) and returns the flags it raised with a short reason. The
detector decides whom they are about and how severe they are together; nothing here
keeps state.

An order is *relevant* when it carries advanced-computing or data-centre accelerator
lines; soft flags on orders for cables or CPU servers say nothing about chip diversion.

What the flags ask about a party alone (its trade, its names, its addresses) is the same
on every document it appears on: ``party_facts`` answers it once, and ``PartyFactsBook``
remembers the answers for the parties that recur.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from detectors.end_use.vocabulary import Vocabulary
from detectors.engine.records import LineRecord, OrderRecord, PartyRef, ShipmentRecord
from detectors.memo import SPELLINGS_CAPACITY, Interner, make_room

__all__ = [
    "FlagHit",
    "PartyFacts",
    "PartyFactsBook",
    "party_facts",
    "relevant_lines",
    "controlled_datacenter_accelerators",
    "relevant_value",
    "order_subject",
    "order_flags",
    "shipment_flags",
    "is_forwarder",
]

_RESALE_TYPES = frozenset({"distributor", "reseller", "oem_server"})
_UTC = dt.timezone.utc
_FACTS_MAX = SPELLINGS_CAPACITY  # one PartyRef per party as written
_SHARED_FACTS_MAX = 4096


@dataclass(frozen=True, slots=True)
class FlagHit:
    """One red flag raised by one document, with the party it was seen on and why."""

    code: str
    party_id: str
    reason: str


def relevant_lines(lines: tuple[LineRecord, ...]) -> list[LineRecord]:
    """Advanced-computing lines and data-centre accelerator lines."""
    return [line for line in lines if line.controlled or (line.datacenter and line.accelerators > 0)]


def controlled_datacenter_accelerators(lines: tuple[LineRecord, ...]) -> int:
    return sum(line.accelerators for line in lines if line.controlled and line.datacenter)


def relevant_value(lines: list[LineRecord]) -> float:
    return sum(line.quantity * (line.unit_value_usd or 0.0) for line in lines)


def _type(party: PartyRef | None) -> str | None:
    return party.entity.business_type if party is not None and party.entity is not None else None


def _names(party: PartyRef) -> list[str]:
    """The name on the document, the registry's legal name and its aliases."""
    names = [party.name]
    if party.entity is not None:
        names.append(party.entity.name)
        names.extend(party.entity.aliases or ())
    return names


def is_forwarder(party: PartyRef | None, vocab: Vocabulary) -> bool:
    """A freight forwarder or logistics firm, by registry type or by name."""
    if party is None:
        return False
    if _type(party) in vocab.forwarder_types:
        return True
    if _type(party) is not None and _type(party) not in ("other",):
        return False  # a registered company of another trade keeps its type, whatever its name says
    return any(vocab.forwarder_word(name) for name in _names(party))


def _is_trading_company(party: PartyRef, vocab: Vocabulary) -> str | None:
    if _type(party) in _RESALE_TYPES:
        return None
    for name in _names(party):
        word = vocab.trading_word(name)
        if word:
            return word
    return None


@dataclass(frozen=True, slots=True)
class PartyFacts:
    """What the soft flags ask about one party, whatever the document it is on."""

    forwarder: bool  # ``is_forwarder``
    trading_word: str | None  # the trading-company word in its names (``None`` for resellers)
    mismatch: str | None  # why its line of business does not fit data-centre accelerators
    address: tuple[str, str] | None  # ``address_kind`` of the first suspicious address (printed, registered)


def party_facts(party: PartyRef, vocab: Vocabulary) -> PartyFacts:
    """The questions ``order_flags`` asks of each party, answered in the order it asks
    them (the printed address before the registered one; the business type before the
    names)."""
    registered_address = party.entity.address if party.entity is not None else None
    address = vocab.address_kind(party.address) or vocab.address_kind(registered_address)
    kind = _type(party)
    if kind in vocab.mismatch_types:
        mismatch: str | None = f"business type {kind}"
    else:
        word = next((w for w in map(vocab.mismatch_word, _names(party)) if w), None)
        mismatch = f"name says {word.lower()}" if word else None
    return PartyFacts(is_forwarder(party, vocab), _is_trading_company(party, vocab), mismatch, address)


class PartyFactsBook:
    """``party_facts`` by party, for one vocabulary.

    Keyed by the ``PartyRef`` object itself: the engine hands out one per party as
    written (per registry version), so the same object recurs on hundreds of documents,
    and it is immutable. The book holds each party it remembers, so no other object can
    take its id meanwhile. Bounded."""

    __slots__ = ("_vocab", "_facts", "_shared")

    def __init__(self, vocab: Vocabulary) -> None:
        self._vocab = vocab
        self._facts: dict[int, tuple[PartyRef, PartyFacts]] = {}
        # equal facts as one object: a handful of distinct answers cover every party
        self._shared = Interner(_SHARED_FACTS_MAX)

    def __call__(self, party: PartyRef) -> PartyFacts:
        known = self._facts.get(id(party))
        if known is not None and known[0] is party:
            return known[1]
        make_room(self._facts, _FACTS_MAX)
        facts = self._shared(party_facts(party, self._vocab))
        self._facts[id(party)] = (party, facts)
        return facts


FactsOf = Callable[[PartyRef], PartyFacts]


def order_subject(order: OrderRecord, vocab: Vocabulary, facts: FactsOf | None = None) -> PartyRef:
    """Whom an order's end-use flags are about: the declared end user, unless that is a
    forwarder or trading company (then the buyer who declared it).

    ``facts``: where to get ``party_facts`` (a ``PartyFactsBook``; by default, computed)."""
    end_user = order.end_user
    if end_user is None:
        return order.buyer
    known = facts(end_user) if facts is not None else party_facts(end_user, vocab)
    if not known.forwarder and not known.trading_word:
        return end_user
    return order.buyer


def _in_same_group(payer: PartyRef, others: list[PartyRef], ref: Any) -> bool:
    """A parent's treasury paying for its subsidiary is part of the deal, not a third party."""
    if payer.entity is None:
        return False
    registry = ref.registry
    payer_top = registry.ultimate_parent(payer.entity_id) or payer.entity_id
    for other in others:
        if other.entity is None:
            continue
        if other.entity_id == payer.entity_id:
            return True
        other_top = registry.ultimate_parent(other.entity_id) or other.entity_id
        if other_top == payer_top or other_top == payer.entity_id or payer_top == other.entity_id:
            return True
        if any(parent_id == payer.entity_id for parent_id, _ in registry.ownership_chain(other.entity_id)):
            return True
    return False


def order_flags(
    order: OrderRecord, ref: Any, vocab: Vocabulary, t: Mapping[str, Any], facts: FactsOf | None = None
) -> list[FlagHit]:
    """Every soft flag an order raises (empty when it has no relevant lines).

    ``facts``: where to get ``party_facts`` (a ``PartyFactsBook``; by default, computed)."""
    lines = relevant_lines(order.lines)
    if not lines:
        return []
    if facts is None:
        facts = partial(party_facts, vocab=vocab)
    event = order.event
    moment = event.event_time
    day = moment.date() if moment.tzinfo is _UTC else moment.astimezone(_UTC).date()
    hits: list[FlagHit] = []
    end_user, ship_to, buyer = order.end_user, order.ship_to, order.buyer
    declaring = [(p, facts(p)) for p in (end_user, buyer) if p is not None]
    end_user_facts = declaring[0][1] if end_user is not None else None
    ship_to_facts = facts(ship_to)
    datacenter = any(line.datacenter for line in lines)
    value = relevant_value(lines)

    # Line of business: a realty, food or logistics firm buying data-centre accelerators.
    # (A forwarder declared as end user is the forwarder flag's, not counted twice.)
    if datacenter:
        for party, known in declaring:
            if party is end_user and known.forwarder:
                continue
            if known.mismatch:
                hits.append(FlagHit("BUSINESS_LINE_MISMATCH", party.entity_id, known.mismatch))

    # Declared end use that does not fit modules or 8-GPU servers.
    if event.declared_end_use in vocab.mismatched_end_uses:
        misfit = sorted({l.product for l in lines if l.family is not None and l.family.category in vocab.mismatched_categories})
        if misfit:
            hits.append(FlagHit("END_USE_PRODUCT_MISMATCH", order_subject(order, vocab, facts).entity_id,
                                f"{event.declared_end_use} for {', '.join(misfit)}"))

    # Residential or virtual addresses (ship-to as printed, declaring parties as printed or registered).
    for party, known in ((ship_to, ship_to_facts), *declaring):
        kind = known.address
        if kind:
            hits.append(FlagHit("RESIDENTIAL_ADDRESS", party.entity_id, f"{kind[0]} address ({kind[1].lower()})"))

    # Little business history, no online presence.
    for party, _ in declaring:
        entity = party.entity
        if entity is None:
            continue
        if entity.incorporated_on is not None and (day - entity.incorporated_on).days < int(t["new_company_days"]):
            hits.append(FlagHit("NEW_COMPANY", party.entity_id, f"incorporated {entity.incorporated_on.isoformat()}"))
        if not (entity.website or "").strip():
            hits.append(FlagHit("NO_ONLINE_PRESENCE", party.entity_id, "no website"))

    # Forwarders, logistics and trading companies where the goods should end up.
    if ship_to_facts.forwarder and ship_to.entity_id != buyer.entity_id:
        hits.append(FlagHit("FORWARDER_FINAL_CONSIGNEE", ship_to.entity_id, "ship-to is a forwarder or logistics firm"))
    if end_user_facts is not None:
        if end_user_facts.forwarder:
            hits.append(FlagHit("FORWARDER_FINAL_CONSIGNEE", end_user.entity_id, "end user is a forwarder or logistics firm"))
        elif end_user_facts.trading_word:
            word = end_user_facts.trading_word
            hits.append(FlagHit("FORWARDER_FINAL_CONSIGNEE", end_user.entity_id, f"end user is a trading company ({word.lower()})"))
    if ship_to.entity_id != buyer.entity_id and ship_to_facts.trading_word:  # never a reseller's (see PartyFacts)
        word = ship_to_facts.trading_word
        hits.append(FlagHit("FORWARDER_FINAL_CONSIGNEE", ship_to.entity_id, f"ship-to is a trading company ({word.lower()})"))

    # Who pays, and how.
    payer = order.payer
    if payer is not None and payer.entity_id != order.buyer.entity_id:
        deal = [p for p in (order.buyer, order.ship_to, order.end_user) if p is not None]
        if payer.country not in {p.country for p in deal} and not _in_same_group(payer, deal, ref):
            watch = " (watch country)" if payer.country in vocab.watch_payer_countries else ""
            hits.append(FlagHit("THIRD_COUNTRY_PAYER", payer.entity_id, f"payer in {payer.country}{watch}"))
    if event.payment_method in vocab.unusual_payment_methods and value >= float(t["expensive_order_usd"]):
        hits.append(FlagHit("CASH_OR_CRYPTO", order.buyer.entity_id, f"{event.payment_method} for ${value:,.0f}"))

    # Declined installation; rush for high-value items; implausible prices.
    if event.installation_requested is False and datacenter:
        hits.append(FlagHit("DECLINED_INSTALLATION", order.buyer.entity_id, "installation declined"))
    if event.expedited and value >= float(t["expensive_order_usd"]):
        hits.append(FlagHit("EXPEDITED_HIGH_VALUE", order.buyer.entity_id, f"rush order for ${value:,.0f}"))
    for line in lines:
        if line.family is None or line.unit_value_usd is None:
            continue
        band = line.family.unit_value_usd
        low, high = band.min * float(t["price_low_ratio"]), band.max * float(t["price_high_ratio"])
        if line.unit_value_usd < low or line.unit_value_usd > high:
            hits.append(FlagHit("PRICE_OUT_OF_RANGE", order.buyer.entity_id,
                                f"{line.product} at ${line.unit_value_usd:,.0f} (catalogue ${band.min:,.0f}-${band.max:,.0f})"))
            break
    return hits


def shipment_flags(shipment: ShipmentRecord, vocab: Vocabulary) -> list[FlagHit]:
    """Soft flags a leg raises about its consignee: a forwarder declared as the consignee
    on the filing, or a residential or virtual delivery address."""
    if not relevant_lines(shipment.items):
        return []
    consignee = shipment.consignee
    hits: list[FlagHit] = []
    if shipment.event.consignee_type == "freight_forwarder":
        hits.append(FlagHit("FORWARDER_FINAL_CONSIGNEE", consignee.entity_id, "consignee type freight_forwarder on the filing"))
    kind = vocab.address_kind(consignee.address)
    if kind:
        hits.append(FlagHit("RESIDENTIAL_ADDRESS", consignee.entity_id, f"{kind[0]} delivery address ({kind[1].lower()})"))
    return hits
