"""The registry: ownership chains, names, identifiers."""

from __future__ import annotations

from typing import Any

import pytest

from streams.simulate import Simulation
from streams.simulate.names import LISTED_VARIANT_KINDS, NameBook
from streams.simulate.profile import load_names
from streams.simulate.rng import derive_seed, rng_for


def test_derived_seeds_are_independent() -> None:
    assert derive_seed(7, "case", "multi_hop", 0) == derive_seed(7, "case", "multi_hop", 0)
    assert derive_seed(7, "a") != derive_seed(7, "b") != derive_seed(8, "a")
    assert rng_for(1, "x").random() == rng_for(1, "x").random()


def test_registry_is_consistent(small_simulation: Simulation, small_events: list[dict[str, Any]]) -> None:
    entities = [e for e in small_events if e["event_type"] == "entity"]
    first = {}
    for event in entities:
        first.setdefault(event["entity_id"], event)
    for event in entities:
        if "parent_id" in event:
            assert event["parent_id"] in first, event["entity_id"]
            top = first[event["ultimate_parent_id"]]
            assert event["ultimate_parent_country"] == top["country"]
            assert "parent_id" not in top
            assert 0 < event["ownership_pct"] <= 100
    kinds = {e["business_type"] for e in entities}
    assert {"cloud_provider", "distributor", "freight_forwarder", "logistics", "reseller", "oem_server"} <= kinds
    assert any(e.get("deleted") for e in entities), "a tombstone"
    assert any("website" not in e for e in entities), "shells without websites"
    assert any(e.get("ultimate_parent_country") == "CN" for e in entities), "subsidiaries of CN groups"


def test_registry_updates_follow_registration(small_events: list[dict[str, Any]]) -> None:
    seen: dict[str, str] = {}
    updates = 0
    for event in small_events:
        if event["event_type"] != "entity":
            continue
        if event["entity_id"] in seen:
            updates += 1
            assert event["event_time"] >= seen[event["entity_id"]]
        seen.setdefault(event["entity_id"], event["event_time"])
    assert updates >= 5


def test_parties_are_often_unresolved_and_respelled(small_events: list[dict[str, Any]]) -> None:
    buyers = [e["buyer"] for e in small_events if e["event_type"] == "order"]
    unresolved = sum("entity_id" not in b for b in buyers)
    assert 0.3 < unresolved / len(buyers) < 0.95
    assert any(b["name"].isupper() for b in buyers)


@pytest.mark.parametrize("kind", LISTED_VARIANT_KINDS)
def test_listed_variants(kind: str) -> None:
    import random

    book = NameBook(load_names())
    rng = random.Random(3)
    name = "Wuxi Jiangnan Institute of Computing Technology Co., Ltd."
    variant = book.listed_variant(rng, name, kind)
    assert variant and variant != name


def test_company_names_follow_country_forms() -> None:
    import random

    book = NameBook(load_names())
    rng = random.Random(1)
    assert book.company(rng, "MY", "cloud_provider").legal.endswith("Sdn Bhd")
    assert book.company(rng, "SG", "reseller").legal.endswith("Pte Ltd")
    assert book.company(rng, "ID", "cloud_provider").legal.startswith("PT ")
    assert book.company(rng, "AE", "logistics").legal.endswith("FZE")
    assert book.website("Aurora Compute") == "aurora-compute.example"
