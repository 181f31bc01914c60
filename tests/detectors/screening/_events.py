"""Contract-shaped trade events for the screening detector's engine tests.

Orders and shipments start from the contract's own examples (``examples.jsonl``) and
change only the parties, times and lines a test cares about, then go through
``schemas.decode`` exactly as a producer's message would.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import msgspec

from detectors.engine import Engine, Reference
from detectors.screening import ScreeningConfig
from detectors.screening_detector import ScreeningDetector
from schemas import Alert, Event, ScreeningAddress, ScreeningEntry, decode
from tests.conftest import CONTRACT_DIR
from tests.detectors.parties._build import at

#: The Affiliates Rule's shipped effective date, as a day offset for ``at``.
RULE_DAY = (dt.date(2026, 11, 9) - dt.date(2025, 1, 1)).days

SELLER = {"entity_id": "ent-oem-us", "name": "Example Server Corp", "country": "US"}
CONTROLLED_LINE = {"sku": "SRV-HGX-H200", "product": "HGX-H200-8GPU", "eccn": "4A090.a", "hts": "8471.50",
                   "quantity": 2, "unit_value_usd": 315000, "accelerators_per_unit": 8}
UNCONTROLLED_LINE = {"sku": "NIC-400G", "product": "NIC-400G", "eccn": "5A992.c", "quantity": 4,
                     "unit_value_usd": 1500}


def _templates() -> dict[str, dict[str, Any]]:
    examples = [json.loads(line) for line in (CONTRACT_DIR / "examples.jsonl").read_text().splitlines() if line]
    return {example["event_type"]: example for example in examples}


_TEMPLATES = _templates()


def party(name: str, country: str = "CN", *, entity_id: str | None = None, address: str | None = None) -> dict:
    out: dict[str, Any] = {"name": name, "country": country}
    if entity_id is not None:
        out["entity_id"] = entity_id
    if address is not None:
        out["address"] = address
    return out


def order(event_id: str, day: float, *, buyer: dict | None = None, controlled: bool = True, **parties: Any) -> Event:
    raw = copy.deepcopy(_TEMPLATES["order"])
    line = CONTROLLED_LINE if controlled else UNCONTROLLED_LINE
    raw.update(event_id=event_id, event_time=at(day).isoformat(), order_id=f"SO-{event_id}", seller=SELLER,
               buyer=buyer or party("Harbour Lane Trading Pte Ltd", "SG"), lines=[line],
               order_value_usd=line["quantity"] * line["unit_value_usd"])
    raw["ship_to"] = raw["buyer"]
    for key in ("end_user", "payer"):
        raw.pop(key, None)
    raw.update({role: value for role, value in parties.items() if value is not None})
    event = decode(json.dumps(raw))
    assert not hasattr(event, "errors"), event
    return event


def shipment(event_id: str, day: float, *, consignee: dict, controlled: bool = True, **parties: Any) -> Event:
    raw = copy.deepcopy(_TEMPLATES["shipment"])
    line = {k: v for k, v in (CONTROLLED_LINE if controlled else UNCONTROLLED_LINE).items() if k != "unit_value_usd"}
    raw.update(event_id=event_id, event_time=at(day).isoformat(), shipment_id=f"AWB-{event_id}", shipper=SELLER,
               consignee=consignee, items=[line], destination_country=consignee["country"])
    raw.pop("freight_forwarder", None)
    raw.update({role: value for role, value in parties.items() if value is not None})
    event = decode(json.dumps(raw))
    assert not hasattr(event, "errors"), event
    return event


def listed(entry_id: str, name: str, *alt_names: str, day: float = 0, country: str = "CN",
           address: str | None = None, city: str | None = None, **fields: Any) -> ScreeningEntry:
    """A screening entry with a street address (the shared builder gives country and city only)."""
    return ScreeningEntry(
        event_id=fields.pop("event_id", f"scr-{entry_id}-{day}"),
        event_time=at(day),
        source="csl",
        schema_version=1,
        entry_id=entry_id,
        list=fields.pop("list", "entity_list"),
        name=name,
        alt_names=list(alt_names) or None,
        addresses=[ScreeningAddress(country=country, address=address, city=city)],
        federal_register_notice=fields.pop("federal_register_notice", "89 FR 12345"),
        **fields,
    )


def run(events: list[Event], *, batch: int | None = None, config: ScreeningConfig | None = None,
        detector: ScreeningDetector | None = None) -> tuple[Engine, ScreeningDetector]:
    """Feed ``events`` in batches of ``batch`` (all at once by default), then flush."""
    detector = detector or ScreeningDetector(config)
    engine = Engine([detector], Reference())
    size = batch or max(1, len(events))
    for start in range(0, len(events), size):
        engine.process(events[start : start + size])
    engine.flush()
    return engine, detector


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def content(alerts: list[Alert]) -> list[dict]:
    """Alerts without their wall-clock field, for comparing runs."""
    return [msgspec.to_builtins(msgspec.structs.replace(alert, detected_at=_EPOCH)) for alert in alerts]
