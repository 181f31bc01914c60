"""Input events of contract v1 (``shared/contract/events-v1.md``), field for field.

The four event types form one tagged union on ``event_type`` so a single decoder pass
both identifies and validates a message. Unknown extra fields are ignored (the contract
promises forward compatibility); a known field with a wrong type or value rejects the
whole event.

Structs are frozen (events are facts, never edited) and ``gc=False`` (decoded events
hold no reference cycles, and skipping GC tracking is a measurable share of decode time).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, List, Literal, Union

import msgspec

from schemas._types import (
    AcceleratorsPerUnit,
    BusinessType,
    ConsigneeType,
    CountryCode,
    Date,
    DeclaredEndUse,
    EventId,
    NonNegativeInt,
    PartyName,
    PaymentMethod,
    Percentage,
    Quantity,
    ScreeningListName,
    Timestamp,
    TransportMode,
    UsdAmount,
)

__all__ = [
    "Record",
    "Party",
    "Line",
    "Item",
    "ScreeningAddress",
    "EventBase",
    "Order",
    "Shipment",
    "Entity",
    "ScreeningEntry",
    "Event",
    "EVENT_TYPES",
]


class Record(msgspec.Struct, kw_only=True, frozen=True, gc=False, omit_defaults=True):
    """Common options of every contract object; absent optional fields stay absent on encode."""


class Party(Record):
    """A party as written on a document; ``entity_id`` only when the producer resolved it."""

    name: PartyName
    country: CountryCode
    entity_id: str | None = None
    address: str | None = None


class Line(Record):
    """One line of an order."""

    sku: str
    product: str
    quantity: Quantity
    unit_value_usd: UsdAmount
    eccn: str | None = None
    hts: str | None = None
    accelerators_per_unit: AcceleratorsPerUnit | None = None


class Item(Record):
    """One item of a shipment leg: the Line fields without price, plus unit serials."""

    sku: str
    product: str
    quantity: Quantity
    eccn: str | None = None
    hts: str | None = None
    accelerators_per_unit: AcceleratorsPerUnit | None = None
    serials: list[str] | None = None


class ScreeningAddress(Record):
    country: CountryCode
    address: str | None = None
    city: str | None = None


class EventBase(Record, tag_field="event_type"):
    """The envelope every event carries. ``event_type`` is the union's tag."""

    event_type: ClassVar[str]
    event_id: EventId
    event_time: Timestamp
    source: str
    schema_version: Literal[1]


class Order(EventBase, tag="order"):
    """A sales order or invoice (topic ``trade.orders.v1``)."""

    event_type: ClassVar[str] = "order"
    order_id: str
    seller: Party
    buyer: Party
    ship_to: Party
    declared_end_use: DeclaredEndUse
    lines: Annotated[list[Line], msgspec.Meta(min_length=1, max_length=200)]
    order_value_usd: UsdAmount
    end_user: Party | None = None
    payer: Party | None = None
    payment_method: PaymentMethod | None = None
    installation_requested: bool | None = None
    expedited: bool | None = None


class Shipment(EventBase, tag="shipment"):
    """One physical leg across one border (topic ``trade.shipments.v1``)."""

    event_type: ClassVar[str] = "shipment"
    shipment_id: str
    shipper: Party
    consignee: Party
    consignee_type: ConsigneeType
    origin_country: CountryCode
    destination_country: CountryCode
    mode: TransportMode
    declared_value_usd: UsdAmount
    items: Annotated[list[Item], msgspec.Meta(min_length=1, max_length=200)]
    order_id: str | None = None
    intermediate_consignee: Party | None = None
    freight_forwarder: Party | None = None
    transit_countries: list[CountryCode] | None = None
    license: str | None = None


class Entity(EventBase, tag="entity"):
    """A registry record, last write wins (compacted topic ``ref.entities.v1``)."""

    event_type: ClassVar[str] = "entity"
    entity_id: str
    name: str
    country: CountryCode
    business_type: BusinessType
    aliases: list[str] | None = None
    address: str | None = None
    parent_id: str | None = None
    ownership_pct: Percentage | None = None
    ultimate_parent_id: str | None = None
    ultimate_parent_country: CountryCode | None = None
    incorporated_on: Date | None = None
    declared_capacity_accelerators: NonNegativeInt | None = None
    website: str | None = None
    deleted: bool | None = None


class ScreeningEntry(EventBase, tag="screening_entry"):
    """A restricted-party list entry (compacted topic ``ref.screening.v1``).

    The contract names a field ``list``, which shadows the builtin inside this class
    body, so the list-typed fields below are spelled ``List``.
    """

    event_type: ClassVar[str] = "screening_entry"
    entry_id: str
    list: ScreeningListName
    name: str
    alt_names: List[str] | None = None
    addresses: List[ScreeningAddress] | None = None
    start_date: Date | None = None
    federal_register_notice: str | None = None
    deleted: bool | None = None


Event = Union[Order, Shipment, Entity, ScreeningEntry]
EVENT_TYPES: dict[str, type[EventBase]] = {
    cls.event_type: cls for cls in (Order, Shipment, Entity, ScreeningEntry)
}
