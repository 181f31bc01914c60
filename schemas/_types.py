"""Constrained scalar types of contract v1, declared once and shared by every model.

Each alias carries its constraint as ``msgspec.Meta`` so that the same declaration drives
the fast C decoder, the slow path that collects every error, and the generated JSON
Schema. A constraint changed here changes all three.
"""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Literal

import msgspec

from schemas._countries import ISO_3166_ALPHA2

CountryCode = Annotated[
    Literal[ISO_3166_ALPHA2],  # type: ignore[valid-type]
    msgspec.Meta(description="ISO 3166-1 alpha-2 country code, upper case"),
]
Timestamp = Annotated[
    _dt.datetime,
    msgspec.Meta(tz=True, description="RFC 3339 timestamp with an offset; compared in UTC"),
]
Date = _dt.date
EventId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
PartyName = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
UsdAmount = Annotated[float, msgspec.Meta(ge=0, description="US dollars")]
Quantity = Annotated[int, msgspec.Meta(ge=1, description="units of chips, or of servers for server SKUs")]
AcceleratorsPerUnit = Annotated[int, msgspec.Meta(ge=1)]
Percentage = Annotated[float, msgspec.Meta(ge=0, le=100)]
NonNegativeInt = Annotated[int, msgspec.Meta(ge=0)]
Score = Annotated[float, msgspec.Meta(ge=0, le=1)]

DeclaredEndUse = Literal[
    "ai_training",
    "ai_inference",
    "cloud_services",
    "hpc_research",
    "enterprise_it",
    "gaming",
    "crypto_mining",
    "automotive",
    "resale",
    "other",
    "unknown",
]
PaymentMethod = Literal["wire", "letter_of_credit", "card", "cash", "crypto", "other"]
ConsigneeType = Literal["direct_consumer", "government", "reseller", "freight_forwarder", "other_unknown"]
TransportMode = Literal["air", "ocean", "truck", "rail", "courier", "hand_carry"]
BusinessType = Literal[
    "cloud_provider",
    "ai_lab",
    "university",
    "hpc_center",
    "enterprise",
    "oem_server",
    "distributor",
    "reseller",
    "freight_forwarder",
    "logistics",
    "gaming_retail",
    "crypto_miner",
    "government",
    "other",
]
ScreeningListName = Literal[
    "entity_list", "unverified_list", "military_end_user", "denied_persons", "sdn", "other"
]
Typology = Literal["over_ordering", "transshipment", "end_use", "screening", "anomaly"]
Severity = Literal["low", "medium", "high", "critical"]
