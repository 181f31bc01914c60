"""The reference state every detector reads: catalogue, country groups, red flags,
thresholds, the entity registry and the screening list, plus party resolution."""

from __future__ import annotations

from dataclasses import dataclass, field

from detectors.engine.records import LineRecord, OrderRecord, PartyRef, ShipmentRecord, classify_line
from detectors.parties import Registry, resolve
from detectors.reference import Catalogue, CountryGroups, RedFlagCatalogue
from detectors.screening import ScreeningList
from detectors.thresholds import Thresholds
from schemas import Order, Party, Shipment

__all__ = ["Reference"]


@dataclass
class Reference:
    catalogue: Catalogue = field(default_factory=Catalogue.load)
    countries: CountryGroups = field(default_factory=CountryGroups.load)
    red_flags: RedFlagCatalogue = field(default_factory=RedFlagCatalogue.load)
    thresholds: Thresholds = field(default_factory=Thresholds.load)
    registry: Registry = field(default_factory=Registry)
    screening: ScreeningList = field(default_factory=ScreeningList)

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
        return tuple(classify_line(line, self.catalogue) for line in lines)

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
