"""The background is compliant by construction: whatever a detector flags in it is a
false positive. Checked on a run without injected cases."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from typing import Any

import pytest

from detectors.reference import Catalogue, CountryGroups
from streams.simulate import Simulation, simulate
from tests.simulate.conftest import SMALL


@pytest.fixture(scope="module")
def background() -> tuple[Simulation, list[dict[str, Any]]]:
    sim = simulate(dataclasses.replace(SMALL, seed=23, cases_per_pattern=0, target_events=8_000))
    return sim, list(sim.events)


def _actor_index(sim: Simulation) -> dict[tuple[str, str], Any]:
    index = {}
    for actor in sim.world.actors:
        for spelling in (actor.name, *actor.spellings):
            index[(actor.country, spelling)] = actor
    return index


def test_no_cases_means_empty_truth(background: tuple[Simulation, list[dict[str, Any]]]) -> None:
    sim, _ = background
    assert sim.truth["cases"] == []
    assert sim.truth["lookalikes"]


def test_no_unlicensed_controlled_legs_to_licence_destinations(
    background: tuple[Simulation, list[dict[str, Any]]],
) -> None:
    sim, events = background
    catalogue, countries = Catalogue.load(), CountryGroups.load()
    for event in events:
        if event["event_type"] != "shipment" or event.get("license") is None:
            continue
        day = dt.date.fromisoformat(event["event_time"][:10])
        for item in event["items"]:
            product = catalogue.lookup(item["product"])
            assert product is not None, item["product"]
            scope = product.licence_scope_on(day)
            if scope != "none" and countries.requires_licence(event["destination_country"], scope):
                assert event["license"] != "NLR", event["event_id"]


def test_nothing_needing_a_licence_goes_to_china(background: tuple[Simulation, list[dict[str, Any]]]) -> None:
    sim, events = background
    catalogue, countries = Catalogue.load(), CountryGroups.load()
    for event in events:
        if event["event_type"] != "shipment" or not countries.requires_licence(event["destination_country"], "d5_macau"):
            continue
        day = dt.date.fromisoformat(event["event_time"][:10])
        for item in event["items"]:
            product = catalogue.lookup(item["product"])
            assert product is not None and product.licence_scope_on(day) == "none", event["event_id"]


def test_buyers_stay_within_capacity_and_start_small(background: tuple[Simulation, list[dict[str, Any]]]) -> None:
    sim, events = background
    catalogue = Catalogue.load()
    index = _actor_index(sim)
    ordered: dict[int, list[tuple[str, int]]] = defaultdict(list)
    holders = {}
    for event in events:
        if event["event_type"] != "order":
            continue
        buyer = index[(event["buyer"]["country"], event["buyer"]["name"])]
        holder = index[(event["ship_to"]["country"], event["ship_to"]["name"])] if buyer.behaviour == "billing_hub" else buyer
        accelerators = 0
        for line in event["lines"]:
            product = catalogue.lookup(line["product"])
            if product is not None and product.datacenter and product.is_accelerator:
                accelerators += line["quantity"] * product.accelerators_per_unit
        if accelerators:
            ordered[id(holder)].append((event["event_time"], accelerators))
            holders[id(holder)] = holder
    assert ordered, "the background orders data-centre accelerators"
    for key, rows in ordered.items():
        holder = holders[key]
        if holder.role in ("distributor", "hub_reseller"):
            continue  # restocking for resale
        assert rows[0][1] <= SMALL.first_orders_max_accelerators, holder.name
        if holder.declared_capacity is not None:
            assert sum(a for _, a in rows) <= holder.declared_capacity * SMALL.capacity_use_ceiling + 1, holder.name


def test_legitimate_reexports_carry_serials_through(background: tuple[Simulation, list[dict[str, Any]]]) -> None:
    sim, events = background
    reexporter = next(a for a in sim.world.actors if a.behaviour == "legit_reexporter")
    inbound, outbound = set(), set()
    for event in events:
        if event["event_type"] != "shipment":
            continue
        serials = {s for item in event["items"] for s in item.get("serials", [])}
        if event["destination_country"] == "SG" and event["consignee"]["name"] in reexporter.spellings:
            inbound |= serials
        if event["origin_country"] == "SG" and event["shipper"]["name"] in reexporter.spellings:
            outbound |= serials
    assert inbound & outbound, "some serials imported by the SG distributor leave again (legitimately)"
