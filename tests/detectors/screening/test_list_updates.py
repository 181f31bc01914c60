"""A matcher that follows list updates answers as a matcher built on the updated list.

The matcher remembers names that share nothing with the list across updates, as long as
an update adds nothing they look up (``ListIndex.still_unlike_any``). These tests list,
re-list and delist entries that such a name would then find through each kind of lookup
(a word, a folded spelling, a near spelling, a generic name in full) and compare every
answer, near misses included (threshold 0), with a fresh matcher's.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.screening import ScreeningConfig, ScreeningList, ScreeningMatcher, default_config
from detectors.screening._align import WordMatching
from detectors.screening._index import ListIndex, probe
from detectors.screening._words import match_name
from schemas import ScreeningEntry
from tests.detectors.screening._build import ENTRIES, screening_entry

#: Entries that the names below share nothing with until they are listed.
LATER = (
    screening_entry("aurora", "Aurora Compute Sdn Bhd", countries=("MY",)),  # AURORA: a word
    screening_entry("fenghua", "Fenghua Systems Ltd"),  # PHENGHUA folds to FENGHUA
    screening_entry("kestrel", "Kestrel Holdings"),  # KESTRAL is a near spelling of KESTREL
    screening_entry("cloud", "Shenzhen Cloud Computing Trading"),  # no distinctive word: in full only
)
NAMES = (
    "Aurora Compute", "Aurora Trading Ltd", "Phenghua Systems", "Kestral Holdings", "Kestrel Logistics",
    "Shenzhen Cloud Computing Trading", "Shenzhen Trading", "Sugon", "Inspurr Group", "Harbour Lane Trading Pte Ltd",
    "ESC", "Zhong Ke Shu Guang", "", "Ltd",
)


def _same_answers(following: ScreeningMatcher, records: list[ScreeningEntry],
                  config: ScreeningConfig | None = None) -> None:
    fresh = ScreeningMatcher(ScreeningList.of(records), config)
    for name in NAMES:
        for country in ("CN", "MY", None):
            for threshold in (None, 0.0):
                assert (following.match(name, country, threshold=threshold)
                        == fresh.match(name, country, threshold=threshold)), (name, country, threshold)


def _relisted(entry: ScreeningEntry, day: int, *, deleted: bool = False) -> ScreeningEntry:
    return screening_entry(entry.entry_id, entry.name, *(entry.alt_names or ()), day=day, list=entry.list,
                           deleted=deleted, countries=tuple(a.country for a in entry.addresses or ()))


def test_names_that_shared_nothing_find_what_is_listed_later() -> None:
    records = list(ENTRIES)
    screening_list = ScreeningList.of(records)
    following = ScreeningMatcher(screening_list)
    _same_answers(following, records)  # every name searched once
    for day, entry in enumerate(LATER, start=1):
        update = _relisted(entry, day)
        screening_list.apply(update)
        records.append(update)
        _same_answers(following, records)
    for name, entry_id in [("Aurora Compute", "aurora"), ("Phenghua Systems", "fenghua"),
                           ("Kestral Holdings", "kestrel"), ("Shenzhen Cloud Computing Trading", "cloud")]:
        assert entry_id in {m.entry_id for m in following.match(name, threshold=0.0)}, name


POOL = (*ENTRIES[:4], *LATER)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(range(len(POOL))), st.booleans()), min_size=1, max_size=10))
def test_any_sequence_of_listings_and_delistings(operations: list[tuple[int, bool]]) -> None:
    screening_list = ScreeningList()
    following = ScreeningMatcher(screening_list)
    records: list[ScreeningEntry] = []
    for day, (index, delist) in enumerate(operations, start=1):
        update = _relisted(POOL[index], day, deleted=delist)
        screening_list.apply(update)
        records.append(update)
        _same_answers(following, records)


@pytest.mark.parametrize("cache_size", [1, 3])
def test_history_beyond_its_bound_is_forgotten_not_trusted(cache_size: int) -> None:
    # The index keeps what recent updates added for at most cache_size words: a name
    # known to share nothing before that must search again, even where what was added
    # then is no longer in the history.
    shipped = default_config()
    settings = dataclasses.replace(shipped.match, cache_size=cache_size)
    index = ListIndex(shipped.words, settings, WordMatching(settings.token_similarity, settings.fuzzy_min_length,
                                                            settings.sound_alike_similarity))
    screening_list = ScreeningList.of(ENTRIES)
    index.sync(screening_list.entries)
    lookups, known_at = probe(match_name("Aurora Compute", shipped.words)), index.generation
    assert not index.candidates(lookups) and index.still_unlike_any(lookups, known_at)
    for day, entry in enumerate((LATER[0], screening_entry("zeta", "Zeta Optics Ltd")), start=1):
        screening_list.apply(_relisted(entry, day))
        index.sync(screening_list.entries)
    assert index.candidates(lookups)
    assert not index.still_unlike_any(lookups, known_at)
