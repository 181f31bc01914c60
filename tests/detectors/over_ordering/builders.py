"""Contract events for detector tests, with short names and realistic defaults.

Tests speak in events (what producers send) and run them through the real ``Engine``
with the real registry and resolution, so a test exercises the same path as the stream.
Timestamps are offsets in days (and hours) from ``T0``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
from collections.abc import Iterable, Sequence
from typing import Any

from detectors.alerts import AlertBook, Finding
from detectors.engine import Engine, Reference
from detectors.thresholds import Thresholds
from schemas import Alert, Entity, Item, Line, Order, Party, Shipment

__all__ = [
    "T0",
    "NOW",
    "at",
    "entity",
    "party",
    "line",
    "item",
    "order",
    "shipment",
    "run",
    "alerts_of",
    "fused",
    "content",
    "reference",
    "records_of",
    "late_batches",
    "assert_agrees_with_twin",
]

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.timezone.utc)
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
_ids = itertools.count(1)

#: Product name -> (sku, unit price, eccn) for the lines tests use most.
PRODUCTS: dict[str, tuple[str, float, str | None]] = {
    "HGX-H100-8GPU": ("SRV-HGX-H100-8GPU", 300_000, "4A090.a"),
    "HGX-H200-8GPU": ("SRV-HGX-H200-8GPU", 330_000, "4A090.a"),
    "H100-SXM5-80GB": ("NV-H100-SXM5-80GB", 30_000, "3A090.a"),
    "H100-PCIE-80GB": ("NV-H100-PCIE-80GB", 27_000, "3A090.a"),
    "A100-PCIE-80GB": ("NV-A100-PCIE-80GB", 15_000, "3A090.a"),
    "L40S-48GB": ("NV-L40S-48GB", 9_000, "3A090.a"),
    "H20-96GB": ("NV-H20-96GB", 12_000, "3A991"),
    "RTX-4090-24GB": ("GF-RTX4090-24GB", 2_000, "3A090.a"),
    "RTX-4060-8GB": ("GF-RTX4060-8GB", 300, "EAR99"),
    "CPU-SERVER-2S": ("SRV-CPU-2S", 15_000, "5A992.c"),
    "DAC-CABLE-400G-2M": ("CBL-400G-2M", 200, "EAR99"),
}


def at(days: float = 0, hours: float = 0) -> dt.datetime:
    return T0 + dt.timedelta(days=days, hours=hours)


def _event_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids):06d}"


def entity(
    entity_id: str,
    name: str,
    country: str,
    business_type: str = "cloud_provider",
    *,
    capacity: int | None = None,
    parent: str | None = None,
    ultimate: str | None = None,
    ultimate_country: str | None = None,
    address: str | None = "1 Technology Drive",
    website: str | None = "example.example",
    incorporated: dt.date | None = dt.date(2010, 1, 1),
    when: dt.datetime | None = None,
    event_id: str | None = None,
) -> Entity:
    return Entity(
        event_id=event_id or _event_id("ent"),
        event_time=when or T0 - dt.timedelta(days=400),
        source="registry",
        schema_version=1,
        entity_id=entity_id,
        name=name,
        country=country,
        business_type=business_type,
        address=address,
        parent_id=parent,
        ultimate_parent_id=ultimate or parent,
        ultimate_parent_country=ultimate_country,
        incorporated_on=incorporated,
        declared_capacity_accelerators=capacity,
        website=website,
    )


def party(of: Entity | None = None, *, name: str | None = None, country: str | None = None,
          address: str | None = None, with_id: bool = True) -> Party:
    """A document's party: a registered entity (by id) or a typed name."""
    if of is not None:
        return Party(entity_id=of.entity_id if with_id else None, name=name or of.name, country=country or of.country,
                     address=address)
    assert name and country
    return Party(name=name, country=country, address=address)


def line(product: str = "HGX-H100-8GPU", quantity: int = 1, unit: float | None = None, eccn: str | None = "default") -> Line:
    sku, price, default_eccn = PRODUCTS[product]
    return Line(sku=sku, product=product, quantity=quantity, unit_value_usd=price if unit is None else unit,
                eccn=default_eccn if eccn == "default" else eccn)


def item(product: str = "HGX-H100-8GPU", quantity: int = 1, eccn: str | None = "default") -> Item:
    sku, _, default_eccn = PRODUCTS[product]
    return Item(sku=sku, product=product, quantity=quantity, eccn=default_eccn if eccn == "default" else eccn)


SELLER = Party(entity_id="ent-oem-us", name="Example Server Corp", country="US")


