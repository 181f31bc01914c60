"""A small synthetic market for anomaly tests: ordinary cloud buyers and one odd party.

Ordinary buyers (registered cloud providers with declared capacity, in non-licence
countries) start trading at staggered times, order a few dozen H100 modules from one
vendor every week or two and receive them days later. The odd party (``ODD``: a registered MY enterprise without declared
capacity) orders hundreds at a time, declines installation, pays in crypto from Hong
Kong, and re-exports everything to China with no licence a few days after arrival.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import numpy as np

from detectors.anomaly.features import FEATURE_NAMES

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
VENDOR = {"entity_id": "ent-vendor-us", "name": "Vendor Corp", "country": "US"}
ODD = "ent-odd-my"
_COUNTRIES = ("JP", "DE", "US", "AU", "KR", "FR", "GB", "NL")


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def entity(entity_id: str, name: str, country: str, business_type: str, capacity: int | None, t: dt.datetime) -> dict[str, Any]:
    out: dict[str, Any] = {
        "event_id": f"ent-{entity_id}",
        "event_type": "entity",
        "event_time": iso(t),
        "source": "registry",
        "schema_version": 1,
        "entity_id": entity_id,
        "name": name,
        "country": country,
        "business_type": business_type,
        "website": f"{entity_id}.example",
    }
    if capacity is not None:
        out["declared_capacity_accelerators"] = capacity
    return out


def party(entity_id: str, name: str, country: str) -> dict[str, str]:
    return {"entity_id": entity_id, "name": name, "country": country}


def order(event_id: str, t: dt.datetime, buyer: dict[str, str], quantity: int, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "event_id": event_id,
        "event_type": "order",
        "event_time": iso(t),
        "source": "vendor-erp",
        "schema_version": 1,
        "order_id": f"SO-{event_id}",
        "seller": VENDOR,
        "buyer": buyer,
        "ship_to": buyer,
        "declared_end_use": "cloud_services",
        "payment_method": "wire",
        "lines": [
            {"sku": "NV-H100-SXM", "product": "H100-SXM5-80GB", "eccn": "3A090.a", "hts": "8473.30",
             "quantity": quantity, "unit_value_usd": 30000}
        ],
        "order_value_usd": 30000 * quantity,
        "installation_requested": True,
        "expedited": False,
    }
    out.update(extra)
    return out


def shipment(event_id: str, t: dt.datetime, shipper: dict[str, str], consignee: dict[str, str], quantity: int,
             destination: str, licence: str | None = "NLR") -> dict[str, Any]:
    out: dict[str, Any] = {
        "event_id": event_id,
        "event_type": "shipment",
        "event_time": iso(t),
        "source": "aes",
        "schema_version": 1,
        "shipment_id": f"AWB-{event_id}",
        "shipper": shipper,
        "consignee": consignee,
        "consignee_type": "direct_consumer",
        "origin_country": shipper["country"],
        "destination_country": destination,
        "mode": "air",
        "declared_value_usd": 30000 * quantity,
        "items": [{"sku": "NV-H100-SXM", "product": "H100-SXM5-80GB", "eccn": "3A090.a", "quantity": quantity}],
    }
    if licence is not None:
        out["license"] = licence
    return out


def market(seed: int = 0, *, buyers: int = 24, days: int = 240, odd: bool = True) -> list[dict[str, Any]]:
    """Contract event dicts in time order (ties by event id)."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = [entity(VENDOR["entity_id"], VENDOR["name"], "US", "enterprise", None, T0)]
    for b in range(buyers):
        eid = f"ent-cloud-{b:02d}"
        country = _COUNTRIES[b % len(_COUNTRIES)]
        events.append(entity(eid, f"Cloud {b:02d} Ltd", country, "cloud_provider", 4096, T0))
        buyer = party(eid, f"Cloud {b:02d} Ltd", country)
        day = rng.uniform(0, days * 0.6)
        n = 0
        while day < days:
            t = T0 + dt.timedelta(days=day)
            quantity = rng.randint(8, 40)
            events.append(order(f"ord-{b:02d}-{n:03d}", t, buyer, quantity))
            events.append(shipment(f"shp-{b:02d}-{n:03d}", t + dt.timedelta(days=rng.uniform(2, 9)), VENDOR, buyer,
                                   quantity, country))
            day += rng.uniform(6, 16)
            n += 1
    if odd:
        events.append(entity(ODD, "Odd Trading Sdn Bhd", "MY", "enterprise", None, T0))
        buyer = party(ODD, "Odd Trading Sdn Bhd", "MY")
        payer = party("ent-payer-hk", "Far Payer Ltd", "HK")
        onward = {"name": "Nameless Buyer Co", "country": "CN"}
        day, n = days - 100, 0
        while day < days:
            t = T0 + dt.timedelta(days=day)
            quantity = rng.randint(300, 600)
            events.append(order(f"ord-odd-{n:03d}", t, buyer, quantity, payer=payer, payment_method="crypto",
                                installation_requested=False, expedited=True))
            arrive = t + dt.timedelta(days=3)
            events.append(shipment(f"shp-odd-in-{n:03d}", arrive, VENDOR, buyer, quantity, "MY"))
            events.append(shipment(f"shp-odd-out-{n:03d}", arrive + dt.timedelta(days=2), buyer, onward, quantity, "CN"))
            day += 7
            n += 1
    events.sort(key=lambda e: (e["event_time"], e["event_id"]))
    return events


def matrix(seed: int = 0, rows: int = 400) -> np.ndarray:
    """Ordinary-looking rows of FEATURE_NAMES for model-only tests."""
    rng = np.random.default_rng(seed)
    X = np.zeros((rows, len(FEATURE_NAMES)))
    col = {name: i for i, name in enumerate(FEATURE_NAMES)}
    X[:, col["accelerators_90d"]] = rng.lognormal(4.0, 0.6, rows).round()
    X[:, col["accelerators_365d"]] = X[:, col["accelerators_90d"]] * rng.uniform(3.5, 4.5, rows)
    X[:, col["value_usd_365d"]] = X[:, col["accelerators_365d"]] * rng.uniform(25_000, 35_000, rows)
    X[:, col["growth_30d"]] = rng.lognormal(0.0, 0.3, rows)
    X[:, col["datacenter_share_365d"]] = rng.uniform(0.8, 1.0, rows)
    X[:, col["orders_365d"]] = rng.integers(10, 40, rows)
    X[:, col["accelerators_per_order_365d"]] = X[:, col["accelerators_365d"]] / X[:, col["orders_365d"]]
    X[:, col["counterparties_365d"]] = rng.integers(1, 6, rows)
    X[:, col["countries_365d"]] = rng.integers(1, 4, rows)
    X[:, col["transshipment_point_share_365d"]] = rng.uniform(0.0, 0.2, rows)
    X[:, col["expedited_share_365d"]] = rng.uniform(0.0, 0.15, rows)
    X[:, col["days_since_first_seen"]] = rng.integers(30, 365, rows)
    X[:, col["registered"]] = 1.0
    X[:, col["capacity_known"]] = 1.0
    X[:, col["capacity_use_365d"]] = rng.uniform(0.05, 0.6, rows)
    X[:, col["type_compute"]] = 1.0
    return X
