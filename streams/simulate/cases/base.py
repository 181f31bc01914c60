"""What every injected case shares: its own random stream, ids, serial block and parties,
the document builders of the background, and the truth record it leaves behind.

A case builder gets a :class:`CaseContext`, creates its parties (never a background
buyer or a look-alike), writes its events through ``ctx.order`` / ``ctx.leg`` and returns
``ctx.record(...)``. Evidence defaults to every event the case wrote plus the registry
records of the parties named as evidence holders.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from detectors.reference import Product
from streams.simulate.clock import DAY, to_ts
from streams.simulate.config import SimulationConfig
from streams.simulate.documents import Documents, LineSpec, PartyLike, SerialFactory
from streams.simulate.names import CompanyName
from streams.simulate.refs import References
from streams.simulate.rng import IdFactory, rng_for
from streams.simulate.traffic import family_codes
from streams.simulate.world import Actor, World

__all__ = ["CaseContext", "CaseRecord", "ItemSpec", "Pattern", "party_ref"]

#: Behaviours of infrastructure parties that are look-alikes; cases never use them.
_LOOKALIKE_BEHAVIOURS = ("high_volume_distributor", "legit_reexporter")


@dataclass(frozen=True, slots=True)
class Pattern:
    """One injected pattern: typology (truth enum), name, and the function that builds a case."""

    typology: str
    name: str
    build: Callable[[CaseContext], CaseRecord]


@dataclass(slots=True)
class ItemSpec:
    """Units on a leg: what the goods are, and optionally how the document misdescribes them."""

    product: Product
    name: str
    quantity: int
    unit_value: int
    serials: list[str] | None = None
    declared_product: str | None = None
    declared_sku: str | None = None
    eccn: str | bool | None = True
    hts: str | bool | None = True


@dataclass(slots=True)
class CaseRecord:
    case_id: str
    typology: str
    pattern: str
    description: str
    subject: dict[str, Any]
    parties: list[dict[str, Any]]
    evidence: list[str]
    completed_at: str
    red_flags: list[str]
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "typology": self.typology,
            "pattern": self.pattern,
            "description": self.description,
            "subject": self.subject,
            "parties": self.parties,
            "evidence": self.evidence,
            "completed_at": self.completed_at,
            "red_flags": self.red_flags,
            "details": self.details,
        }


def party_ref(actor: Actor | dict[str, Any], role: str | None = None) -> dict[str, Any]:
    """The truth's party shape: ``entity_id`` (or null), name, country, other document
    spellings (and role)."""
    if isinstance(actor, dict):
        out = {"entity_id": actor.get("entity_id"), "name": actor["name"], "country": actor["country"]}
    else:
        out = {"entity_id": actor.entity_id, "name": actor.name, "country": actor.country}
        # Documents may spell an unregistered party several ways (suffix swaps, upper
        # case, its short name); list them so scoring can recognise every one.
        other = [s for s in actor.spellings if s != actor.name]
        if other:
            out["spellings"] = other
    if role is not None:
        out["role"] = role
    return out


class CaseContext:
    """Everything one case needs; its draws are independent of every other component."""

    def __init__(self, world: World, refs: References, config: SimulationConfig, pattern: Pattern,
                 index: int, serial_block: int) -> None:
        self.world = world
        self.refs = refs
        self.config = config
        self.pattern = pattern
        self.index = index
        self.rng: random.Random = rng_for(config.seed, "case", pattern.name, index)
        self.ids = IdFactory(config.seed, "case", pattern.name, index)
        self.docs = Documents(config, refs, rng_for(config.seed, "case", pattern.name, index, "documents"), self.ids)
        self.serials = SerialFactory(serial_block, family_codes(refs))
        self.events: list[dict[str, Any]] = []
        self.catalogue = refs.catalogue

    # -- time ------------------------------------------------------------------------------
    @property
    def start_ts(self) -> int:
        return to_ts(self.config.start)

    @property
    def end_ts(self) -> int:
        return to_ts(self.config.end)

    def span_days(self, wanted: int) -> int:
        """``wanted`` days, shortened to fit a short simulated period."""
        return max(1, min(wanted, self.config.days - 3))

    def window(self, duration_days: int) -> int:
        """A start time such that ``duration_days`` from it stays inside the period."""
        slack = max(0, self.config.days - duration_days - 2)
        return self.start_ts + self.rng.randint(1, max(1, slack)) * DAY + self.rng.randrange(8 * 3600, 18 * 3600)

    def date(self, ts: int) -> dt.date:
        return self.config.start + dt.timedelta(days=(ts - self.start_ts) // DAY)

    def later(self, ts: int, low_days: float, high_days: float) -> int:
        return ts + int(self.rng.uniform(low_days, high_days) * DAY)

    # -- parties ---------------------------------------------------------------------------
    def pick_party(self, role: str, country: str | None = None) -> Actor:
        """An infrastructure party of ``role`` (in ``country`` when there is one), never a look-alike."""
        candidates = [a for a in self.world.role(role) if a.behaviour not in _LOOKALIKE_BEHAVIOURS]
        if country is not None:
            local = [a for a in candidates if a.country == country]
            candidates = local or candidates
        return candidates[self.rng.randrange(len(candidates))]

    def vendor(self) -> Actor:
        return self.pick_party("chip_vendor")

    def oem(self) -> Actor:
        return self.pick_party("oem_server", self.rng.choice(("US", "TW")))

    def distributor(self, country: str = "US") -> Actor:
        return self.pick_party("distributor", country)

    def forwarder(self, country: str) -> Actor:
        return self.pick_party("forwarder", country)

    def company(
        self,
        country: str,
        industry: str,
        business_type: str,
        *,
        registered: bool = True,
        website: bool = True,
        residential: bool = False,
        capacity: int | None = None,
        parent: Actor | None = None,
        ownership_pct: float | None = None,
        incorporated_on: dt.date | None = None,
        name: CompanyName | None = None,
    ) -> Actor:
        """A new party that belongs to this case only."""
        return self.world.new_company(
            self.rng, country, industry, business_type, "case", registered=registered, website=website,
            residential=residential, declared_capacity=capacity, parent=parent, ownership_pct=ownership_pct,
            incorporated_on=incorporated_on, name=name,
        )

    def registration(self, actor: Actor) -> str:
        return self.world.registration_event_id(actor)

    # -- goods -----------------------------------------------------------------------------
    def product(self, family: str, day: dt.date | None = None) -> tuple[Product, str]:
        """A product family and one of its product names."""
        product = self.catalogue.family(family)
        return product, product.products[self.rng.randrange(len(product.products))]

    def datacenter_choice(self, day: dt.date, families: tuple[str, ...]) -> tuple[Product, str]:
        """The first of ``families`` (in random order) on sale on ``day``."""
        shuffled = list(families)
        self.rng.shuffle(shuffled)
        for family in shuffled:
            product = self.catalogue.family(family)
            if product.available_on(day):
                return product, product.products[self.rng.randrange(len(product.products))]
        product = self.catalogue.family("HGX-H100-8GPU")
        return product, product.products[0]

    def price(self, product: Product, premium: float = 1.0) -> int:
        return self.docs.unit_price(product, premium)

    def units_for(self, product: Product, accelerators: int) -> int:
        return max(1, math.ceil(accelerators / max(1, product.accelerators_per_unit)))

    # -- documents -------------------------------------------------------------------------
    def order(
        self,
        ts: int,
        *,
        seller: Actor,
        buyer: PartyLike,
        lines: list[LineSpec],
        ship_to: PartyLike | None = None,
        declared_end_use: str = "cloud_services",
        end_user: PartyLike | None = None,
        payer: PartyLike | None = None,
        payment_method: str | None = "wire",
        installation_requested: bool | None = None,
        expedited: bool | None = None,
        order_id: str | None = None,
    ) -> dict[str, Any]:
        is_vendor = seller.role in ("chip_vendor", "oem_server")
        event = self.docs.order(
            ts,
            source="vendor-erp" if is_vendor else "distributor-sellthrough",
            order_id=order_id or self.ids.order_id("SO" if is_vendor else "INV"),
            seller=seller,
            buyer=buyer,
            ship_to=ship_to if ship_to is not None else buyer,
            end_user=end_user,
            lines=[self.docs.line(spec) for spec in lines],
            declared_end_use=declared_end_use,
            payer=payer,
            payment_method=payment_method,
            installation_requested=installation_requested,
            expedited=expedited,
        )
        self.events.append(event)
        return event

    def leg(
        self,
        ts: int,
        *,
        shipper: PartyLike,
        consignee: PartyLike,
        items: list[ItemSpec],
        source: str,
        origin: str | None = None,
        destination: str | None = None,
        order_id: str | None = None,
        consignee_type: str = "direct_consumer",
        mode: str | None = None,
        license: str | None = "NLR",
        freight_forwarder: PartyLike | None = None,
        intermediate_consignee: PartyLike | None = None,
        transit: list[str] | None = None,
        declared_value: float | None = None,
        shipment_id: str | None = None,
    ) -> dict[str, Any]:
        """One leg as ``source`` reports it; serials only when that feed carries them."""
        docs = self.docs
        with_serials = docs.carries_serials(source)
        item_dicts = [
            docs.item(
                spec.product,
                spec.declared_product or spec.name,
                spec.quantity,
                serials=spec.serials if with_serials else None,
                eccn=spec.eccn,
                hts=spec.hts,
                sku=spec.declared_sku,
            )
            for spec in items
        ]
        if mode is None:
            mode = "air" if self.rng.random() < 0.8 else "ocean"
        origin = origin or _country(shipper)
        destination = destination or _country(consignee)
        event = docs.shipment(
            ts,
            source=source,
            shipment_id=shipment_id or self.ids.shipment_id(mode),
            order_id=order_id,
            shipper=shipper,
            consignee=consignee,
            consignee_type=consignee_type,
            origin=origin,
            destination=destination,
            mode=mode,
            declared_value=declared_value if declared_value is not None else sum(s.quantity * s.unit_value for s in items),
            items=item_dicts,
            intermediate_consignee=intermediate_consignee,
            freight_forwarder=freight_forwarder,
            transit=transit,
            license=license if docs.carries_licence(source) else None,
        )
        self.events.append(event)
        return event

    def fulfil(
        self,
        order: dict[str, Any],
        *,
        seller: Actor,
        consignee: PartyLike,
        lines: list[LineSpec],
        license: str | None = "NLR",
        serials: bool | None = None,
        legs: int | None = None,
        lag_days: tuple[float, float] = (2, 14),
        consignee_type: str = "direct_consumer",
        freight_forwarder: PartyLike | None = None,
    ) -> tuple[list[dict[str, Any]], list[ItemSpec]]:
        """Ship an order in one or more legs from the seller's country; returns the leg events
        and every unit shipped (with its serials, printed or not)."""
        order_ts = _ts_of(order["event_time"])
        if _country(consignee) == seller.country:
            return [], []
        total_units = sum(q for _, _, q, _ in lines)
        legs = legs or min(total_units, self.rng.choice((1, 1, 1, 2)))
        with_serials = self.rng.random() < 0.6 if serials is None else serials
        source = self.export_source(seller, serials=with_serials)
        shipped: list[ItemSpec] = []
        events: list[dict[str, Any]] = []
        ts = self.later(order_ts, *lag_days)
        remaining = [q for _, _, q, _ in lines]
        for leg in range(legs):
            if leg:
                ts = self.later(ts, 2, 9)
            specs: list[ItemSpec] = []
            for index, (product, name, quantity, price) in enumerate(lines):
                units = remaining[index] if leg == legs - 1 else max(0, round(quantity / legs))
                units = min(units, remaining[index])
                if units <= 0:
                    continue
                remaining[index] -= units
                unit_serials = self.serials.take(product, units) if product.is_accelerator else None
                specs.append(ItemSpec(product, name, units, price, unit_serials))
            if not specs:
                continue
            events.append(self.leg(ts, shipper=seller, consignee=consignee, items=specs, source=source,
                                   order_id=order["order_id"], license=license, consignee_type=consignee_type,
                                   freight_forwarder=freight_forwarder))
            shipped.extend(specs)
        return events, shipped

    def export_source(self, shipper: Actor, *, serials: bool) -> str:
        """The feed that reports an export from ``shipper``'s country (with serials if possible)."""
        country = shipper.country
        if country == "US":
            if serials and shipper.role in ("chip_vendor", "oem_server"):
                return "vendor-erp"
            return "aes"
        if country in self.config.customs_feeds:
            return f"customs-{country.lower()}"
        return "forwarder-edi"

    # -- truth -----------------------------------------------------------------------------
    def record(
        self,
        *,
        description: str,
        subject: Actor | dict[str, Any],
        parties: list[dict[str, Any]],
        completed_by: dict[str, Any],
        red_flags: list[str],
        evidence_actors: tuple[Actor, ...] = (),
        extra_evidence: tuple[str, ...] = (),
        evidence_events: list[dict[str, Any]] | None = None,
        details: dict[str, Any] | None = None,
    ) -> CaseRecord:
        """The truth entry; evidence is every event the case wrote unless ``evidence_events`` narrows it."""
        evidence = [self.registration(a) for a in evidence_actors if a.entity_id is not None]
        evidence.extend(extra_evidence)
        evidence.extend(event["event_id"] for event in (self.events if evidence_events is None else evidence_events))
        for code in red_flags:
            if code not in self.refs.red_flags:
                raise ValueError(f"case {self.pattern.name}: unknown red flag {code}")
        return CaseRecord(
            case_id=f"{self.pattern.name}-{self.index + 1:02d}",
            typology=self.pattern.typology,
            pattern=self.pattern.name,
            description=description,
            subject=party_ref(subject),
            parties=parties,
            evidence=evidence,
            completed_at=completed_by["event_time"],
            red_flags=red_flags,
            details=details or {},
        )


def _ts_of(event_time: str) -> int:
    return to_ts(dt.date.fromisoformat(event_time[:10])) + int(event_time[11:13]) * 3600 + int(event_time[14:16]) * 60 + int(event_time[17:19])


def _country(party: PartyLike) -> str:
    return party["country"] if isinstance(party, dict) else party.country

