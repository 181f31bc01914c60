"""Background trade: the ordinary orders and shipment legs that cases hide in.

Generated day by day in business-time order. Each deal (an order and the legs that
fulfil it, days to weeks later) is pushed onto a heap; everything earlier than the next
day is released, so the output is sorted by ``(event_time, event_id)`` while memory
holds only the legs still in flight.

The background is compliant by construction: buyers stay within their declared
capacity, first orders are small, licences are on every leg that needs one, nothing
controlled goes to China, and re-exports go only to non-licence destinations. Whatever
a detector finds in it is a false positive (or a look-alike listed in the truth).
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
import math
import random
from collections import deque
from collections.abc import Iterator
from typing import Any

from detectors.reference import Product
from streams.simulate.clock import DAY, iso, to_ts
from streams.simulate.config import SimulationConfig
from streams.simulate.documents import Documents, LineSpec, SerialFactory
from streams.simulate.refs import References
from streams.simulate.rng import IdFactory, Weighted, rng_for
from streams.simulate.world import Actor, World

__all__ = ["BackgroundTraffic", "WEEKDAY_WEIGHTS", "family_codes"]

#: Upper bound on background shards (serial blocks 0..MAX_SHARDS-1 are the background's).
MAX_SHARDS = 16
#: Relative business activity Monday..Sunday.
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.9, 0.3, 0.2)
#: Events a deal yields on average (an order and its legs); paces deals through the day.
EVENTS_PER_DEAL = 1.9
#: Share of deals that are distributor / hub-reseller restocks from vendors and OEMs.
RESTOCK_SHARE = 0.06
#: Restock activity multiplier for the high-volume distributors (look-alikes).
HIGH_VOLUME_RESTOCK_WEIGHT = 6.0
#: Restock line quantities by category.
RESTOCK_QUANTITIES = {"dc_server": (4, 40), "dc_module": (32, 320), "dc_card": (16, 200), "network": (8, 64),
                      "consumer_gpu": (50, 600), "cable": (200, 3000), "power": (100, 1500), "cpu_server": (10, 80)}
#: Countries served by hub resellers besides the hubs themselves.
HUB_REGION = ("SG", "MY", "TH", "AE", "HK", "VN", "ID", "AU", "JP", "KR", "IN", "SA", "CN", "TW")
#: Transit points legitimate legs pass through.
TRANSIT_POINTS = ("SG", "HK", "AE", "NL", "DE", "JP", "KR")
#: Minimum days a unit rests in a distributor's stock before re-export.
MIN_STOCK_DWELL_DAYS = 2
#: Consignee roles that keep serialised stock (and may later re-export it).
STOCKING_ROLES = ("distributor", "hub_reseller")
#: Feeds that record the US licence on a leg.
LICENCE_FEEDS = frozenset(("aes", "vendor-erp"))


def family_codes(refs: References) -> dict[str, int]:
    """Two-digit serial prefix per product family (catalogue order, from 10)."""
    return {product.family: 10 + index for index, product in enumerate(refs.catalogue.products)}


class BackgroundTraffic:
    """Iterating yields background events in ``(event_time, event_id)`` order; deterministic."""

    def __init__(self, world: World, refs: References, config: SimulationConfig, target_events: int,
                 shard: int = 0, shards: int = 1) -> None:
        """One shard of the background: a disjoint share of the buyers and restocking
        distributors with its own random streams, ids and serial block. Shards are fixed by
        the config (not by the machine), so the merged output never depends on parallelism."""
        if not 0 <= shard < shards <= MAX_SHARDS:
            raise ValueError(f"shard {shard} of {shards} (at most {MAX_SHARDS} shards)")
        self.world = world
        self.refs = refs
        self.config = config
        self.shard = shard
        self.shards = shards
        self.target_events = max(0, target_events)
        self.catalogue = refs.catalogue
        self.profile = refs.profile

    # -- setup ---------------------------------------------------------------------------
    def _setup(self) -> None:
        seed, shard, shards = self.config.seed, self.shard, self.shards
        self.rng = rng_for(seed, "traffic", shard)
        self.docs = Documents(self.config, self.refs, rng_for(seed, "traffic", "documents", shard),
                              IdFactory(seed, "traffic", shard))
        self.ids = self.docs.ids
        self.serials = SerialFactory(shard, family_codes(self.refs))
        all_restockers = [*self.world.role("distributor"), *self.world.role("hub_reseller")]
        shard_of = {id(actor): index % shards for index, actor in enumerate(all_restockers)}
        buyers = []
        for index, buyer in enumerate(self.world.buyers):
            # A re-exporter's customers live in its shard, so its stock (serials) reaches them.
            home = shard_of[id(buyer.preferred_seller)] if buyer.preferred_seller is not None else index % shards
            if home == shard and buyer.activity > 0:
                buyers.append(buyer)
        self.buyers = buyers or [b for b in self.world.buyers if b.activity > 0]
        self.buyer_cum = list(itertools.accumulate(b.activity for b in self.buyers))
        restockers = [a for a in all_restockers if shard_of[id(a)] == shard]
        self.restockers = restockers
        self.restock_cum = list(itertools.accumulate(
            HIGH_VOLUME_RESTOCK_WEIGHT if a.behaviour in ("high_volume_distributor", "legit_reexporter") else 1.0
            for a in restockers))
        self.sellers_by_role: dict[str, list[Actor]] = {
            role: list(self.world.role(role)) for role in ("chip_vendor", "oem_server", "distributor", "hub_reseller")
        }
        self.forwarders_by_country: dict[str, list[Actor]] = {}
        for forwarder in self.world.role("forwarder"):
            self.forwarders_by_country.setdefault(forwarder.country, []).append(forwarder)
        self.all_forwarders = self.world.role("forwarder")
        self.logistics_by_country: dict[str, list[Actor]] = {}
        for firm in self.world.role("logistics"):
            self.logistics_by_country.setdefault(firm.country, []).append(firm)
        self.window: dict[int, deque[tuple[int, int]]] = {}
        self.window_sum: dict[int, int] = {}
        self.orders_seen: dict[int, int] = {}
        self.stock: dict[tuple[int, str], deque[tuple[int, str]]] = {}
        self.licences: dict[int, str] = {}
        self._hold_cache: dict[tuple[str, str], bool] = {}
        self._menu_cache: dict[tuple[Any, ...], Weighted] = {}
        # Days on which some product's availability or licence scope changes: menus are
        # rebuilt only when one passes.
        changes = set()
        for product in self.catalogue.products:
            for day in (product.available_from, product.available_until, product.licence_scope_from):
                if day is not None:
                    changes.add(day)
        self.change_days = sorted(changes)
        self._eras: tuple[int, int] = (0, 0)
        self._horizon = self.config.start
        lag_high = self.config.shipment_lag_days[1]
        self.shipping_horizon_days = lag_high + (self.config.max_legs_per_order - 1) * 14 + 1
        shipping = self.profile.shipping
        self.legs_pick = Weighted([int(k) for k in shipping["legs"]], list(shipping["legs"].values()))
        self.modes_servers = Weighted(list(shipping["modes_servers"]), list(shipping["modes_servers"].values()))
        self.modes_small = Weighted(list(shipping["modes_small"]), list(shipping["modes_small"].values()))
        install = {"yes": True, "unset": None, "declined": False}
        self.forwarder_share = shipping["forwarder_share"]
        self.transit_share = shipping["transit_share"]
        self.intermediate_share = shipping["intermediate_consignee_share"]
        self.end_user_share = shipping["end_user_share"]
        self.expedited_share = shipping["expedited_share"]
        self.treasury_share = shipping["group_treasury_payer_share"]
        self.serial_sources = frozenset(self.config.serial_sources)
        self.install_pick = Weighted([install[k] for k in shipping["installation"]], list(shipping["installation"].values()))
        self.pay_pick = Weighted(list(shipping["payment"]), list(shipping["payment"].values()))
        self.large_pay_pick = Weighted(["wire", "letter_of_credit"], [4, 1])
        self.line_count_pick = Weighted([1, 2, 3], [70, 22, 8])
        self.end_use_picks = {a.name: Weighted([k for k, _ in a.end_uses], [w for _, w in a.end_uses])
                              for a in self.profile.archetypes}
        self._seller_cache: dict[tuple[str, str, str], list[Actor]] = {}
        self._licence_cache: dict[tuple[Any, ...], bool] = {}
        self._sellable_cache: dict[str, tuple[str, ...]] = {}
        self._roles_cache: dict[tuple[str, bool], list[str]] = {}
        self._routes: dict[tuple[str, str], tuple[tuple[str, ...], list[str]]] = {}
        self._quantity_cache: dict[tuple[str, str], tuple[float, float]] = {}

    # -- the day loop --------------------------------------------------------------------
    def __iter__(self) -> Iterator[dict[str, Any]]:
        self._setup()
        config = self.config
        days = config.days
        start_ts = to_ts(config.start)
        weights = [WEEKDAY_WEIGHTS[(config.start + dt.timedelta(days=d)).weekday()] for d in range(days)]
        total_weight = sum(weights)
        heap: list[tuple[str, str, dict[str, Any]]] = []
        produced = 0
        cumulative = 0.0
        for day_index in range(days):
            cumulative += weights[day_index]
            quota = self.target_events * cumulative / total_weight
            day_ts = start_ts + day_index * DAY
            day = config.start + dt.timedelta(days=day_index)
            self._start_day(day)
            # Deals arrive as a Poisson process through the day, in time order, so per-buyer
            # state (capacity used, first orders) follows business time.
            mean_gap = DAY * EVENTS_PER_DEAL / max(1.0, quota - produced)
            clock = float(day_ts)
            last_second = day_ts + DAY - 1
            while produced < quota:
                clock += self.rng.expovariate(1.0 / mean_gap)
                events = self._deal(min(int(clock), last_second), day)
                produced += len(events)
                for event in events:
                    heapq.heappush(heap, (event["event_time"], event["event_id"], event))
            boundary = iso(day_ts + DAY)
            while heap and heap[0][0] < boundary:
                yield heapq.heappop(heap)[2]
        while heap:
            yield heapq.heappop(heap)[2]

    # -- deals ---------------------------------------------------------------------------
    def _deal(self, ts: int, day: dt.date) -> list[dict[str, Any]]:
        rng = self.rng
        if rng.random() < RESTOCK_SHARE and self.restockers:
            index = bisect.bisect(self.restock_cum, rng.random() * self.restock_cum[-1])
            return self._restock(self.restockers[min(index, len(self.restockers) - 1)], ts, day)
        index = bisect.bisect(self.buyer_cum, rng.random() * self.buyer_cum[-1])
        buyer = self.buyers[min(index, len(self.buyers) - 1)]
        return self._sale(buyer, ts, day)

    def _menu(self, buyer: Actor, day: dt.date) -> Weighted:
        """Products this buyer may order this month (available, and legal without a licence it lacks)."""
        archetype = buyer.archetype
        assert archetype is not None
        # Rules are judged at the latest day this order's legs may ship, so an order placed
        # before a licence requirement starts never ships unlicensed after it.
        key = (archetype.name, buyer.behaviour, self._eras, buyer.country, buyer.declared_capacity is None)
        cached = self._menu_cache.get(key)  # type: ignore[arg-type]
        if cached is not None:
            return cached
        horizon = day + dt.timedelta(days=self.shipping_horizon_days)
        countries = self.refs.countries
        licensed = buyer.behaviour == "licensed" or (
            countries.requires_licence(buyer.country) and not countries.requires_licence(buyer.country, "d5_macau"))
        options: list[tuple[Product, str]] = []
        weights: list[float] = []
        for family, weight in archetype.products:
            product = self.catalogue.family(family)
            if not product.available_on(day):
                continue
            scope = product.licence_scope_on(horizon)
            controlled = self.catalogue.is_controlled(product.eccn) or scope != "none"
            if buyer.behaviour == "noncontrolled_only" and controlled:
                continue
            if scope != "none" and countries.requires_licence(buyer.country, scope) and not licensed:
                continue
            if countries.requires_licence(buyer.country, "d5_macau") and scope != "none":
                continue  # nothing needing a licence goes to D:5 in the background
            if product.datacenter and product.is_accelerator and not buyer.declared_capacity and archetype.end_uses[0][0] != "resale":
                continue
            for name in product.products:
                options.append((product, name))
                weights.append(weight / len(product.products))
        if not options:
            fallback = self.catalogue.family("DAC-CABLE")
            options, weights = [(fallback, fallback.products[0])], [1.0]
        menu = self._menu_cache[key] = Weighted(options, weights)  # type: ignore[index]
        return menu

    def _quantity(self, rng: random.Random, product: Product, buyer: Actor) -> int:
        """Log-uniform units within the archetype's (or the default) range for the category."""
        archetype = buyer.archetype
        key = (archetype.name if archetype else "", product.category)
        bounds = self._quantity_cache.get(key)
        if bounds is None:
            low, high = (archetype.quantities.get(product.category) if archetype else None) or self.profile.quantities[product.category]
            bounds = self._quantity_cache[key] = (math.log(low), math.log(high + 1))
        return max(1, int(math.exp(bounds[0] + rng.random() * (bounds[1] - bounds[0]))))

    def _fit_capacity(self, holder: Actor, lines: list[LineSpec], ts: int) -> list[LineSpec]:
        """Shrink data-centre lines so the holder stays within its capacity ceiling and its
        first orders stay small; drop lines that cannot fit."""
        for product, *_ in lines:
            if product.datacenter and product.accelerators_per_unit:
                break
        else:
            return lines  # nothing that counts against capacity
        config = self.config
        key = id(holder)
        window = self.window.setdefault(key, deque())
        used = self.window_sum.get(key, 0)
        horizon = ts - 365 * DAY
        while window and window[0][0] < horizon:
            used -= window.popleft()[1]
        seen = self.orders_seen.get(key, 0)
        capacity = holder.declared_capacity
        if capacity is None:
            allowance = math.inf
        else:
            allowance = max(0.0, capacity * config.capacity_use_ceiling - used)
        if seen < config.first_orders_count:
            allowance = min(allowance, config.first_orders_max_accelerators * config.first_orders_ramp**seen)
        fitted: list[LineSpec] = []
        total = 0
        for product, name, quantity, price in lines:
            if product.datacenter and product.is_accelerator:
                per_unit = product.accelerators_per_unit
                fit = int(min(quantity, (allowance - total) // per_unit)) if allowance != math.inf else quantity
                if fit < 1:
                    continue
                quantity = fit
                total += fit * per_unit
            fitted.append((product, name, quantity, price))
        if total:
            window.append((ts, total))
            used += total
            self.orders_seen[key] = seen + 1
        self.window_sum[key] = used
        return fitted

    def _can_hold(self, seller: Actor, product: Product, day: dt.date) -> bool:
        """A compliant seller never holds items it would have needed a licence to receive
        (judged at the shipping horizon, like the menus)."""
        scope = self._scope(product, day)
        if scope == "none":
            return True
        key = (seller.country, scope)
        allowed = self._hold_cache.get(key)
        if allowed is None:
            allowed = self._hold_cache[key] = not self.refs.countries.requires_licence(seller.country, scope)
        return allowed

    def _start_day(self, day: dt.date) -> None:
        """Per-day facts every deal of the day shares."""
        self._horizon = day + dt.timedelta(days=self.shipping_horizon_days)
        self._eras = (bisect.bisect_right(self.change_days, day), bisect.bisect_right(self.change_days, self._horizon))

    def _scope(self, product: Product, day: dt.date) -> str:
        """Licence scope at the shipping horizon of orders placed on ``day`` (the current day)."""
        return product.licence_scope_on(self._horizon)

    def _choose_seller(self, rng: random.Random, buyer: Actor, product: Product, day: dt.date) -> Actor:
        category = product.category
        if buyer.preferred_seller is not None and category in ("dc_card", "dc_module", "network", "cable", "power"):
            return buyer.preferred_seller
        regional = buyer.country in HUB_REGION
        roles = self._roles_cache.get((category, regional))
        if roles is None:
            roles = self._roles_cache[(category, regional)] = [
                r for r in self.profile.sellers_by_category[category]
                if self.sellers_by_role.get(r) and (r != "hub_reseller" or regional)]
        role = roles[int(rng.random() * len(roles))]
        scope = self._scope(product, day)
        if rng.random() < 0.6:
            local = self._sellers(role, scope, buyer.country)
            if local:
                return local[int(rng.random() * len(local))]
        candidates = self._sellers(role, scope, "")
        return candidates[int(rng.random() * len(candidates))]

    def _sellers(self, role: str, scope: str, country: str) -> list[Actor]:
        """Sellers of ``role`` that may hold items of ``scope`` (in ``country`` when given)."""
        key = (role, scope, country)
        cached = self._seller_cache.get(key)
        if cached is None:
            countries = self.refs.countries
            cached = [
                c for c in self.sellers_by_role[role]
                if (scope == "none" or not countries.requires_licence(c.country, scope)) and (not country or c.country == country)
            ]
            if not cached and not country:
                cached = list(self.sellers_by_role["chip_vendor"])
            self._seller_cache[key] = cached
        return cached

    def _sale(self, buyer: Actor, ts: int, day: dt.date) -> list[dict[str, Any]]:
        rng = self.rng
        docs = self.docs
        menu = self._menu(buyer, day)
        picks = [menu.pick(rng) for _ in range(self.line_count_pick.pick(rng))]
        seller = self._choose_seller(rng, buyer, picks[0][0], day)
        sellable = self._sellable(seller)
        lines: list[LineSpec] = []
        seen_names: list[str] = []
        for product, name in picks:
            if name in seen_names or product.category not in sellable or not self._can_hold(seller, product, day):
                continue
            seen_names.append(name)
            lines.append((product, name, self._quantity(rng, product, buyer), docs.unit_price(product)))
        ship_to = buyer
        if buyer.ship_to_options:
            ship_to = buyer.ship_to_options[rng.randrange(len(buyer.ship_to_options))]
        lines = self._fit_capacity(ship_to if buyer.behaviour == "billing_hub" else buyer, lines, ts)
        if not lines:
            fallback = self.catalogue.family("DAC-CABLE")
            lines = [(fallback, fallback.products[0], rng.randint(10, 200), docs.unit_price(fallback))]
            if "cable" not in sellable:
                seller = self._choose_seller(rng, buyer, fallback, day)
        archetype = buyer.archetype
        assert archetype is not None
        end_use = self.end_use_picks[archetype.name].pick(rng)
        return self._order_and_legs(seller, buyer, ship_to, lines, ts, day, end_use,
                                    consignee_type=archetype.consignee_type)

    def _restock(self, buyer: Actor, ts: int, day: dt.date) -> list[dict[str, Any]]:
        """A distributor or hub reseller buys stock from a vendor or OEM (resale)."""
        rng = self.rng
        docs = self.docs
        if buyer.behaviour == "legit_reexporter":
            category = rng.choice(("dc_module", "dc_card"))  # what its foreign customers buy
        else:
            category = rng.choice(("dc_module", "dc_card", "dc_card", "network", "consumer_gpu", "cable", "dc_server"))
        seller_role = "oem_server" if category == "dc_server" else "chip_vendor"
        sellers = self.sellers_by_role[seller_role]
        seller = sellers[rng.randrange(len(sellers))]
        products = [p for p in self.catalogue.products
                    if p.category == category and p.available_on(day) and self._can_hold(buyer, p, day)]
        if not products:
            return []
        product = products[rng.randrange(len(products))]
        name = product.products[rng.randrange(len(product.products))]
        low, high = RESTOCK_QUANTITIES[category]
        quantity = max(1, int(math.exp(rng.uniform(math.log(low), math.log(high + 1)))))
        lines = [(product, name, quantity, docs.unit_price(product, 0.92))]
        return self._order_and_legs(seller, buyer, buyer, lines, ts, day, "resale", consignee_type="reseller")

    def _sellable(self, seller: Actor) -> tuple[str, ...]:
        cached = self._sellable_cache.get(seller.role)
        if cached is None:
            cached = self._sellable_cache[seller.role] = tuple(
                c for c, roles in self.profile.sellers_by_category.items() if seller.role in roles)
        return cached

    # -- documents -------------------------------------------------------------------------
    def _order_and_legs(
        self,
        seller: Actor,
        buyer: Actor,
        ship_to: Actor,
        lines: list[LineSpec],
        ts: int,
        day: dt.date,
        end_use: str,
        *,
        consignee_type: str,
    ) -> list[dict[str, Any]]:
        rng = self.rng
        docs = self.docs
        is_vendor = seller.role in ("chip_vendor", "oem_server")
        order_id = self.ids.order_id("SO" if is_vendor else "INV")
        has_server = False
        value = 0
        for product, _, quantity, price in lines:
            value += quantity * price
            if product.category == "dc_server":
                has_server = True
        payer = None
        if buyer.parent is not None and (buyer.behaviour == "treasury_paid" or rng.random() < self.treasury_share):
            payer = buyer.parent
        payment = (self.pay_pick if value < 20_000 else self.large_pay_pick).pick(rng)
        installation = None
        if has_server:
            installation = self.install_pick.pick(rng)
            if buyer.behaviour == "declines_installation":
                installation = False
        end_user = None
        if rng.random() < self.end_user_share:
            end_user = ship_to
        order = docs.order(
            ts,
            source="vendor-erp" if is_vendor else "distributor-sellthrough",
            order_id=order_id,
            seller=seller,
            buyer=buyer,
            ship_to=ship_to,
            end_user=end_user,
            lines=[docs.line(spec) for spec in lines],
            declared_end_use=end_use,
            payer=payer,
            payment_method=payment if rng.random() < 0.8 else None,
            installation_requested=installation,
            expedited=True if rng.random() < self.expedited_share else None,
        )
        events = [order]
        origin, destination = seller.country, ship_to.country
        if origin == destination:
            return events  # domestic sale: no border crossing, no leg
        events.extend(self._legs(seller, ship_to, lines, ts, day, order_id, consignee_type, has_server))
        return events

    def _legs(
        self,
        seller: Actor,
        ship_to: Actor,
        lines: list[LineSpec],
        order_ts: int,
        day: dt.date,
        order_id: str,
        consignee_type: str,
        has_server: bool,
    ) -> list[dict[str, Any]]:
        rng = self.rng
        docs = self.docs
        config = self.config
        total_units = 0
        families = []
        for product, _, quantity, _ in lines:
            total_units += quantity
            families.append(product.family)
        legs = min(self.legs_pick.pick(rng), config.max_legs_per_order, total_units)
        splits = [_split(q, legs, rng) for _, _, q, _ in lines] if legs > 1 else [[q] for _, _, q, _ in lines]
        lag_low, lag_high = config.shipment_lag_days
        leg_ts = order_ts + (lag_low + int(rng.random() * (lag_high - lag_low + 1))) * DAY + int(rng.random() * DAY)
        origin, destination = seller.country, ship_to.country
        hq = ship_to.headquarters_country
        licence_key = (tuple(families), destination, hq, day.year, day.month)
        needs = self._licence_cache.get(licence_key)
        if needs is None:
            needs = self._licence_cache[licence_key] = docs.needs_licence([p for p, *_ in lines], destination, [hq], day)
        licence = self._licence_for(ship_to) if needs else "NLR"
        modes = self.modes_servers if has_server else self.modes_small
        if ship_to.role in STOCKING_ROLES or consignee_type == "reseller":
            consignee_type = "reseller"
        route = self._routes.get((origin, destination))
        if route is None:
            route = self._routes[(origin, destination)] = (
                ("vendor-erp", "aes", f"customs-{origin.lower()}", "forwarder-edi"),
                [c for c in TRANSIT_POINTS if c not in (origin, destination)],
            )
        exporter_feeds, transit_points = route
        serial_sources = self.serial_sources
        stocks = ship_to.role in STOCKING_ROLES
        events: list[dict[str, Any]] = []
        for leg in range(legs):
            if leg:
                leg_ts += (3 + int(rng.random() * 12)) * DAY
            mode = modes.pick(rng)
            shipment_id = self.ids.shipment_id(mode)
            sources = docs.reporters(seller, origin, destination)
            # Serials are only drawn when a feed prints them or the consignee keeps stock.
            want_serials = stocks or sources[0] in serial_sources or (len(sources) > 1 and sources[1] in serial_sources)
            unit_items = []
            declared = 0
            for (product, name, _, price), split in zip(lines, splits):
                units = split[leg]
                if units:
                    serials = self._unit_serials(seller, product, units, leg_ts, fresh=want_serials)
                    unit_items.append((product, name, units, price, serials))
                    declared += units * price
            if not unit_items:
                continue
            forwarder = None
            if rng.random() < self.forwarder_share:
                pool = self.forwarders_by_country.get(origin) or self.all_forwarders
                forwarder = pool[int(rng.random() * len(pool))]
            transit = None
            if rng.random() < self.transit_share:
                transit = [transit_points[int(rng.random() * len(transit_points))]]
            intermediate = None
            if rng.random() < self.intermediate_share:
                firms = self.logistics_by_country.get(destination)
                if firms:
                    intermediate = firms[rng.randrange(len(firms))]
            for source in sources:
                with_serials = source in serial_sources
                items = [
                    docs.item(product, name, units, serials=serials if with_serials else None)
                    for product, name, units, _, serials in unit_items
                ]
                # Exporters report at departure; a destination's customs at arrival, days later.
                report_ts = leg_ts if source in exporter_feeds else leg_ts + (1 + int(rng.random() * 3)) * DAY
                events.append(docs.shipment(
                    report_ts,
                    source=source,
                    shipment_id=shipment_id,
                    order_id=order_id if rng.random() < 0.85 else None,
                    shipper=seller,
                    consignee=ship_to,
                    consignee_type=consignee_type,
                    origin=origin,
                    destination=destination,
                    mode=mode,
                    declared_value=declared,
                    items=items,
                    intermediate_consignee=intermediate,
                    freight_forwarder=forwarder,
                    transit=transit,
                    license=licence if source in LICENCE_FEEDS else None,
                ))
            if stocks:
                self._stock_in(ship_to, unit_items, leg_ts)
        return events

    def _licence_for(self, actor: Actor) -> str:
        key = id(actor)
        licence = self.licences.get(key)
        if licence is None:
            licence = self.licences[key] = self.ids.licence_number()
        return licence

    def _unit_serials(self, shipper: Actor, product: Product, units: int, ts: int, *, fresh: bool) -> list[str] | None:
        """Serials of the units on a leg: from the shipper's stock when it holds serialised
        units long enough (legitimate re-export), topped up with new ones when ``fresh``."""
        if not product.is_accelerator:
            return None
        stock = self.stock.get((id(shipper), product.family))
        out: list[str] = []
        if stock:
            ready = ts - MIN_STOCK_DWELL_DAYS * DAY
            while stock and len(out) < units and stock[0][0] <= ready:
                out.append(stock.popleft()[1])
        if not fresh:
            return out or None
        if len(out) < units:
            out.extend(self.serials.take(product, units - len(out)))
        return out

    def _stock_in(self, holder: Actor, unit_items: list[tuple[Product, str, int, int, list[str] | None]], ts: int) -> None:
        for product, _, _, _, serials in unit_items:
            if serials:
                stock = self.stock.setdefault((id(holder), product.family), deque())
                stock.extend((ts, serial) for serial in serials)


def _split(quantity: int, parts: int, rng: random.Random) -> list[int]:
    """Split ``quantity`` units into ``parts`` partial shipments (some may be empty)."""
    if parts <= 1:
        return [quantity]
    cuts = sorted(rng.randint(0, quantity) for _ in range(parts - 1))
    bounds = [0, *cuts, quantity]
    return [bounds[i + 1] - bounds[i] for i in range(parts)]
