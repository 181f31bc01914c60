"""The reference state every detector reads: catalogue, country groups, red flags,
thresholds, the entity registry and the screening list, plus party resolution."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from detectors.engine.records import LineKind, LineRecord, OrderRecord, PartyRef, ShipmentRecord, classify_line, line_kind
from detectors.parties import Registry, resolve
from detectors.reference import Catalogue, CountryGroups, RedFlagCatalogue
from detectors.screening import ScreeningList
from detectors.thresholds import Thresholds
from schemas import Item, Line, Order, Party, Shipment

__all__ = ["Reference"]

_LINE_KINDS_MAX = 4096
_PARTY_REFS_MAX = 65536


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
    # PartyRef by the party as written, for one registry content (``_party_refs_of``): a
    # few thousand distinct parties name a year of trade, each on hundreds of documents.
    _party_refs: dict[Party, PartyRef] = field(default_factory=dict, repr=False, compare=False)
    _party_refs_of: str | None = field(default=None, repr=False, compare=False)

    def versions(self) -> dict[str, str]:
        """Which reference data an alert was computed with (goes into ``details``)."""
        return {
            "catalogue": self.catalogue.version,
            "country_groups": self.countries.version,
            "thresholds": self.thresholds.version,
        }

    def party(self, party: Party) -> PartyRef:
        """The party as detectors see it: a pure function of the party as written and the
        registry's content, so memoised per registry version (bounded against hostile input)."""
        return self._party_memo().get(party) or self._remember(party)

    def _party_memo(self) -> dict[Party, PartyRef]:
        """The memo of ``party``, emptied when the registry's content has changed (asked
        once per trade record: the version is a digest comparison)."""
        version = self.registry.version
        if version != self._party_refs_of:
            self._party_refs.clear()
            self._party_refs_of = version
        return self._party_refs

    def _remember(self, party: Party) -> PartyRef:
        refs = self._party_refs
        if len(refs) >= _PARTY_REFS_MAX:
            refs.clear()
        found = refs[party] = self._resolve(party)
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
        refs = self._party_memo()
        get, miss = refs.get, self._remember
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
        refs = self._party_memo()
        get, miss = refs.get, self._remember
        intermediate, forwarder = shipment.intermediate_consignee, shipment.freight_forwarder
        return ShipmentRecord(
            shipment,
            get(shipment.shipper) or miss(shipment.shipper),
            get(shipment.consignee) or miss(shipment.consignee),
            None if intermediate is None else get(intermediate) or miss(intermediate),
            None if forwarder is None else get(forwarder) or miss(forwarder),
            self.lines(shipment.items),
        )
