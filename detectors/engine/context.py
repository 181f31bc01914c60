"""The reference state every detector reads: catalogue, country groups, red flags,
thresholds, the entity registry and the screening list, plus party resolution."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from detectors.engine.records import LineKind, LineRecord, OrderRecord, PartyRef, ShipmentRecord, classify_line, line_kind
from detectors.memo import SPELLINGS_CAPACITY, make_room
from detectors.parties import Registry, resolve
from detectors.reference import Catalogue, CountryGroups, RedFlagCatalogue
from detectors.screening import ScreeningList
from detectors.thresholds import Thresholds
from schemas import Entity, Item, Line, Order, Party, Shipment

__all__ = ["PartyMemo", "Reference"]

_LINE_KINDS_MAX = 4096


class PartyMemo:
    """``PartyRef`` by the party as written, valid for one registry content (``version``).

    A registry record applied through ``Reference.apply_entity`` forgets only the parties
    it can affect: those naming that entity by id, and those without an id in the
    entity's country, old or new (resolution by name, alias or fuzzy name only ever
    looks at entities of the party's own country, and the entity it finds is one of
    them). Registry records arrive all year, and emptying the memo for each one made the
    engine resolve ~44k parties per 100k events instead of ~4k.

    A full memo forgets its older half (``make_room``), not everything: the parties
    named lately are the ones named next.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.version: str | None = None
        self._refs: dict[Party, PartyRef] = {}
        self.get = self._refs.get  # the dict's own lookup: asked for every party of every record
        self._by_id: defaultdict[str, list[Party]] = defaultdict(list)
        self._by_country: defaultdict[str, list[Party]] = defaultdict(list)

    def put(self, party: Party, ref: PartyRef) -> None:
        if len(self._refs) >= self.capacity:  # bounded against a large population or hostile input
            self._forget_older_half()
        self._refs[party] = ref
        self._index(party)

    def _index(self, party: Party) -> None:
        if party.entity_id is not None:
            self._by_id[party.entity_id].append(party)
        else:
            self._by_country[party.country].append(party)

    def _forget_older_half(self) -> None:
        make_room(self._refs, self.capacity)
        self._by_id.clear()
        self._by_country.clear()
        for party in self._refs:  # once per capacity / 2 insertions
            self._index(party)

    def forget(self, entity_id: str, countries: Iterable[str]) -> None:
        refs = self._refs
        for party in self._by_id.pop(entity_id, ()):
            refs.pop(party, None)
        for country in countries:
            for party in self._by_country.pop(country, ()):
                refs.pop(party, None)

    def clear(self) -> None:
        self._refs.clear()
        self._by_id.clear()
        self._by_country.clear()

    def __len__(self) -> int:
        return len(self._refs)


@dataclass
class Reference:
    catalogue: Catalogue = field(default_factory=Catalogue.load)
    countries: CountryGroups = field(default_factory=CountryGroups.load)
    red_flags: RedFlagCatalogue = field(default_factory=RedFlagCatalogue.load)
    thresholds: Thresholds = field(default_factory=Thresholds.load)
    registry: Registry = field(default_factory=Registry)
    screening: ScreeningList = field(default_factory=ScreeningList)
    # line_kind by (product, sku, eccn, declared accelerators per unit): the catalogue is
    # fixed for a Reference's life, so the answer is too. Bounded against hostile input.
    _line_kinds: dict[tuple, LineKind] = field(default_factory=dict, repr=False, compare=False)
    # PartyRef by the party as written: a few thousand distinct parties name a year of
    # trade, each on hundreds of documents.
    _parties: PartyMemo = field(default_factory=lambda: PartyMemo(SPELLINGS_CAPACITY), repr=False, compare=False)

    def versions(self) -> dict[str, str]:
        """Which reference data an alert was computed with (goes into ``details``)."""
        return {
            "catalogue": self.catalogue.version,
            "country_groups": self.countries.version,
            "thresholds": self.thresholds.version,
        }

    def party(self, party: Party) -> PartyRef:
        """The party as detectors see it: a pure function of the party as written and the
        registry's content, so memoised (see ``PartyMemo``)."""
        return self._party_memo().get(party) or self._remember(party)

    def apply_entity(self, entity: Entity) -> bool:
        """Apply a registry record (``Registry.apply``), forgetting only the memoised
        parties it can change."""
        memo = self._party_memo()
        before = self.registry.get(entity.entity_id)
        if not self.registry.apply(entity):
            return False
        memo.forget(entity.entity_id, {entity.country} | ({before.country} if before is not None else set()))
        memo.version = self.registry.version
        return True

    def _party_memo(self) -> PartyMemo:
        """The memo, emptied if the registry changed other than through ``apply_entity``
        (asked once per trade record: the version is a digest comparison)."""
        memo = self._parties
        version = self.registry.version
        if version != memo.version:
            memo.clear()
            memo.version = version
        return memo

    def _remember(self, party: Party) -> PartyRef:
        found = self._resolve(party)
        self._parties.put(party, found)
        return found

    def _resolve(self, party: Party) -> PartyRef:
        resolved = resolve(party, self.registry)
        return PartyRef(
            entity_id=resolved.entity_id,
            name=party.name,
            country=party.country,
            registered=resolved.registered,
            entity=resolved.entity,
            address=party.address,
            method=resolved.method,
        )

    def optional_party(self, party: Party | None) -> PartyRef | None:
        return None if party is None else self.party(party)

    def _kind(self, line: Line | Item) -> LineKind:
        key = (line.product, line.sku, line.eccn, line.accelerators_per_unit)
        kind = self._line_kinds.get(key)
        if kind is None:
            if len(self._line_kinds) >= _LINE_KINDS_MAX:
                self._line_kinds.clear()
            kind = self._line_kinds[key] = line_kind(*key, self.catalogue)
        return kind

    def lines(self, lines: Iterable[Line | Item]) -> tuple[LineRecord, ...]:
        catalogue = self.catalogue
        return tuple(classify_line(line, catalogue, self._kind(line)) for line in lines)

    def order(self, order: Order) -> OrderRecord:
        get, miss = self._party_memo().get, self._remember
        end_user, payer = order.end_user, order.payer
        return OrderRecord(
            order,
            get(order.seller) or miss(order.seller),
            get(order.buyer) or miss(order.buyer),
            get(order.ship_to) or miss(order.ship_to),
            None if end_user is None else get(end_user) or miss(end_user),
            None if payer is None else get(payer) or miss(payer),
            self.lines(order.lines),
        )

    def shipment(self, shipment: Shipment) -> ShipmentRecord:
        get, miss = self._party_memo().get, self._remember
        intermediate, forwarder = shipment.intermediate_consignee, shipment.freight_forwarder
        return ShipmentRecord(
            shipment,
            get(shipment.shipper) or miss(shipment.shipper),
            get(shipment.consignee) or miss(shipment.consignee),
            None if intermediate is None else get(intermediate) or miss(intermediate),
            None if forwarder is None else get(forwarder) or miss(forwarder),
            self.lines(shipment.items),
        )
