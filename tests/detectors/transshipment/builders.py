"""Small trade worlds for the transshipment tests, built from ``detectors.engine.records``.

Records are built directly (parties already resolved, lines classified against the real
catalogue), so tests need no registry and no engine. ``Ref`` carries the real reference
data; ``run`` feeds records like the engine does and fuses findings like the engine does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from detectors.alerts import AlertBook, Finding
from detectors.engine.records import OrderRecord, PartyRef, ShipmentRecord, classify_line
from detectors.reference import Catalogue, CountryGroups, RedFlagCatalogue
from detectors.thresholds import Thresholds
from detectors.transshipment import TransshipmentDetector
from schemas import Entity, Item, Line, Order, Party, Shipment

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.timezone.utc)
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)

#: Typical unit values used for declared values (inside the catalogue ranges).
PRICES = {"H100-SXM5-80GB": 30_000, "H200-SXM-141GB": 35_000, "HGX-H100-8GPU": 300_000, "A100-SXM4-80GB": 15_000,
          "L40S-48GB": 9_000}


@dataclass
class Ref:
    """The reference data detectors read, without registry or screening list."""

    catalogue: Catalogue = field(default_factory=Catalogue.load)
    countries: CountryGroups = field(default_factory=CountryGroups.load)
    thresholds: Thresholds = field(default_factory=Thresholds.load)
    red_flags: RedFlagCatalogue = field(default_factory=RedFlagCatalogue.load)


REF = Ref()


def day(n: float, hours: float = 0.0) -> dt.datetime:
    return T0 + dt.timedelta(days=n, hours=hours)


def party(entity_id: str, country: str, name: str | None = None, *, business_type: str | None = None,
          registered: bool = True, address: str | None = None, parent: str | None = None) -> PartyRef:
    """A resolved party; registered ones carry a registry record with ``business_type``."""
    name = name or entity_id.replace("-", " ").title()
    entity = None
    if registered:
        entity = Entity(event_id=f"reg-{entity_id}", event_time=T0 - dt.timedelta(days=400), source="registry",
                        schema_version=1, entity_id=entity_id, name=name, country=country,
                        business_type=business_type or "other", address=address, parent_id=parent,
                        ultimate_parent_id=parent)
    return PartyRef(entity_id=entity_id, name=name, country=country, registered=registered, entity=entity,
                    address=address)


VENDOR = party("vendor-us", "US", "Lumen Microsystems LLC", business_type="oem_server")
HUB_SG = party("hub-sg", "SG", "Orchid Trading Pte Ltd", business_type="reseller")
HUB_MY = party("hub-my", "MY", "Cobalt Supply Sdn Bhd", business_type="reseller")
DIST_SG = party("dist-sg", "SG", "Beacon Components Pte Ltd", business_type="distributor")
FINAL_CN = party("final-cn", "CN", "Shanghai Ruida IT Co Ltd", registered=False)
FINAL_HK = party("final-hk", "HK", "Granite Logistics Ltd", business_type="logistics")
USER_AU = party("user-au", "AU", "Southern Cross Cloud Pty Ltd", business_type="cloud_provider")
USER_MY = party("user-my", "MY", "Pioneer Data Centres Sdn Bhd", business_type="cloud_provider")


def serials(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{n:05d}" for n in range(count))


def item(product: str, quantity: int, serial_numbers: Sequence[str] = (), *, hts: str | None = None,
         eccn: str | None = None, sku: str | None = None) -> Item:
    return Item(sku=sku or product, product=product, quantity=quantity, eccn=eccn, hts=hts,
                serials=list(serial_numbers) or None)


def line(product: str, quantity: int, unit_value: float | None = None) -> Line:
    return Line(sku=product, product=product, quantity=quantity, unit_value_usd=unit_value or PRICES.get(product, 1000))


def _as_party(ref: PartyRef) -> Party:
    return Party(entity_id=ref.entity_id, name=ref.name, country=ref.country, address=ref.address)


def shipment(event_id: str, when: dt.datetime, shipper: PartyRef, consignee: PartyRef, items: Iterable[Item], *,
             shipment_id: str | None = None, origin: str | None = None, dest: str | None = None,
             licence: str | None = None, value: float | None = None, consignee_type: str = "reseller",
             order_id: str | None = None, transit: list[str] | None = None, forwarder: PartyRef | None = None,
             source: str = "customs") -> ShipmentRecord:
    items = list(items)
    if value is None:
        value = sum(i.quantity * PRICES.get(i.product, 1000) for i in items)
    event = Shipment(
        event_id=event_id, event_time=when, source=source, schema_version=1,
        shipment_id=shipment_id or f"AWB-{event_id}", shipper=_as_party(shipper), consignee=_as_party(consignee),
        consignee_type=consignee_type, origin_country=origin or shipper.country,
        destination_country=dest or consignee.country, mode="air", declared_value_usd=value, items=items,
        order_id=order_id, transit_countries=transit, license=licence,
        freight_forwarder=_as_party(forwarder) if forwarder else None,
    )
    return ShipmentRecord(event=event, shipper=shipper, consignee=consignee, intermediate_consignee=None,
                          freight_forwarder=forwarder, items=tuple(classify_line(i, REF.catalogue) for i in items))


def order(event_id: str, when: dt.datetime, seller: PartyRef, buyer: PartyRef, lines: Iterable[Line], *,
          ship_to: PartyRef | None = None, order_id: str | None = None) -> OrderRecord:
    lines = list(lines)
    ship_to = ship_to or buyer
    event = Order(
        event_id=event_id, event_time=when, source="distributor-sellthrough", schema_version=1,
        order_id=order_id or f"SO-{event_id}", seller=_as_party(seller), buyer=_as_party(buyer),
        ship_to=_as_party(ship_to), declared_end_use="enterprise_it", lines=lines,
        order_value_usd=sum(ln.quantity * ln.unit_value_usd for ln in lines),
    )
    return OrderRecord(event=event, seller=seller, buyer=buyer, ship_to=ship_to, end_user=None, payer=None,
                       lines=tuple(classify_line(ln, REF.catalogue) for ln in lines))


def engine_order(records: Iterable[Any]) -> list[Any]:
    """The order the engine hands records to detectors in."""
    return sorted(records, key=lambda r: (r.time, r.event_id))


def run(records: Iterable[Any], *, detector: TransshipmentDetector | None = None, batch: int | None = None,
        ref: Any = REF) -> list[Finding]:
    """Findings from feeding ``records`` in engine order, in batches of ``batch`` (default: all at once)."""
    detector = detector or TransshipmentDetector()
    ordered = engine_order(records)
    size = batch or max(1, len(ordered))
    findings: list[Finding] = []
    for start in range(0, len(ordered), size):
        findings.extend(detector.observe(ordered[start:start + size], ref))
    return findings


def fuse(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """Fused alerts as plain data (comparable across runs)."""
    book = AlertBook()
    book.add(findings, NOW)
    return [msgspec.to_builtins(alert) for alert in book.alerts()]


def by_pattern(findings: Iterable[Finding], pattern: str) -> list[Finding]:
    return [f for f in findings if f.detector == f"transshipment.{pattern}@1"]


def strongest(findings: Iterable[Finding]) -> Finding:
    return max(findings, key=Finding._strength)


def assert_medium_or_higher_absent(findings: Iterable[Finding]) -> None:
    loud = [f for f in findings if f.severity in ("medium", "high", "critical")]
    assert not loud, [(f.detector, f.severity, f.summary) for f in loud]


def check_finding_shape(finding: Finding) -> None:
    """What every transshipment finding must carry (contract and brief)."""
    assert finding.typology == "transshipment"
    assert finding.detector.startswith("transshipment.") and finding.detector.endswith("@1")
    assert finding.evidence and list(finding.evidence) == sorted(set(finding.evidence))
    assert finding.red_flags and all(code in REF.red_flags for code in finding.red_flags)
    assert finding.details["thresholds_version"] == REF.thresholds.version
    assert finding.summary.endswith(".") and "\n" not in finding.summary
    assert finding.pattern_key
    assert finding.subject.entity_id not in {p.entity_id for p in finding.related}
    msgspec.json.encode(finding.details)  # JSON-able


__all__ = [name for name in dir() if not name.startswith("_")]
