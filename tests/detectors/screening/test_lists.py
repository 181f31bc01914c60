"""ScreeningList: last write wins, delisting, version, state."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.screening import ScreeningList
from tests.detectors.screening._build import ENTRIES, fixture_list, screening_entry


def test_apply_semantics_and_version() -> None:
    screening_list = ScreeningList()
    empty_version = screening_list.version
    entry = screening_entry("x", "Example Corp", day=1)
    assert screening_list.apply(entry) is True
    listed_version = screening_list.version
    assert listed_version != empty_version
    assert screening_list.apply(entry) is False and screening_list.version == listed_version
    assert screening_list.apply(screening_entry("x", "Older Name", day=0)) is False
    assert screening_list.get("x").name == "Example Corp"
    assert screening_list.apply(screening_entry("x", "Example Corp", day=2, deleted=True)) is True
    assert screening_list.get("x") is None and "x" not in screening_list and len(screening_list) == 0
    # Same content, same version: an empty list again.
    assert screening_list.version == empty_version
    assert screening_list.apply(screening_entry("x", "Example Corp", day=1.5)) is False


def test_version_is_a_content_digest() -> None:
    forward, backward = ScreeningList.of(ENTRIES), ScreeningList.of(reversed(ENTRIES))
    assert forward.version == backward.version
    assert [e.entry_id for e in forward] == sorted(e.entry_id for e in ENTRIES)
    changed = ScreeningList.of(ENTRIES)
    changed.apply(screening_entry("inspur", "Inspur Group", "Inspur", day=5))
    assert changed.version != forward.version


def test_state_round_trip() -> None:
    screening_list = fixture_list()
    screening_list.apply(screening_entry("gone", "Delisted Trading", day=1))
    screening_list.apply(screening_entry("gone", "Delisted Trading", day=2, deleted=True))
    restored = ScreeningList.from_state(json.loads(json.dumps(screening_list.to_state())))
    assert restored.to_state() == screening_list.to_state()
    assert restored.version == screening_list.version
    assert restored.apply(screening_entry("gone", "Delisted Trading", day=1)) is False


_entries = st.builds(
    lambda entry_id, name, day, event_id, deleted: screening_entry(
        entry_id, name, day=day, event_id=event_id, deleted=deleted or None
    ),
    entry_id=st.sampled_from(["a", "b", "c"]),
    name=st.sampled_from(["Sugon", "Inspur Group", "Example Supercomputing Center"]),
    day=st.integers(0, 3),
    event_id=st.sampled_from(["ev-1", "ev-2"]),
    deleted=st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(entries=st.lists(_entries, max_size=10), data=st.data())
def test_independent_of_order_and_duplicates(entries, data) -> None:
    reference = ScreeningList.of(entries)
    other = ScreeningList.of(data.draw(st.permutations(entries + entries[::2])))
    assert other.to_state() == reference.to_state()
    assert other.version == reference.version
    assert ScreeningList.from_state(reference.to_state()).version == reference.version
