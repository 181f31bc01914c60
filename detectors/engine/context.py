"""The reference state every detector reads: catalogue, country groups, red flags,
thresholds, the entity registry and the screening list, plus party resolution."""

from __future__ import annotations

from dataclasses import dataclass, field

from detectors.engine.records import LineKind, LineRecord, OrderRecord, PartyRef, ShipmentRecord, classify_line, line_kind
from detectors.parties import Registry, resolve
from detectors.reference import Catalogue, CountryGroups, RedFlagCatalogue
from detectors.screening import ScreeningList
from detectors.thresholds import Thresholds
from schemas import Order, Party, Shipment

__all__ = ["Reference"]

_LINE_KINDS_MAX = 4096


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

    def versions(self) -> dict[str, str]:
        """Which reference data an alert was computed with (goes into ``details``)."""
        return {
            "catalogue": self.catalogue.version,
            "country_groups": self.countries.version,
            "thresholds": self.thresholds.version,
        }

    def party(self, party: Party) -> PartyRef:
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

    def lines(self, lines) -> tuple[LineRecord, ...]:
        kinds, catalogue = self._line_kinds, self.catalogue
        out = []
        for line in lines:
            key = (line.product, line.sku, line.eccn, line.accelerators_per_unit)
            kind = kinds.get(key)
            if kind is None:
                if len(kinds) >= _LINE_KINDS_MAX:
                    kinds.clear()
                kind = kinds[key] = line_kind(*key, catalogue)
            out.append(classify_line(line, catalogue, kind))
        return tuple(out)

    def order(self, order: Order) -> OrderRecord:
        return OrderRecord(
            event=order,
            seller=self.party(order.seller),
            buyer=self.party(order.buyer),
            ship_to=self.party(order.ship_to),
            end_user=self.optional_party(order.end_user),
            payer=self.optional_party(order.payer),
            lines=self.lines(order.lines),
        )

    def shipment(self, shipment: Shipment) -> ShipmentRecord:
        return ShipmentRecord(
            event=shipment,
            shipper=self.party(shipment.shipper),
            consignee=self.party(shipment.consignee),
            intermediate_consignee=self.optional_party(shipment.intermediate_consignee),
            freight_forwarder=self.optional_party(shipment.freight_forwarder),
            items=self.lines(shipment.items),
        )
