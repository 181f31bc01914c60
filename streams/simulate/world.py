"""The simulated world: every party that trades, owns or moves goods, and its registry record.

``build_world`` creates the infrastructure (chip vendors, OEMs, distributors, forwarders,
logistics firms, hub resellers), a background population of buyers sized to the target
volume, and the legitimate look-alikes that make detection hard. Cases add their own
parties later through :meth:`World.new_company`, so a case never borrows a background
buyer or a look-alike.

An :class:`Actor` with ``entity_id=None`` exists only as a name on documents (a straw
buyer, a listed party typed by hand); it never gets a registry record.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

from streams.simulate.clock import DAY, iso, to_ts
from streams.simulate.config import SimulationConfig
from streams.simulate.names import CompanyName, NameBook, slugify
from streams.simulate.profile import Archetype
from streams.simulate.refs import References
from streams.simulate.rng import derive_seed, rng_for

__all__ = ["Actor", "World", "build_world", "INFRASTRUCTURE_ROLES"]

#: Roles of the parties every buyer deals with; cases may use them as sellers and carriers.
INFRASTRUCTURE_ROLES = ("chip_vendor", "oem_server", "distributor", "forwarder", "logistics", "hub_reseller")
_ROLE_INDUSTRY = {
    "chip_vendor": ("chip_vendor", "enterprise"),
    "oem_server": ("oem_server", "oem_server"),
    "distributor": ("distributor", "distributor"),
    "forwarder": ("freight_forwarder", "freight_forwarder"),
    "logistics": ("logistics", "logistics"),
    "hub_reseller": ("reseller", "reseller"),
}
#: Countries whose groups own background subsidiaries abroad.
_GROUP_COUNTRIES = ("US", "JP", "DE", "GB", "SG", "AU", "KR", "FR", "NL")


@dataclass(slots=True, eq=False)
class Actor:
    """A party: registry fields (as the contract's ``entity`` event) plus simulation habits."""

    entity_id: str | None
    name: str
    country: str
    business_type: str
    role: str
    address: str | None = None
    aliases: tuple[str, ...] = ()
    website: str | None = None
    incorporated_on: dt.date | None = None
    parent: Actor | None = None
    ownership_pct: float | None = None
    declared_capacity: int | None = None
    spellings: tuple[str, ...] = ()
    archetype: Archetype | None = None
    activity: float = 0.0
    registered_at: int = 0
    behaviour: str | None = None
    #: Where this buyer's goods go when not to itself (billing hubs).
    ship_to_options: tuple[Actor, ...] = ()
    #: Licence number held for controlled items (background buyers that need one).
    licence: str | None = None
    #: Seller this buyer usually buys from (customers of a re-exporting distributor).
    preferred_seller: Actor | None = None

    @property
    def ultimate_parent(self) -> Actor | None:
        top = self.parent
        while top is not None and top.parent is not None:
            top = top.parent
        return top

    @property
    def headquarters_country(self) -> str:
        top = self.ultimate_parent
        return top.country if top is not None else self.country

    def record(self) -> dict[str, Any]:
        """The registry fields of the contract's ``entity`` event (absent when unknown)."""
        out: dict[str, Any] = {"entity_id": self.entity_id, "name": self.name}
        if self.aliases:
            out["aliases"] = list(self.aliases)
        out["country"] = self.country
        if self.address:
            out["address"] = self.address
        out["business_type"] = self.business_type
        if self.parent is not None:
            out["parent_id"] = self.parent.entity_id
            if self.ownership_pct is not None:
                out["ownership_pct"] = self.ownership_pct
            top = self.ultimate_parent
            assert top is not None
            out["ultimate_parent_id"] = top.entity_id
            out["ultimate_parent_country"] = top.country
        if self.incorporated_on is not None:
            out["incorporated_on"] = self.incorporated_on.isoformat()
        if self.declared_capacity is not None:
            out["declared_capacity_accelerators"] = self.declared_capacity
        if self.website:
            out["website"] = self.website
        return out


@dataclass(slots=True)
class RegistryUpdate:
    """A registry change at ``ts``: new field values (``deleted`` for a tombstone)."""

    ts: int
    actor: Actor
    changes: dict[str, Any]


@dataclass(slots=True)
class World:
    config: SimulationConfig
    refs: References
    names: NameBook
    actors: list[Actor] = field(default_factory=list)
    by_role: dict[str, list[Actor]] = field(default_factory=dict)
    buyers: list[Actor] = field(default_factory=list)
    lookalikes: list[dict[str, Any]] = field(default_factory=list)
    updates: list[RegistryUpdate] = field(default_factory=list)
    _ids: dict[str, None] = field(default_factory=dict)

    @property
    def start_ts(self) -> int:
        return to_ts(self.config.start)

    @property
    def end_ts(self) -> int:
        return to_ts(self.config.end)

    def role(self, role: str) -> list[Actor]:
        return self.by_role.get(role, [])

    def add(self, actor: Actor) -> Actor:
        if actor.entity_id is not None:
            if actor.entity_id in self._ids:
                raise ValueError(f"duplicate entity_id {actor.entity_id}")
            self._ids[actor.entity_id] = None
        self.actors.append(actor)
        self.by_role.setdefault(actor.role, []).append(actor)
        return actor

    def entity_id_for(self, alias: str, country: str) -> str:
        base = f"ent-{slugify(alias)}-{country.lower()}"
        candidate, n = base, 2
        while candidate in self._ids:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    def new_company(
        self,
        rng: random.Random,
        country: str,
        industry: str,
        business_type: str,
        role: str,
        *,
        registered: bool = True,
        website: bool = True,
        residential: bool = False,
        incorporated_on: dt.date | None = None,
        parent: Actor | None = None,
        ownership_pct: float | None = None,
        declared_capacity: int | None = None,
        name: CompanyName | None = None,
        registered_at: int | None = None,
    ) -> Actor:
        """Create, name and register a company; registration defaults to the period start
        (or a few days after incorporation, for companies founded during the period)."""
        if name is None:
            if industry in ("university", "hpc_center"):
                name = self.names.institution(rng, country, industry)
            else:
                name = self.names.company(rng, country, industry)
        if incorporated_on is None:
            incorporated_on = self.config.start - dt.timedelta(days=rng.randint(2 * 365, 30 * 365))
        if registered_at is None:
            founded = to_ts(incorporated_on)
            registered_at = max(self.start_ts, founded + rng.randint(1, 10) * DAY)
        actor = Actor(
            entity_id=self.entity_id_for(name.alias, country) if registered else None,
            name=name.legal,
            country=country,
            business_type=business_type,
            role=role,
            address=self.names.address(rng, country, residential=residential),
            aliases=(name.alias,) if name.alias != name.legal else (),
            website=self.names.website(name.alias) if website else None,
            incorporated_on=incorporated_on,
            parent=parent,
            ownership_pct=ownership_pct,
            declared_capacity=declared_capacity,
            spellings=self.names.document_spellings(rng, name, country),
            registered_at=registered_at,
        )
        return self.add(actor)

    def registration_event_id(self, actor: Actor) -> str:
        """The ``event_id`` of ``actor``'s first registry record (cases cite it as evidence)."""
        assert actor.entity_id is not None
        return registry_event_id(self.config.seed, actor.entity_id, 0)

    def registry_events(self) -> list[dict[str, Any]]:
        """One ``entity`` event per registered actor, then the scheduled updates."""
        events: list[dict[str, Any]] = []
        for actor in self.actors:
            if actor.entity_id is None:
                continue
            events.append(_entity_event(self.registration_event_id(actor), actor.registered_at, actor.record()))
        revisions: dict[str, int] = {}
        for update in self.updates:
            assert update.actor.entity_id is not None
            revision = revisions[update.actor.entity_id] = revisions.get(update.actor.entity_id, 0) + 1
            record = update.actor.record()
            record.update(update.changes)
            event_id = registry_event_id(self.config.seed, update.actor.entity_id, revision)
            events.append(_entity_event(event_id, update.ts, record))
        return events


def registry_event_id(seed: int, entity_id: str, revision: int) -> str:
    """Opaque but derivable: a case can name the registry record it relies on."""
    return f"ent-{derive_seed(seed, 'registry', entity_id, revision):016x}"


def _entity_event(event_id: str, ts: int, record: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": event_id,
        "event_type": "entity",
        "event_time": iso(ts),
        "source": "registry",
        "schema_version": 1,
    }
    event.update(record)
    return event


def build_world(config: SimulationConfig, refs: References, background_target: int) -> World:
    """Infrastructure, background buyers sized to ``background_target`` events, look-alikes."""
    world = World(config=config, refs=refs, names=NameBook(refs.names))
    for entry in refs.screening.entries:
        world.names.reserve(entry["name"])
    _build_infrastructure(world)
    buyer_count = max(config.min_background_buyers, background_target // max(1, config.events_per_buyer))
    _build_buyers(world, buyer_count)
    from streams.simulate.lookalikes import build_lookalikes

    build_lookalikes(world)
    _schedule_updates(world)
    return world


def _build_infrastructure(world: World) -> None:
    rng = rng_for(world.config.seed, "world", "infrastructure")
    for role, per_country in world.refs.profile.infrastructure.items():
        role_key = {"chip_vendors": "chip_vendor", "oems": "oem_server", "distributors": "distributor",
                    "forwarders": "forwarder", "logistics": "logistics", "hub_resellers": "hub_reseller"}[role]
        industry, business_type = _ROLE_INDUSTRY[role_key]
        for country, count in per_country:
            for _ in range(count):
                world.new_company(rng, country, industry, business_type, role_key)


def _weighted(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    keys = [k for k, _ in pairs]
    return rng.choices(keys, weights=[w for _, w in pairs], k=1)[0]


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    if low <= 0 or high <= low:
        return low if high <= low else rng.uniform(low, high)
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _build_buyers(world: World, count: int) -> None:
    archetypes = world.refs.profile.archetypes
    shares = tuple((a.name, a.share) for a in archetypes)
    by_name = {a.name: a for a in archetypes}
    for index in range(count):
        rng = rng_for(world.config.seed, "world", "buyer", index)
        archetype = by_name[_weighted(rng, shares)]
        world.buyers.append(new_buyer(world, rng, archetype))


def new_buyer(world: World, rng: random.Random, archetype: Archetype, *, country: str | None = None,
              role: str = "buyer") -> Actor:
    """A background buyer of ``archetype``: capacity, activity, maybe a foreign parent group."""
    country = country or _weighted(rng, archetype.countries)
    industry = {"cloud_provider": "cloud_provider", "ai_lab": "ai_lab", "university": "university",
                "hpc_center": "hpc_center", "gaming_retail": "gaming_retail", "crypto_miner": "crypto_miner",
                "reseller": "reseller"}.get(archetype.business_type, "enterprise")
    parent = None
    ownership = None
    if rng.random() < archetype.subsidiary_share:
        group_country = rng.choice([c for c in _GROUP_COUNTRIES if c != country])
        parent = world.new_company(rng, group_country, "holding", "enterprise", "group_parent")
        ownership = float(rng.choice((100, 100, 100, 75, 60, 51)))
    capacity = None
    if archetype.capacity is not None and archetype.capacity[1] > 0:
        capacity = int(_log_uniform(rng, max(1, archetype.capacity[0]), archetype.capacity[1]))
        capacity = max(8, capacity // 8 * 8)
    elif archetype.capacity is not None:
        capacity = 0
    actor = world.new_company(
        rng, country, industry, archetype.business_type, role,
        website=rng.random() < 0.97, parent=parent, ownership_pct=ownership, declared_capacity=capacity,
    )
    actor.archetype = archetype
    actor.activity = _log_uniform(rng, *archetype.activity)
    return actor


def _schedule_updates(world: World) -> None:
    """A few registry changes over time: websites, moves, capacity growth, a tombstone."""
    rng = rng_for(world.config.seed, "world", "updates")
    candidates = [b for b in world.buyers if b.behaviour is None]
    if not candidates or world.config.entity_updates <= 0:
        return
    span = max(1, world.config.days - 2)
    for index in range(world.config.entity_updates):
        actor = candidates[rng.randrange(len(candidates))]
        ts = world.start_ts + rng.randint(1, span) * DAY + rng.randrange(DAY)
        kind = ("website", "address", "capacity", "alias")[index % 4]
        if kind == "website":
            # A new or rebranded website.
            changes: dict[str, Any] = {"website": world.names.website(f"{actor.aliases[0] if actor.aliases else actor.name} group")}
        elif kind == "address":
            changes = {"address": world.names.address(rng, actor.country)}
        elif kind == "capacity" and actor.declared_capacity:
            # Only ever raised, so background orders sized to the old figure stay within it.
            changes = {"declared_capacity_accelerators": int(actor.declared_capacity * rng.uniform(1.2, 1.6))}
        else:
            changes = {"aliases": [*actor.aliases, actor.name.upper()]}
        world.updates.append(RegistryUpdate(ts=ts, actor=actor, changes=changes))
    # A dormant shell that never trades, then is struck off (tombstone).
    dormant = world.new_company(rng, rng.choice(("SG", "HK", "MY")), "reseller", "reseller", "dormant", website=False)
    world.updates.append(
        RegistryUpdate(ts=world.start_ts + rng.randint(1, span) * DAY, actor=dormant, changes={"deleted": True})
    )
    world.updates.sort(key=lambda u: (u.ts, u.actor.entity_id or ""))
