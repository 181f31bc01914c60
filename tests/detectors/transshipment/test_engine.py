"""Through the real engine: contract events in, one alert per chain out, whatever the batching."""

from __future__ import annotations

import random

import msgspec
import pytest

from tests.detectors.transshipment.builders import NOW, day

engine_module = pytest.importorskip("detectors.engine")

from detectors.transshipment import TransshipmentDetector  # noqa: E402
from schemas import Entity, Item, Party, Shipment  # noqa: E402


def entity(entity_id, name, country, business_type):
    return Entity(event_id=f"reg-{entity_id}", event_time=day(-30), source="registry", schema_version=1,
                  entity_id=entity_id, name=name, country=country, business_type=business_type)


def leg(event_id, when, shipper, consignee, units, consignee_type="reseller", **kw):
    return Shipment(
        event_id=event_id, event_time=when, source="customs-sg", schema_version=1, shipment_id=f"AWB-{event_id}",
        shipper=shipper, consignee=consignee, consignee_type=consignee_type, origin_country=shipper.country,
        destination_country=consignee.country, mode="air", declared_value_usd=300_000.0 * len(units),
        items=[Item(sku="SRV-HGX-H100", product="HGX-H100-8GPU", quantity=len(units), accelerators_per_unit=8,
                    serials=list(units))],
        **kw,
    )


VENDOR = Party(entity_id="ent-vendor", name="Lumen Server Systems LLC", country="US")
HUB_A = Party(name="Orchid Technology Trading Pte. Ltd.", country="SG")  # named, not resolved by the producer
HUB_B = Party(entity_id="ent-hub-b", name="Cobalt Supply Chain Sdn Bhd", country="MY")
FINAL = Party(name="Nimbus Energy Limited", country="HK")
UNITS = [f"SRV{n:04d}" for n in range(5)]

EVENTS = [
    entity("ent-vendor", "Lumen Server Systems LLC", "US", "oem_server"),
    entity("ent-hub-a", "Orchid Technology Trading Pte Ltd", "SG", "reseller"),
    entity("ent-hub-b", "Cobalt Supply Chain Sdn Bhd", "MY", "reseller"),
    leg("leg-1", day(0), VENDOR, HUB_A, UNITS, consignee_type="direct_consumer", license="NLR"),
    leg("leg-1-dup", day(2), VENDOR, HUB_A, UNITS, consignee_type="direct_consumer"),  # redelivery, new id
    leg("leg-2", day(8), HUB_A, HUB_B, UNITS),
    leg("leg-3", day(8), HUB_B, FINAL, UNITS),  # same business time as leg-2
]


def alerts(events, batch):
    engine = engine_module.Engine([TransshipmentDetector()])
    for start in range(0, len(events), batch):
        engine.process(events[start:start + batch], NOW)
    engine.flush(NOW)
    return [msgspec.to_builtins(a) for a in engine.alerts()]


def test_one_alert_per_chain_through_the_engine():
    events = [e for e in EVENTS if e.event_id != "leg-1-dup"]
    result = alerts(events, len(events))
    assert len(result) == 1, [a["summary"] for a in result]
    alert = result[0]
    assert alert["typology"] == "transshipment" and alert["severity"] == "critical"
    assert alert["subject"]["entity_id"] == "ent-hub-a"  # resolved by name against the registry
    assert alert["evidence"] == ["leg-1", "leg-2", "leg-3"]
    assert "MULTI_HOP_CHAIN" in alert["red_flags"] and "SERIAL_REEXPORT" in alert["red_flags"]


@pytest.mark.parametrize("batch", [1, 2, 3, 100])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_engine_alerts_do_not_depend_on_batching_or_arrival_order(batch, seed):
    reference = alerts(sorted(EVENTS, key=lambda e: (e.event_time, e.event_id)), len(EVENTS))
    shuffled = list(EVENTS)
    random.Random(seed).shuffle(shuffled)
    registry_first = [e for e in shuffled if isinstance(e, Entity)] + [e for e in shuffled if not isinstance(e, Entity)]
    assert alerts(registry_first, batch) == reference
