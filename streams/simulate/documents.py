"""Contract-v1 documents (orders, shipment legs) as the feeds would write them.

Shared by the background trade and the injected cases, so a case's events are shaped
exactly like ordinary trade: the same party spellings, the same optional fields present
at the same rates, the same feeds. Only what the parties do differs.

Fields are inserted in the contract's order and optional fields are omitted (never
``null``) when a feed would not carry them.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from detectors.reference import Product
from streams.simulate.clock import iso
from streams.simulate.config import SimulationConfig
from streams.simulate.refs import References
from streams.simulate.rng import IdFactory
from streams.simulate.world import Actor

__all__ = ["Documents", "SerialFactory", "LineSpec", "PartyLike", "PARTY_RENDERINGS"]

#: Renderings kept per party and request kind (see :meth:`Documents.party`).
PARTY_RENDERINGS = 12

#: A party on a document: a world actor (spelled by :meth:`Documents.party`) or a ready dict.
PartyLike = Actor | dict[str, Any]
#: (product family, product name, quantity, unit value in USD)
LineSpec = tuple[Product, str, int, int]


class SerialFactory:
    """Unit serial numbers, unique per component: ``<family 2><block 4><sequence 7>``.

    Each component (the background, each case) owns a block, so serials never collide
    across components unless a case means them to (the duplicate-serial pattern).
    """

    __slots__ = ("_block", "_next", "_family_codes")

    def __init__(self, block: int, family_codes: dict[str, int]) -> None:
        self._block = block
        self._next: dict[str, int] = {}
        self._family_codes = family_codes

    def take(self, product: Product, count: int) -> list[str]:
        code = self._family_codes[product.family]
        start = self._next.get(product.family, 1)
        self._next[product.family] = start + count
        prefix = f"{code:02d}{self._block:04d}"
        return [f"{prefix}{n:07d}" for n in range(start, start + count)]


class Documents:
    """Builds order and shipment events for one component (its own RNG and ids)."""

    def __init__(self, config: SimulationConfig, refs: References, rng: random.Random, ids: IdFactory) -> None:
        self.config = config
        self.refs = refs
        self.rng = rng
        self.ids = ids
        self._resolved_share = config.resolved_party_share
        self._variant_share = config.name_variant_share
        self._address_share = config.party_address_share
        self._skus: dict[str, str] = {}
        self._party_pool: dict[tuple[int, bool | None, bool | None], list[dict[str, Any]]] = {}
        for product in refs.catalogue.products:
            for index, name in enumerate(product.products):
                prefix = product.sku_prefixes[index % len(product.sku_prefixes)] if product.sku_prefixes else product.family
                tail = name.rsplit("-", 1)[-1]
                self._skus[name] = f"{prefix}{'' if prefix.endswith('-') else '-'}{tail}"

    # -- parties ---------------------------------------------------------------------------
    def party(
        self,
        actor: PartyLike,
        *,
        resolved: bool | None = None,
        address: bool | None = None,
        spelling: str | None = None,
    ) -> dict[str, Any]:
        """``actor`` as a document names it: maybe without entity_id, maybe spelled differently.

        Each actor has a small pool of renderings per (resolved, address) request, drawn
        once with the configured shares and reused at random: parties recur on thousands
        of documents, and re-deciding every field every time is most of the cost.
        """
        if actor.__class__ is dict:
            return actor  # type: ignore[return-value]
        if spelling is not None:
            return self._render(actor, resolved, address, spelling)  # type: ignore[arg-type]
        key = (id(actor), resolved, address)
        pool = self._party_pool.get(key)
        if pool is None:
            pool = self._party_pool[key] = [
                self._render(actor, resolved, address, None) for _ in range(PARTY_RENDERINGS)  # type: ignore[arg-type]
            ]
        # Shared, never mutated: events are facts, and consumers only read them.
        return pool[int(self.rng.random() * PARTY_RENDERINGS)]

    def _render(self, actor: Actor, resolved: bool | None, address: bool | None, spelling: str | None) -> dict[str, Any]:
        random = self.rng.random
        out: dict[str, Any] = {}
        if actor.entity_id is not None and ((random() < self._resolved_share) if resolved is None else resolved):
            out["entity_id"] = actor.entity_id
        if spelling is None:
            spelling = actor.name
            spellings = actor.spellings
            if spellings and random() < self._variant_share:
                spelling = spellings[int(random() * len(spellings))]
        out["name"] = spelling
        out["country"] = actor.country
        if actor.address and ((random() < self._address_share) if address is None else address):
            out["address"] = actor.address
        return out

    # -- lines and items -------------------------------------------------------------------
    def sku(self, product_name: str) -> str:
        return self._skus.get(product_name, product_name)

    def unit_price(self, product: Product, factor: float = 1.0) -> int:
        """A price inside the catalogue range (times ``factor`` for premiums), rounded as quotes are."""
        low, high = product.unit_value_usd.min, product.unit_value_usd.max
        value = self.rng.triangular(low, high) * factor
        step = 100 if value >= 20_000 else 10 if value >= 1_000 else 1
        return max(1, int(round(value / step)) * step)

    def line(self, spec: LineSpec, *, eccn: bool | None = None, hts: bool | None = None) -> dict[str, Any]:
        product, name, quantity, unit_value = spec
        rng = self.rng
        out: dict[str, Any] = {"sku": self.sku(name), "product": name}
        if rng.random() < self.config.eccn_share if eccn is None else eccn:
            out["eccn"] = product.eccn
        if rng.random() < self.config.hts_share if hts is None else hts:
            out["hts"] = product.hts
        out["quantity"] = quantity
        out["unit_value_usd"] = unit_value
        apu = product.accelerators_per_unit
        if apu > 1 or (apu == 1 and rng.random() < 0.3):
            out["accelerators_per_unit"] = apu
        return out

    def item(
        self,
        product: Product,
        name: str,
        quantity: int,
        *,
        serials: list[str] | None = None,
        eccn: str | None | bool = True,
        hts: str | None | bool = True,
        sku: str | None = None,
    ) -> dict[str, Any]:
        """A shipment item; ``eccn``/``hts`` may be overridden (misdescription) or dropped (``False``)."""
        out: dict[str, Any] = {"sku": sku or self.sku(name), "product": name}
        if eccn:
            out["eccn"] = product.eccn if eccn is True else eccn
        if hts:
            out["hts"] = product.hts if hts is True else hts
        out["quantity"] = quantity
        if product.accelerators_per_unit > 1:
            out["accelerators_per_unit"] = product.accelerators_per_unit
        if serials:
            out["serials"] = serials
        return out

    # -- events ----------------------------------------------------------------------------
    def order(
        self,
        ts: int,
        *,
        source: str,
        order_id: str,
        seller: PartyLike,
        buyer: PartyLike,
        ship_to: PartyLike,
        lines: list[dict[str, Any]],
        declared_end_use: str,
        end_user: PartyLike | None = None,
        payer: PartyLike | None = None,
        payment_method: str | None = None,
        installation_requested: bool | None = None,
        expedited: bool | None = None,
        seller_resolved: bool | None = None,
    ) -> dict[str, Any]:
        rng = self.rng
        reporter_resolved = rng.random() < self.config.reporter_resolved_share if seller_resolved is None else seller_resolved
        event: dict[str, Any] = {
            "event_id": self.ids.event_id("ord"),
            "event_type": "order",
            "event_time": iso(ts),
            "source": source,
            "schema_version": 1,
            "order_id": order_id,
            "seller": self.party(seller, resolved=reporter_resolved, address=False),
            "buyer": self.party(buyer),
            "ship_to": self.party(ship_to, address=True),
        }
        if end_user is not None:
            event["end_user"] = self.party(end_user)
        event["declared_end_use"] = declared_end_use
        if payer is not None:
            event["payer"] = self.party(payer)
        if payment_method is not None:
            event["payment_method"] = payment_method
        event["lines"] = lines
        event["order_value_usd"] = sum(line["quantity"] * line["unit_value_usd"] for line in lines)
        if installation_requested is not None:
            event["installation_requested"] = installation_requested
        if expedited is not None:
            event["expedited"] = expedited
        return event

    def shipment(
        self,
        ts: int,
        *,
        source: str,
        shipment_id: str,
        shipper: PartyLike,
        consignee: PartyLike,
        consignee_type: str,
        origin: str,
        destination: str,
        mode: str,
        declared_value: float,
        items: list[dict[str, Any]],
        order_id: str | None = None,
        intermediate_consignee: PartyLike | None = None,
        freight_forwarder: PartyLike | None = None,
        transit: list[str] | None = None,
        license: str | None = None,
        shipper_resolved: bool | None = None,
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "event_id": self.ids.event_id("shp"),
            "event_type": "shipment",
            "event_time": iso(ts),
            "source": source,
            "schema_version": 1,
            "shipment_id": shipment_id,
        }
        if order_id is not None:
            event["order_id"] = order_id
        event["shipper"] = self.party(shipper, resolved=shipper_resolved, address=False)
        event["consignee"] = self.party(consignee, address=True)
        event["consignee_type"] = consignee_type
        if intermediate_consignee is not None:
            event["intermediate_consignee"] = self.party(intermediate_consignee)
        if freight_forwarder is not None:
            event["freight_forwarder"] = self.party(freight_forwarder, address=False)
        event["origin_country"] = origin
        event["destination_country"] = destination
        if transit:
            event["transit_countries"] = transit
        event["mode"] = mode
        event["declared_value_usd"] = declared_value
        event["items"] = items
        if license is not None:
            event["license"] = license
        return event

    # -- rules the compliant background follows --------------------------------------------
    def needs_licence(self, products: list[Product], destination: str, party_hqs: list[str], day: dt.date) -> bool:
        """Whether a compliant exporter would need a licence for this leg (destination and HQ rules)."""
        countries = self.refs.countries
        catalogue = self.refs.catalogue
        hq_rule = any(countries.headquarters_requires_licence(hq) for hq in party_hqs)
        for product in products:
            scope = product.licence_scope_on(day)
            if scope != "none" and countries.requires_licence(destination, scope):
                return True
            if hq_rule and catalogue.is_controlled(product.eccn) and product.datacenter:
                return True
        return False

    def reporters(self, shipper: Actor | None, origin: str, destination: str) -> list[str]:
        """Which feeds report a leg: the exporter's ERP or AES, or a hub customs feed; sometimes
        the destination's customs as well (the same leg seen twice, same ``shipment_id``)."""
        config = self.config
        rng = self.rng
        feeds = config.customs_feeds
        if shipper is not None and shipper.role in ("chip_vendor", "oem_server") and rng.random() < config.vendor_asn_share:
            primary = "vendor-erp"
        elif origin == "US":
            primary = "aes"
        elif origin in feeds:
            primary = f"customs-{origin.lower()}"
        elif destination in feeds:
            primary = f"customs-{destination.lower()}"
        else:
            primary = "forwarder-edi"
        sources = [primary]
        secondary = f"customs-{destination.lower()}"
        if destination in feeds and secondary != primary and rng.random() < config.dual_report_share:
            sources.append(secondary)
        return sources

    def carries_serials(self, source: str) -> bool:
        return source in self.config.serial_sources

    @staticmethod
    def carries_licence(source: str) -> bool:
        """US export filings and vendor ERPs record the licence; foreign customs feeds do not."""
        return source in ("aes", "vendor-erp")