def order(
    when: dt.datetime,
    buyer: Party,
    lines: Sequence[Line] = (),
    *,
    ship_to: Party | None = None,
    end_user: Party | None = None,
    payer: Party | None = None,
    end_use: str = "cloud_services",
    payment: str | None = "wire",
    installation: bool | None = True,
    expedited: bool | None = None,
    seller: Party = SELLER,
    order_id: str | None = None,
    event_id: str | None = None,
) -> Order:
    lines = list(lines) or [line()]
    return Order(
        event_id=event_id or _event_id("ord"),
        event_time=when,
        source="vendor-erp",
        schema_version=1,
        order_id=order_id or _event_id("SO"),
        seller=seller,
        buyer=buyer,
        ship_to=ship_to or buyer,
        end_user=end_user,
        declared_end_use=end_use,
        payer=payer,
        payment_method=payment,
        lines=lines,
        order_value_usd=sum(l.quantity * l.unit_value_usd for l in lines),
        installation_requested=installation,
        expedited=expedited,
    )


def shipment(
    when: dt.datetime,
    consignee: Party,
    items: Sequence[Item] = (),
    *,
    shipper: Party = SELLER,
    destination: str | None = None,
    origin: str | None = None,
    license: str | None = "NLR",
    order_id: str | None = None,
    consignee_type: str = "direct_consumer",
    declared_value: float | None = None,
    shipment_id: str | None = None,
    intermediate: Party | None = None,
    source: str = "aes",
    event_id: str | None = None,
) -> Shipment:
    items = list(items) or [item()]
    value = declared_value if declared_value is not None else sum(PRODUCTS[i.product][1] * i.quantity for i in items)
    return Shipment(
        event_id=event_id or _event_id("shp"),
        event_time=when,
        source=source,
        schema_version=1,
        shipment_id=shipment_id or _event_id("AWB"),
        order_id=order_id,
        shipper=shipper,
        consignee=consignee,
        consignee_type=consignee_type,
        intermediate_consignee=intermediate,
        origin_country=origin or shipper.country,
        destination_country=destination or consignee.country,
        mode="air",
        declared_value_usd=value,
        items=items,
        license=license,
    )


def _reference(thresholds: Thresholds | None) -> Reference:
    return Reference(thresholds=thresholds) if thresholds is not None else Reference()


def reference(*entities: Entity, thresholds: Thresholds | None = None) -> Reference:
    ref = _reference(thresholds)
    for e in entities:
        ref.registry.apply(e)
    return ref


def run(detector: Any, events: Iterable[Any], *, batch: int | None = None, thresholds: Thresholds | None = None) -> list[Alert]:
    """Every alert after feeding ``events`` (entities included) through the real engine."""
    events = list(events)
    engine = Engine([detector], reference=_reference(thresholds))
    size = batch or max(1, len(events))
    for start in range(0, len(events), size):
        engine.process(events[start:start + size], detected_at=NOW)
    engine.flush(detected_at=NOW)
    return engine.alerts()


def alerts_of(alerts: Sequence[Alert], typology: str | None = None, subject: str | None = None) -> list[Alert]:
    return [a for a in alerts if (typology is None or a.typology == typology)
            and (subject is None or a.subject.entity_id == subject)]


def records_of(ref: Reference, events: Iterable[Any]) -> list[Any]:
    """Trade records built against a fixed registry (entities first), sorted as the engine sorts."""
    out = []
    for event in sorted(events, key=lambda e: (e.event_time, e.event_id)):
        if isinstance(event, Entity):
            ref.registry.apply(event)
        elif isinstance(event, Order):
            out.append(ref.order(event))
        elif isinstance(event, Shipment):
            out.append(ref.shipment(event))
    return out


def late_batches(records: Sequence[Any], size: int, rng: random.Random) -> list[Sequence[Any]]:
    """``records`` cut into batches of ``size``, a third of them swapped around: records
    arriving late, into state that has moved on past them."""
    batches = [records[i : i + size] for i in range(0, len(records), size)]
    for _ in range(len(batches) // 3):
        i, j = rng.randrange(len(batches)), rng.randrange(len(batches))
        batches[i], batches[j] = batches[j], batches[i]
    return batches


def assert_agrees_with_twin(fast: Any, slow: Any, batches: Iterable[Sequence[Any]], ref: Reference, later: Sequence[Any]) -> None:
    """``fast`` and ``slow`` (a twin that looks at everything) give the same findings and
    state after every batch; so does ``fast`` restored from its JSON snapshot, on ``later``."""
    for records_in_batch in batches:
        assert fast.observe(records_in_batch, ref) == slow.observe(records_in_batch, ref)
        assert fast.to_state() == slow.to_state()
    resumed = type(fast)()
    resumed.load_state(json.loads(json.dumps(fast.to_state())))
    assert resumed.observe(later, ref) == slow.observe(later, ref)
    assert resumed.to_state() == slow.to_state()


def fused(findings: Iterable[Finding]) -> list[Alert]:
    book = AlertBook()
    book.add(list(findings), NOW)
    return book.alerts()


def content(alerts: Sequence[Alert]) -> list[Any]:
    """Alerts without the wall-clock field, for equality across runs."""
    import msgspec

    return [msgspec.structs.replace(a, detected_at=NOW) for a in alerts]
