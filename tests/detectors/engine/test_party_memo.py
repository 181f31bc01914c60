"""The party memo forgets exactly what a registry change can affect: memoised answers
always equal a fresh resolution against the registry as it stands."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from detectors.engine import Reference
from detectors.engine.context import PartyMemo
from schemas import Entity, Party

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
NAMES = ["Aurora Compute Sdn Bhd", "Aurora Compute", "Borealis Data Ltd", "Cirrus AI Pte Ltd", "Cirrus Al Pte Ltd"]
COUNTRIES = ["MY", "SG", "HK"]


def _entity(rng: random.Random, serial: int) -> Entity:
    entity_id = f"ent-{rng.randint(0, 5)}"
    return Entity(
        event_id=f"e-{serial}",
        event_time=T0 + dt.timedelta(minutes=serial),
        source="registry",
        schema_version=1,
        entity_id=entity_id,
        name=rng.choice(NAMES),
        aliases=[rng.choice(NAMES)] if rng.random() < 0.3 else None,
        country=rng.choice(COUNTRIES),
        business_type="cloud_provider",
        deleted=True if rng.random() < 0.1 else None,
    )


def _party(rng: random.Random) -> Party:
    entity_id = f"ent-{rng.randint(0, 6)}" if rng.random() < 0.3 else None
    return Party(name=rng.choice(NAMES).upper(), country=rng.choice(COUNTRIES), entity_id=entity_id)


@pytest.mark.parametrize("capacity", [None, 8], ids=["default", "full-memo-forgets-older-half"])
def test_memoised_parties_equal_a_fresh_resolution_through_registry_changes(capacity: int | None) -> None:
    rng = random.Random(5)
    ref = Reference()
    if capacity is not None:
        ref._parties = PartyMemo(capacity)
    forgotten_partially = 0
    for serial in range(400):
        if rng.random() < 0.2:
            before = len(ref._parties)
            if ref.apply_entity(_entity(rng, serial)) and 0 < len(ref._parties) < before:
                forgotten_partially += 1
        party = _party(rng)
        assert ref.party(party) == ref._resolve(party), (serial, party)
    assert forgotten_partially > 0  # changes kept the parties of other countries


def test_a_registry_changed_behind_the_memo_empties_it() -> None:
    rng = random.Random(9)
    ref = Reference()
    parties = [_party(rng) for _ in range(30)]
    for party in parties:
        ref.party(party)
    ref.registry.apply(_entity(rng, 1))  # not through apply_entity
    for party in parties:
        assert ref.party(party) == ref._resolve(party)


def test_a_full_memo_forgets_its_older_half_and_still_forgets_by_entity_and_country() -> None:
    ref = Reference()
    memo = PartyMemo(4)
    parties = [Party(name=f"Party {i}", country=country, entity_id="ent-7" if i == 3 else None)
               for i, country in enumerate(["MY", "SG", "MY", "SG", "SG"])]
    for party in parties:
        memo.put(party, ref._resolve(party))
    assert [memo.get(p) is not None for p in parties] == [False, False, True, True, True]
    memo.forget("ent-7", ["MY"])  # the kept entity's party, and the kept party of MY
    assert [memo.get(p) is not None for p in parties] == [False, False, False, False, True]
