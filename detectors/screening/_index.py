"""The matcher's view of the list: compiled names, word frequencies, and candidate blocking.

Scoring every listed name for every party would cost O(list) per query; the real
Consolidated Screening List has tens of thousands of names. Instead, only listed names
that share a *distinctive* word with the query are scored: the word itself, its
sound-folded spelling, two adjacent words joined, or a near spelling found with
rapidfuzz in the list's vocabulary. Listed names without any distinctive word can only
match in full, so they are found by their complete (sorted) word set.

The index follows the list incrementally: on a version change only entries whose record
object changed are recompiled, so a list update costs a pass over ids, not a rebuild.
Each update is a *generation*, and the index remembers in which generation every lookup
key and vocabulary word was last added: a name that had no candidates in an earlier
generation still has none unless one of its lookups was added since
(:meth:`ListIndex.still_unlike_any`), which is how the matcher avoids searching again for
nearly every name on trade documents after each list update.
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

__all__ = ["CompiledName", "CompiledEntry", "ListIndex", "Probe", "probe"]

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


@dataclass(frozen=True, slots=True)
class Probe:
    """Every lookup :meth:`ListIndex.candidates` makes for a name: a function of the name alone."""

    generic: tuple[str, ...]  # its sorted words, for listed names that match only in full
    keys: tuple[str, ...]  # distinctive words and joined pairs, with their folded spellings
    distinctive: tuple[str, ...]  # words searched for near spellings in the vocabulary


def probe(query: MatchName) -> Probe:
    """What :meth:`ListIndex.candidates` looks up for ``query``, worked out once."""
    distinctive, joined = _search_words(query)
    keys = tuple(key for token in distinctive + joined for key in (token, sound_fold(token)))
    return Probe(tuple(sorted(query.tokens)), keys, tuple(distinctive))


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
        #: Bumped by every sync. Since generation ``_history_from``, the generation each
        #: lookup key was last added in, and the vocabulary words each generation added;
        #: once that history holds ``cache_size`` words it restarts, and names known from
        #: before search again.
        self.generation = 0
        self._added_at: dict[str | tuple[str, ...], int] = {}
        self._new_words: dict[int, list[str]] = {}
        self._new_words_since: dict[int, list[str]] = {}  # searchable words added after a generation
        self._near_new: dict[tuple[str, int], bool] = {}  # until the next sync
        self._history_from = 0

    # -- following the list ------------------------------------------------------

    def sync(self, entries: Mapping[str, ScreeningEntry]) -> None:
        """Bring the index in line with ``entries`` (the list's live records)."""
        self.generation += 1
        self._new_words_since.clear()
        self._near_new.clear()
        if sum(map(len, self._new_words.values())) >= self._settings.cache_size:
            self._added_at.clear()
            self._new_words.clear()
            self._history_from = self.generation
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
        words = [word for name in compiled.names for word in name.words]
        self._vocabulary.update(words)
        self._new_words.setdefault(self.generation, []).extend(words)
        for index, key, ref in self._refs(compiled):
            index[key].add(ref)
            self._added_at[key] = self.generation

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

    def candidates(self, lookups: Probe) -> dict[str, set[int]]:
        """Listed names worth scoring against a name (its ``probe``): entry id -> name indexes."""
        refs: set[_NameRef] = set(self._generic.get(lookups.generic, ()))
        for key in lookups.keys:
            refs |= self._postings.get(key, set())
        for token in lookups.distinctive:
            for key in self._near_spellings(token):
                refs |= self._postings.get(key, set())
        found: dict[str, set[int]] = defaultdict(set)
        for entry_id, index in refs:
            found[entry_id].add(index)
        return found

    def still_unlike_any(self, lookups: Probe, generation: int) -> bool:
        """Whether a name that had no candidates in ``generation`` still has none.

        It does unless one of its lookups was added since: a key of its own, or a
        vocabulary word near one of its distinctive words (words only ever become near
        by being added, since nearness is a fixed function of two words).
        """
        if generation == self.generation:
            return True
        if generation < self._history_from:
            return False
        added_at = self._added_at
        if added_at.get(lookups.generic, -1) > generation or any(added_at.get(key, -1) > generation
                                                                 for key in lookups.keys):
            return False
        return not any(self._near_new_word(token, generation) for token in lookups.distinctive)

    def _near_new_word(self, token: str, generation: int) -> bool:
        """Whether a vocabulary word added after ``generation`` is a near spelling of ``token``
        (memoised until the next sync: a few hundred words recur in thousands of names)."""
        key = (token, generation)
        found = self._near_new.get(key)
        if found is None:
            new_words = self._new_words_since.get(generation)
            if new_words is None:
                new_words = self._new_words_since[generation] = self._searchable(
                    word for at, words in self._new_words.items() if at > generation for word in words)
            if len(self._near_new) >= self._settings.cache_size:
                self._near_new.clear()
            found = self._near_new[key] = bool(self._near(token, new_words))
        return found

    def _searchable(self, words: Iterable[str]) -> list[str]:
        """The words long enough to be searched for near spellings, sorted."""
        minimum = self._settings.fuzzy_min_length
        return sorted({word for word in words if len(word) >= minimum})

    def _near_spellings(self, token: str) -> tuple[str, ...]:
        """Vocabulary keys that ``token`` pairs with under the word-similarity rules."""
        if len(token) < self._settings.fuzzy_min_length or token in self._postings:
            return ()
        cached = self._neighbours.get(token)
        if cached is not None:
            return cached
        if self._vocabulary_list is None:
            self._vocabulary_list = self._searchable(self._vocabulary)
        result = self._near(token, self._vocabulary_list)
        if len(self._neighbours) >= self._settings.cache_size:
            self._neighbours.clear()
        self._neighbours[token] = result
        return result

    def _near(self, token: str, words: list[str]) -> tuple[str, ...]:
        """The ``words`` (searchable ones) that ``token`` pairs with, sorted."""
        if len(token) < self._settings.fuzzy_min_length:
            return ()
        # Folded spellings may be a little further apart before folding; the exact
        # rule (WordMatching.similarity) is applied to whatever the search returns.
        cutoff = (self._settings.token_similarity - 0.1) * 100.0
        near: set[str] = set()
        for spelling in {token, sound_fold(token)}:
            found = process.extract(spelling, words, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
            near.update(key for key, _, _ in found if self._matching.similarity(token, key) > 0.0)
        return tuple(sorted(near))
