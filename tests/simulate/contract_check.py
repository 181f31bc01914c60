"""Contract v1 validation for tests: ``schemas.decode`` when present, else a local check.

The local fallback checks what the contract requires (envelope, required fields, enums,
country codes, positive quantities) so the simulator can be tested before or without
the ``schemas`` package.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_REQUIRED = {
    "order": ("order_id", "seller", "buyer", "ship_to", "declared_end_use", "lines", "order_value_usd"),
    "shipment": ("shipment_id", "shipper", "consignee", "consignee_type", "origin_country", "destination_country",
                 "mode", "declared_value_usd", "items"),
    "entity": ("entity_id", "name", "country", "business_type"),
    "screening_entry": ("entry_id", "list", "name"),
}
_ENUMS = {
    "declared_end_use": {"ai_training", "ai_inference", "cloud_services", "hpc_research", "enterprise_it", "gaming",
                         "crypto_mining", "automotive", "resale", "other", "unknown"},
    "payment_method": {"wire", "letter_of_credit", "card", "cash", "crypto", "other"},
    "consignee_type": {"direct_consumer", "government", "reseller", "freight_forwarder", "other_unknown"},
    "mode": {"air", "ocean", "truck", "rail", "courier", "hand_carry"},
    "business_type": {"cloud_provider", "ai_lab", "university", "hpc_center", "enterprise", "oem_server", "distributor",
                      "reseller", "freight_forwarder", "logistics", "gaming_retail", "crypto_miner", "government",
                      "other"},
    "list": {"entity_list", "unverified_list", "military_end_user", "denied_persons", "sdn", "other"},
}
_PARTIES = ("seller", "buyer", "ship_to", "end_user", "payer", "shipper", "consignee", "intermediate_consignee",
            "freight_forwarder")


def _local_errors(event: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    if not isinstance(event.get("event_id"), str) or not 1 <= len(event["event_id"]) <= 128:
        errors.append("event_id")
    if event.get("schema_version") != 1:
        errors.append("schema_version")
    if not isinstance(event.get("source"), str):
        errors.append("source")
    if not isinstance(event.get("event_time"), str) or not _TIME.match(event["event_time"]):
        errors.append("event_time")
    kind = event.get("event_type")
    if kind not in _REQUIRED:
        return [*errors, "event_type"]
    errors += [f"missing {name}" for name in _REQUIRED[kind] if event.get(name) is None]
    for name, allowed in _ENUMS.items():
        if event.get(name) is not None and event[name] not in allowed:
            errors.append(f"enum {name}")
    for name in _PARTIES:
        party = event.get(name)
        if party is not None and not (isinstance(party.get("name"), str) and 1 <= len(party["name"]) <= 300
                                      and _COUNTRY.match(party.get("country", ""))):
            errors.append(f"party {name}")
    for name in ("country", "origin_country", "destination_country", "ultimate_parent_country"):
        if event.get(name) is not None and not _COUNTRY.match(event[name]):
            errors.append(f"country {name}")
    for index, row in enumerate(event.get("lines") or event.get("items") or []):
        if not isinstance(row.get("quantity"), int) or row["quantity"] < 1:
            errors.append(f"quantity {index}")
        if row.get("accelerators_per_unit") is not None and row["accelerators_per_unit"] < 1:
            errors.append(f"accelerators_per_unit {index}")
    if kind in ("order", "shipment"):
        rows = event.get("lines") if kind == "order" else event.get("items")
        if not rows or len(rows) > 200:
            errors.append("lines/items count")
    for name in ("incorporated_on", "start_date"):
        if event.get(name) is not None and not _DATE.match(event[name]):
            errors.append(f"date {name}")
    return errors


def contract_errors(event: dict[str, Any]) -> list[str]:
    """Reasons ``event`` is not a valid contract-v1 event (empty when valid)."""
    try:
        from schemas import ValidationError, decode
    except ImportError:  # the schemas package is not there yet: check locally
        return _local_errors(event)
    result = decode(msgspec.json.encode(event))
    if isinstance(result, ValidationError):
        return [f"{e.field}: {e.message}" for e in result.errors]
    return []
