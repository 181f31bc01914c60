"""listed_owners: the Affiliates Rule as a policy."""

from __future__ import annotations

from detectors.parties import Registry
from detectors.screening import OwnershipPolicy, ScreeningMatcher, default_config, listed_owners
from tests.detectors.parties._build import entity
from tests.detectors.screening._build import fixture_list

ON = OwnershipPolicy(affiliates_rule_enabled=True, threshold_pct=50.0, indirect="product")
OFF = OwnershipPolicy(affiliates_rule_enabled=False, threshold_pct=50.0, indirect="product")
CASCADE = OwnershipPolicy(affiliates_rule_enabled=True, threshold_pct=50.0, indirect="cascade")


def _registry(*stakes: tuple[str, str, float | None]) -> Registry:
    registry = Registry()
    registry.apply(entity("listed", "Inspur Group Co., Ltd.", country="CN"))
    for child, parent, pct in stakes:
        registry.apply(entity(child, parent_id=parent, ownership_pct=pct))
    return registry


def _matches(registry: Registry) -> dict:
    """Screen every registered entity, as a stream would keep per entity."""
    matcher = ScreeningMatcher(fixture_list())
    return {e.entity_id: matcher.match(e.name, e.country) for e in registry if matcher.match(e.name, e.country)}


def test_direct_majority_stake_is_owned() -> None:
    registry = _registry(("sub", "listed", 60))
    [owner] = listed_owners("sub", registry, _matches(registry), ON)
    assert (owner.owner_id, owner.effective_pct, owner.path) == ("listed", 60.0, ("sub", "listed"))
    assert owner.matches[0].entry_id == "inspur"


def test_chain_is_the_product_of_stakes() -> None:
    registry = _registry(("mid", "listed", 70), ("sub", "mid", 80))
    [owner] = listed_owners("sub", registry, _matches(registry), ON)
    assert owner.owner_id == "listed" and round(owner.effective_pct, 6) == 56.0
    assert owner.path == ("sub", "mid", "listed")


def test_chain_below_threshold_is_not_owned() -> None:
    registry = _registry(("mid", "listed", 70), ("sub", "mid", 60))
    assert listed_owners("sub", registry, _matches(registry), ON) == []  # 42 %
    assert [o.owner_id for o in listed_owners("mid", registry, _matches(registry), ON)] == ["listed"]


def test_cascade_reading_counts_each_majority_link() -> None:
    registry = _registry(("mid", "listed", 70), ("sub", "mid", 60), ("minor", "listed", 40))
    [owner] = listed_owners("sub", registry, _matches(registry), CASCADE)
    assert owner.owner_id == "listed" and round(owner.effective_pct, 6) == 42.0
    assert listed_owners("minor", registry, _matches(registry), CASCADE) == []


def test_policy_off_finds_nothing() -> None:
    registry = _registry(("sub", "listed", 100))
    assert listed_owners("sub", registry, _matches(registry), OFF) == []
    shipped = default_config().ownership  # on, but dated: see test_affiliates_rule.py
    assert shipped.affiliates_rule_enabled is True and shipped.threshold_pct == 50.0
    assert shipped.indirect == "product"


def test_exactly_fifty_percent_counts() -> None:
    registry = _registry(("sub", "listed", 50))
    assert [o.owner_id for o in listed_owners("sub", registry, _matches(registry), ON)] == ["listed"]


def test_unmatched_owners_unknown_stakes_and_cycles() -> None:
    registry = _registry(("clean-parent", "listed", 100), ("sub", "clean-parent", 90), ("orphan", "listed", None))
    owners = listed_owners("sub", registry, _matches(registry), ON)
    assert [(o.owner_id, round(o.effective_pct, 6)) for o in owners] == [("listed", 90.0)]  # clean parent skipped
    assert listed_owners("orphan", registry, _matches(registry), ON) == []
    registry.apply(entity("listed", "Inspur Group Co., Ltd.", country="CN", day=1, parent_id="sub", ownership_pct=100))
    assert [o.owner_id for o in listed_owners("sub", registry, _matches(registry), ON)] == ["listed"]
