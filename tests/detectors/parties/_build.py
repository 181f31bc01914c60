"""Contract ``Entity`` records for tests, with only the fields a test cares about."""

from __future__ import annotations

import datetime as dt
from typing import Any

from schemas import Entity

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def at(days: float) -> dt.datetime:
    """A business time ``days`` after 2025-01-01 UTC."""
    return T0 + dt.timedelta(days=days)


def entity(entity_id: str, name: str = "", *, country: str = "MY", day: float = 0, event_id: str | None = None,
           **fields: Any) -> Entity:
    return Entity(
        event_id=event_id or f"ev-{entity_id}-{day}",
        event_time=at(day),
        source="registry",
        schema_version=1,
        entity_id=entity_id,
        name=name or f"{entity_id} Sdn Bhd",
        country=country,
        business_type=fields.pop("business_type", "enterprise"),
        **fields,
    )
