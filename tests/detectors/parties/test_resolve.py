"""Entity resolution: id, name, alias, fuzzy, derived; and its cache."""

from __future__ import annotations

import pytest

from detectors.parties import Registry, ResolutionConfig, derived_entity_id, resolve
from schemas import Entity, Order, Party, decode
from tests.detectors.parties._build import entity


@pytest.fixture()
def registry() -> Registry:
    registry = Registry()
    registry.apply(entity("ent-aurora-my", "Aurora Compute Sdn Bhd", country="MY", aliases=["Aurora Cloud"]))
    registry.apply(entity("ent-aurora-sg", "Aurora Compute Pte Ltd", country="SG"))
    registry.apply(entity("ent-borealis-my", "Borealis Data Centres Sdn Bhd", country="MY"))
    return registry


def test_contract_example_order_resolves_to_the_example_entity(contract_examples) -> None:
    events = [decode(line) for line in contract_examples]
    registry = Registry()
    for event in events:
        if isinstance(event, Entity):
            registry.apply(event)
    order = next(event for event in events if isinstance(event, Order))
    buyer, ship_to, end_user = (resolve(p, registry) for p in (order.buyer, order.ship_to, order.end_user))
    assert buyer.entity_id == ship_to.entity_id == end_user.entity_id == "ent-aurora-my"
    assert (buyer.method, end_user.method) == ("name", "entity_id")
    assert buyer.registered and buyer.entity is not None and buyer.entity.country == "MY"


def test_producer_entity_id_is_kept_even_when_unknown(registry) -> None:
    known = resolve(Party(name="whatever", country="MY", entity_id="ent-aurora-my"), registry)
    assert (known.entity_id, known.registered, known.method, known.score) == ("ent-aurora-my", True, "entity_id", 1.0)
    unknown = resolve(Party(name="Aurora Compute Sdn Bhd", country="MY", entity_id="erp-4711"), registry)
    assert (unknown.entity_id, unknown.registered, unknown.entity) == ("erp-4711", False, None)


def test_spelling_variants_resolve_to_one_entity(registry) -> None:
    for written in ("AURORA COMPUTE SDN. BHD.", "Aurora Compute Sdn Bhd", "aurora compute", "Aurora Compute Sdn. Bhd"):
        resolved = resolve(Party(name=written, country="MY"), registry)
        assert (resolved.entity_id, resolved.method, resolved.score) == ("ent-aurora-my", "name", 1.0)


def test_alias_in_the_same_country(registry) -> None:
    resolved = resolve(Party(name="AURORA CLOUD LTD", country="MY"), registry)
    assert (resolved.entity_id, resolved.method) == ("ent-aurora-my", "alias")
    assert resolve(Party(name="Aurora Cloud", country="SG"), registry).method == "derived"


def test_same_name_in_another_country_is_another_party(registry) -> None:
    assert resolve(Party(name="Aurora Compute", country="SG"), registry).entity_id == "ent-aurora-sg"
    hk = resolve(Party(name="Aurora Compute Ltd", country="HK"), registry)
    assert (hk.entity_id, hk.registered, hk.method) == (derived_entity_id("Aurora Compute", "HK"), False, "derived")


def test_fuzzy_resolves_a_typo_but_not_a_different_company(registry) -> None:
    typo = resolve(Party(name="Aurora Comptue Sdn Bhd", country="MY"), registry)
    assert (typo.entity_id, typo.method) == ("ent-aurora-my", "fuzzy")
    assert 0.92 <= typo.score < 1.0
    twin = resolve(Party(name="Aurora Logistics Sdn Bhd", country="MY"), registry)
    assert (twin.method, twin.registered) == ("derived", False)


def test_fuzzy_refuses_ambiguous_and_numbered_names() -> None:
    registry = Registry()
    registry.apply(entity("a", "Pacific Trading 1 Sdn Bhd"))
    registry.apply(entity("b", "Pacific Trading 2 Sdn Bhd"))
    registry.apply(entity("c", "Nusantara Data Centre One"))
    registry.apply(entity("d", "Nusantara Data Centre Ono"))
    assert resolve(Party(name="Pacific Trading 3", country="MY"), registry).method == "derived"
    assert resolve(Party(name="Pacific Tradng 1", country="MY"), registry).entity_id == "a"
    ambiguous = resolve(Party(name="Nusantara Data Centre Onu", country="MY"), registry)
    assert ambiguous.method == "derived" and set(ambiguous.candidates) == {"c", "d"}


def test_exact_name_shared_by_two_entities_is_not_guessed() -> None:
    registry = Registry()
    registry.apply(entity("x1", "Twin Holdings Sdn Bhd"))
    registry.apply(entity("x2", "TWIN HOLDINGS SDN. BHD."))
    resolved = resolve(Party(name="Twin Holdings", country="MY"), registry)
    assert (resolved.method, resolved.candidates) == ("derived", ("x1", "x2"))


def test_short_names_resolve_only_exactly() -> None:
    registry = Registry()
    registry.apply(entity("abc", "ABC Sdn Bhd"))
    assert resolve(Party(name="ABD", country="MY"), registry).method == "derived"
    assert resolve(Party(name="ABC", country="MY"), registry).entity_id == "abc"


def test_cache_follows_registry_changes(registry) -> None:
    party = Party(name="Cygnus Compute Sdn Bhd", country="MY")
    before = resolve(party, registry)
    assert before.method == "derived" and before.entity_id == derived_entity_id(party.name, "MY")
    assert resolve(party, registry) is before  # cached
    registry.apply(entity("ent-cygnus", "Cygnus Compute Sdn Bhd", day=1))
    after = resolve(party, registry)
    assert (after.entity_id, after.method) == ("ent-cygnus", "name")
    registry.apply(entity("ent-cygnus", "Cygnus Compute Sdn Bhd", day=2, deleted=True))
    assert resolve(party, registry).method == "derived"


def test_threshold_is_configurable(tmp_path, registry) -> None:
    strict = tmp_path / "resolution.toml"
    strict.write_text('version = "test.1"\nfuzzy_threshold = 99.0\nfuzzy_margin = 3.0\n'
                      "fuzzy_min_length = 6\ncache_size = 10\n")
    config = ResolutionConfig.load(strict)
    party = Party(name="Aurora Comptue Sdn Bhd", country="MY")
    assert resolve(party, registry, config).method == "derived"
    assert resolve(party, registry).method == "fuzzy"
