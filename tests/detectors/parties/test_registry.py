"""Registry: last write wins, tombstones, lookups, ownership, state."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.parties import Registry
from tests.detectors.parties._build import entity


def test_apply_is_last_write_wins_and_idempotent() -> None:
    registry = Registry()
    first = entity("e1", "Aurora Compute Sdn Bhd", day=1)
    assert registry.apply(first) is True
    assert registry.apply(first) is False  # redelivery
    assert registry.apply(entity("e1", "Old Name Sdn Bhd", day=0)) is False  # older
    assert registry.get("e1") == first
    newer = entity("e1", "Aurora Compute Cloud Sdn Bhd", day=2)
    assert registry.apply(newer) is True
    assert registry.get("e1") == newer
    assert registry.by_name("Aurora Compute", "MY") == ()
    assert registry.by_name("AURORA COMPUTE CLOUD SDN. BHD.", "MY") == ("e1",)


def test_equal_times_are_broken_by_event_id() -> None:
    a = entity("e1", "Name A", day=1, event_id="ev-a")
    b = entity("e1", "Name B", day=1, event_id="ev-b")
    for order in ((a, b), (b, a)):
        registry = Registry()
        for record in order:
            registry.apply(record)
        assert registry.get("e1") == b


def test_tombstone_withdraws_and_is_remembered() -> None:
    registry = Registry()
    registry.apply(entity("e1", "Aurora Compute", day=1, aliases=["Aurora"]))
    assert registry.apply(entity("e1", "Aurora Compute", day=2, deleted=True)) is True
    assert registry.get("e1") is None and "e1" not in registry and len(registry) == 0
    assert registry.by_name("Aurora Compute", "MY") == () and registry.by_alias("Aurora", "MY") == ()
    # A late, older record must not bring it back.
    assert registry.apply(entity("e1", "Aurora Compute", day=1.5)) is False
    assert registry.get("e1") is None
    # Nor when the tombstone is the first thing seen.
    early = Registry()
    early.apply(entity("e2", day=5, deleted=True))
    assert early.apply(entity("e2", day=3)) is False and early.get("e2") is None
    assert early.apply(entity("e2", day=6)) is True and early.get("e2") is not None


def test_lookups_by_name_and_alias_are_per_country() -> None:
    registry = Registry()
    registry.apply(entity("my", "Aurora Compute Sdn Bhd", country="MY", aliases=["Aurora Cloud MY"]))
    registry.apply(entity("sg", "Aurora Compute Pte Ltd", country="SG"))
    assert registry.by_name("AURORA COMPUTE SDN. BHD.", "MY") == ("my",)
    assert registry.by_name("Aurora Compute", "SG") == ("sg",)
    assert registry.by_name("Aurora Compute", "HK") == ()
    assert registry.by_alias("aurora cloud my", "MY") == ("my",)
    assert registry.by_alias("Aurora Cloud MY", "SG") == ()
    assert registry.names_in("MY") == {"AURORA COMPUTE": frozenset({"my"}), "AURORA CLOUD MY": frozenset({"my"})}


def _group() -> Registry:
    registry = Registry()
    registry.apply(entity("cn", "Aurora Group", country="CN"))
    registry.apply(entity("hk", "Aurora Holdings", country="HK", parent_id="cn", ownership_pct=70))
    registry.apply(entity("sg", "Aurora SG", country="SG", parent_id="hk", ownership_pct=80))
    registry.apply(entity("my", "Aurora MY", country="MY", parent_id="sg", ownership_pct=60))
    registry.apply(entity("th", "Aurora TH", country="TH", ultimate_parent_id="cn"))
    registry.apply(entity("other", "Someone Else"))
    return registry


def test_ownership_chain_and_effective_ownership() -> None:
    registry = _group()
    assert registry.ownership_chain("my") == [("sg", 60), ("hk", 80), ("cn", 70)]
    assert registry.effective_ownership("sg", "hk") == 80
    assert round(registry.effective_ownership("sg", "cn"), 6) == 56.0  # 80 % x 70 %
    assert round(registry.effective_ownership("my", "cn"), 6) == 33.6
    assert registry.effective_ownership("my", "other") == 0.0
    assert registry.effective_ownership("my", "my") == 100.0
    assert registry.ownership_chain("unknown") == []


def test_unknown_stake_proves_nothing() -> None:
    registry = Registry()
    registry.apply(entity("parent"))
    registry.apply(entity("child", parent_id="parent"))
    assert registry.ownership_chain("child") == [("parent", None)]
    assert registry.effective_ownership("child", "parent") == 0.0


def test_ultimate_parent_and_group_members() -> None:
    registry = _group()
    assert registry.ultimate_parent("my") == "cn"  # walked
    assert registry.ultimate_parent("th") == "cn"  # declared
    assert registry.ultimate_parent("cn") == "cn"  # top of its own group
    assert registry.ultimate_parent("nobody") is None
    assert registry.group_members("cn") == ("cn", "hk", "my", "sg", "th")
    assert registry.group_members("other") == ("other",)
    assert registry.group_members("nobody") == ()


def test_parent_chain_not_in_registry_still_named() -> None:
    registry = Registry()
    registry.apply(entity("my", parent_id="unregistered-parent", ownership_pct=100, ultimate_parent_id="cn-top"))
    assert registry.ownership_chain("my") == [("unregistered-parent", 100)]
    assert registry.ultimate_parent("my") == "cn-top"
    assert registry.group_members("cn-top") == ("my",)


def test_ownership_cycles_terminate() -> None:
    registry = Registry()
    registry.apply(entity("a", parent_id="b", ownership_pct=60))
    registry.apply(entity("b", parent_id="c", ownership_pct=60))
    registry.apply(entity("c", parent_id="a", ownership_pct=60))
    assert [parent for parent, _ in registry.ownership_chain("a")] == ["b", "c"]
    assert registry.effective_ownership("a", "c") == 36.0
    assert registry.ultimate_parent("a") == "c"
    assert registry.group_members("a") == ("a", "b", "c")


def test_state_round_trip_is_plain_json() -> None:
    registry = _group()
    registry.apply(entity("gone", day=1))
    registry.apply(entity("gone", day=2, deleted=True))
    state = json.loads(json.dumps(registry.to_state()))
    restored = Registry.from_state(state)
    assert restored.to_state() == registry.to_state()
    assert restored.version == registry.version
    assert restored.group_members("cn") == registry.group_members("cn")
    assert restored.by_name("Aurora MY", "MY") == ("my",)
    # The tombstone survived the round trip.
    assert restored.apply(entity("gone", day=1.5)) is False


# -- order independence ---------------------------------------------------------------

_records = st.builds(
    lambda entity_id, name, day, event_id, deleted, parent, pct, alias: entity(
        entity_id, name, day=day, event_id=event_id, deleted=deleted or None,
        parent_id=parent, ownership_pct=pct if parent else None, aliases=[alias] if alias else None,
    ),
    entity_id=st.sampled_from(["a", "b", "c"]),
    name=st.sampled_from(["Aurora Compute Sdn Bhd", "AURORA COMPUTE SDN. BHD.", "Borealis Ltd", "Cygnus Trading"]),
    day=st.integers(0, 3),
    event_id=st.sampled_from(["ev-1", "ev-2", "ev-3"]),
    deleted=st.booleans(),
    parent=st.sampled_from([None, "a", "b", "c"]),
    pct=st.sampled_from([30.0, 50.0, 100.0]),
    alias=st.sampled_from([None, "Aurora", "Cygnus"]),
)


def _observable(registry: Registry) -> tuple:
    return (
        registry.to_state(),
        registry.version,
        [registry.by_name(name, "MY") for name in ("Aurora Compute", "Borealis", "Cygnus Trading")],
        [registry.by_alias(alias, "MY") for alias in ("Aurora", "Cygnus")],
        [(registry.ownership_chain(i), registry.ultimate_parent(i), registry.group_members(i)) for i in "abc"],
    )


@settings(max_examples=150, deadline=None)
@given(records=st.lists(_records, max_size=12), data=st.data())
def test_result_is_independent_of_order_and_duplicates(records, data) -> None:
    reference = Registry()
    for record in records:
        reference.apply(record)
    shuffled = data.draw(st.permutations(records + records[: len(records) // 2]))
    other = Registry()
    for record in shuffled:
        other.apply(record)
    assert _observable(other) == _observable(reference)
    assert _observable(Registry.from_state(json.loads(json.dumps(reference.to_state())))) == _observable(reference)
