"""The matcher's view of the list: compiled names, word frequencies, and candidate blocking.

Scoring every listed name for every party would cost O(list) per query; the real
Consolidated Screening List has tens of thousands of names. Instead, only listed names
that share a *distinctive* word with the query are scored: the word itself, its
sound-folded spelling, two adjacent words joined, or a near spelling found with
rapidfuzz in the list's vocabulary. Listed names without any distinctive word can only
match in full, so they are found by their complete (sorted) word set.

The index follows the list incrementally: on a version change only entries whose record
object changed are recompiled, so a list update costs a pass over ids, not a rebuild.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from detectors.screening._align import Unit, WordMatching, units
from detectors.screening._phonetic import sound_fold
from detectors.screening._words import MatchName, match_name
from detectors.screening.config import MatchSettings, WordLists
from schemas.events import ScreeningEntry

__all__ = ["CompiledName", "CompiledEntry", "ListIndex"]

_NameRef = tuple[str, int]  # (entry_id, index into CompiledEntry.names)


@dataclass(frozen=True, slots=True)
class CompiledName:
    name: MatchName
    units: tuple[Unit, ...]
    distinctive_mask: tuple[bool, ...]
    #: Exact-lookup keys: distinctive words, joined pairs, and their folded spellings.
    keys: frozenset[str]
    #: Keys searched for near spellings: distinctive words and their folded spellings.
    words: frozenset[str]
    #: Names without a distinctive word long enough to be typo-tolerant (generic names,
    #: acronyms like "ESC") match only when every word on both sides pairs.
    full_match_only: bool


@dataclass(frozen=True, slots=True)
class CompiledEntry:
    """An entry with its names ready for matching; ``names[0]`` is the primary name."""

    entry: ScreeningEntry
    names: tuple[CompiledName, ...]
    words: frozenset[str]


def _spelling_keys(tokens: Iterable[str]) -> set[str]:
    return {key for token in tokens for key in (token, sound_fold(token))}


def _search_words(name: MatchName) -> tuple[list[str], list[str]]:
    """Distinctive words, and adjacent pairs joined where one of them is distinctive."""
    pairs = zip(name.tokens, name.kinds, name.tokens[1:], name.kinds[1:])
    joined = [a + b for a, kind_a, b, kind_b in pairs if "distinctive" in (kind_a, kind_b)]
    return [token for token, kind in zip(name.tokens, name.kinds) if kind == "distinctive"], joined


def _compile(entry: ScreeningEntry, words: WordLists, min_length: int) -> CompiledEntry:
    names = []
    for text in (entry.name, *(entry.alt_names or ())):
        name = match_name(text, words)
        if name.tokens:
            distinctive, joined = _search_words(name)
            keys = _spelling_keys(distinctive + joined) if name.distinctive else set()
            mask = tuple(kind == "distinctive" for kind in name.kinds)
            full_only = all(len(word) < min_length for word in distinctive)
            names.append(
                CompiledName(
                    name, units(name.tokens), mask, frozenset(keys), frozenset(_spelling_keys(distinctive)), full_only
                )
            )
    return CompiledEntry(
        entry=entry,
        names=tuple(names),
        words=frozenset(token for compiled in names for token in compiled.name.tokens),
    )


class ListIndex:
    """Compiled entries, document frequencies and posting lists for one config."""

    def __init__(self, words: WordLists, settings: MatchSettings, matching: WordMatching) -> None:
        self._words = words
        self._settings = settings
        self._matching = matching
        self.compiled: dict[str, CompiledEntry] = {}
        self._df: Counter[str] = Counter()
        self._postings: defaultdict[str, set[_NameRef]] = defaultdict(set)
        self._generic: defaultdict[tuple[str, ...], set[_NameRef]] = defaultdict(set)
        self._vocabulary: Counter[str] = Counter()
        self._vocabulary_list: list[str] | None = None
        self._neighbours: dict[str, tuple[str, ...]] = {}

    # -- following the list ------------------------------------------------------

    def sync(self, entries: Mapping[str, ScreeningEntry]) -> None:
        """Bring the index in line with ``entries`` (the list's live records)."""
        for entry_id in [entry_id for entry_id in self.compiled if entry_id not in entries]:
            self._remove(entry_id)
        for entry_id, entry in entries.items():
            current = self.compiled.get(entry_id)
            if current is None or current.entry is not entry:
                if current is not None:
                    self._remove(entry_id)
                self._add(_compile(entry, self._words, self._settings.fuzzy_min_length))
        self._vocabulary_list = None
        self._neighbours.clear()

    def _refs(self, compiled: CompiledEntry) -> Iterable[tuple[defaultdict, object, _NameRef]]:
        entry_id = compiled.entry.entry_id
        for index, name in enumerate(compiled.names):
            ref = (entry_id, index)
            if name.name.distinctive:
                for key in name.keys:
                    yield self._postings, key, ref
            else:
                yield self._generic, tuple(sorted(name.name.tokens)), ref

    def _add(self, compiled: CompiledEntry) -> None:
        self.compiled[compiled.entry.entry_id] = compiled
        self._df.update(compiled.words)
        self._vocabulary.update(word for name in compiled.names for word in name.words)
        for index, key, ref in self._refs(compiled):
            index[key].add(ref)

    def _remove(self, entry_id: str) -> None:
        compiled = self.compiled.pop(entry_id)
        searched = [word for name in compiled.names for word in name.words]
        self._df.subtract(compiled.words)
        self._vocabulary.subtract(searched)
        for counter, words in ((self._df, compiled.words), (self._vocabulary, searched)):
            for word in words:
                if counter.get(word, 0) <= 0:
                    counter.pop(word, None)
        for index, key, ref in self._refs(compiled):
            index[key].discard(ref)
            if not index[key]:
                del index[key]

    # -- weights -------------------------------------------------------------------

    def weight(self, token: str, kind: str) -> float:
        """Smoothed inverse document frequency over entries; common words scaled down.

        A word the list does not contain gets the highest weight: an unexplained word
        in a query is evidence that it names someone else.
        """
        idf = math.log((1 + len(self.compiled)) / (1 + self._df.get(token, 0))) + 1.0
        return idf * self._settings.common_word_weight if kind == "common" else idf

    # -- blocking ------------------------------------------------------------------

    def candidates(self, query: MatchName) -> dict[str, set[int]]:
        """Listed names worth scoring against ``query``: entry id -> name indexes."""
        refs: set[_NameRef] = set(self._generic.get(tuple(sorted(query.tokens)), ()))
        distinctive, joined = _search_words(query)
        for token in distinctive + joined:
            for key in (token, sound_fold(token)):
                refs |= self._postings.get(key, set())
        for token in distinctive:
            for key in self._near_spellings(token):
                refs |= self._postings.get(key, set())
        found: dict[str, set[int]] = defaultdict(set)
        for entry_id, index in refs:
            found[entry_id].add(index)
        return found

    def _near_spellings(self, token: str) -> tuple[str, ...]:
        """Vocabulary keys that ``token`` pairs with under the word-similarity rules."""
        if len(token) < self._settings.fuzzy_min_length or token in self._postings:
            return ()
        cached = self._neighbours.get(token)
        if cached is not None:
            return cached
        if self._vocabulary_list is None:
            minimum = self._settings.fuzzy_min_length
            self._vocabulary_list = sorted(word for word in self._vocabulary if len(word) >= minimum)
        # Folded spellings may be a little further apart before folding; the exact
        # rule (WordMatching.similarity) is applied to whatever the search returns.
        cutoff = (self._settings.token_similarity - 0.1) * 100.0
        near: set[str] = set()
        for probe in {token, sound_fold(token)}:
            found = process.extract(probe, self._vocabulary_list, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
            near.update(key for key, _, _ in found if self._matching.similarity(token, key) > 0.0)
        result = tuple(sorted(near))
        if len(self._neighbours) >= self._settings.cache_size:
            self._neighbours.clear()
        self._neighbours[token] = result
        return result
