"""Restricted-party screening: does a party's name look like a listed name?

Analysts' first complaint about screening tools is false positives from common words
("CORP", "TRADING"); the second is misses on transliterations and typos. The matcher
addresses both with word weights (rare words decide, common words barely count, see
``data/screening.toml``), one-to-one word pairing that tolerates typos, sound-alike
spellings, joined or split syllables and any word order (:mod:`._align`), and a rule
that a listed name's distinctive word must be found for it to match at all.

Country and address are supporting evidence: they move a score by a few hundredths,
and only for names that are already close. Every match carries the figures behind it
and a sentence saying why, because an analyst must be able to defend or dismiss it.

Names that share no word with any listed name (nearly all of them) are remembered by
their screening words alone, since no spelling, country or address can make them match,
and across list updates that add nothing they look up. The others' results are cached per
(name, country, address, threshold) and dropped whenever the list's version changes, so
continuous re-screening after a list update re-runs automatically and re-screening an
unchanged party costs a dictionary lookup. A matcher has one configuration for life; a
new configuration means a new matcher.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from rapidfuzz import fuzz

from detectors.memo import make_room
from detectors.parties.normalize import name_tokens
from detectors.screening._align import Alignment, Unit, WordMatching, align, units
from detectors.screening._index import CompiledEntry, ListIndex, Probe, probe
from detectors.screening._words import MatchName, match_name
from detectors.screening.config import ScreeningConfig, default_config
from detectors.screening.lists import ScreeningList
from schemas.events import Party, ScreeningEntry

__all__ = ["ScreeningMatch", "ScreeningMatcher"]


class ScreeningMatch(msgspec.Struct, frozen=True, kw_only=True):
    """One listed entry a name resembles. Treat ``components`` as read-only (results are cached).

    ``matched_alias`` is the alternate name that matched, or ``None`` when it was the
    primary ``listed_name``. ``components`` holds the figures behind ``score``: the
    name score and its parts, the country and address adjustments, the threshold, and
    the config and list versions used.
    """

    entry_id: str
    list: str
    listed_name: str
    matched_alias: str | None
    score: float
    explanation: str
    components: dict[str, float | str]


@dataclass(frozen=True, slots=True)
class _NameScore:
    name_index: int
    alignment: Alignment
    score: float


class ScreeningMatcher:
    """Screens names against a :class:`ScreeningList`, following its updates."""

    def __init__(self, screening_list: ScreeningList, config: ScreeningConfig | None = None) -> None:
        self._list = screening_list
        self._config = config or default_config()
        settings = self._config.match
        self._matching = WordMatching(
            settings.token_similarity, settings.fuzzy_min_length, settings.sound_alike_similarity
        )
        self._index = ListIndex(self._config.words, settings, self._matching)
        self._indexed_version: str | None = None
        self._cache: dict[tuple[str, str | None, str | None, float], tuple[ScreeningMatch, ...]] = {}
        #: Wordings (screening words) sharing no word with any listed name (no candidates:
        #: no match at any threshold), with the index generation they were last known so
        #: in, and their lookups.
        self._unlike_any: dict[tuple[str, ...], tuple[int, Probe]] = {}

    @property
    def config(self) -> ScreeningConfig:
        return self._config

    @property
    def list_version(self) -> str:
        """Version of the list that results are computed against (the list's current one)."""
        return self._list.version

    def match(
        self, name: str, country: str | None = None, address: str | None = None, *, threshold: float | None = None
    ) -> list[ScreeningMatch]:
        """Listed entries that ``name`` resembles, best first (at most ``max_results``).

        ``threshold`` overrides the configured one, e.g. to let an analyst look below it.
        """
        if self._indexed_version != self._list.version:
            self._index.sync(self._list.entries)
            self._indexed_version = self._list.version
            self._cache.clear()
        cut = self._config.match.threshold if threshold is None else threshold
        key = (name, country, address, cut)
        cached = self._cache.get(key)
        if cached is None:
            query = match_name(name, self._config.words)
            candidates = self._candidates(query)
            if not candidates:
                return []  # no country or address can make it match: nothing worth caching
            cached = self._scored(query, candidates, country, address, cut)
            make_room(self._cache, self._config.match.cache_size)
            self._cache[key] = cached
        return list(cached)

    def match_party(self, party: Party, *, threshold: float | None = None) -> list[ScreeningMatch]:
        """:meth:`match` with a contract ``Party``'s name, country and address."""
        return self.match(party.name, party.country, party.address, threshold=threshold)

    # -- scoring -------------------------------------------------------------------

    def _candidates(self, query: MatchName) -> dict[str, set[int]]:
        """Listed names worth scoring against ``query``: none for nearly every name.

        Nearly every name on trade documents shares no word with any listed name. That
        is found once per wording (its screening words: every spelling of a name, and
        any country or address written with it, share the answer) and stays so across
        list updates that add nothing it looks up (``ListIndex.still_unlike_any``).
        """
        known = self._unlike_any.get(query.tokens)
        if known is not None:
            generation, lookups = known
            if generation == self._index.generation:
                return {}
            if self._index.still_unlike_any(lookups, generation):
                self._unlike_any[query.tokens] = (self._index.generation, lookups)
                return {}
            del self._unlike_any[query.tokens]
        else:
            lookups = probe(query)
        candidates = self._index.candidates(lookups)
        if not candidates:
            make_room(self._unlike_any, self._config.match.cache_size)
            self._unlike_any[query.tokens] = (self._index.generation, lookups)
        return candidates

    def _scored(self, query: MatchName, candidates: dict[str, set[int]], country: str | None, address: str | None,
                cut: float) -> tuple[ScreeningMatch, ...]:
        name = query.text
        query_units = units(query.tokens)
        query_weights = [self._index.weight(token, kind) for token, kind in zip(query.tokens, query.kinds)]
        matches = []
        for entry_id, name_indexes in candidates.items():
            compiled = self._index.compiled[entry_id]
            best = self._best_name(query_units, query_weights, compiled, name_indexes)
            if best is None:
                continue
            match = self._with_evidence(name, country, address, compiled, best, cut)
            if match is not None:
                matches.append(match)
        matches.sort(key=lambda m: (-m.score, m.entry_id))
        return tuple(matches[: self._config.match.max_results])

    def _best_name(
        self, query_units: tuple[Unit, ...], query_weights: list[float], compiled: CompiledEntry, name_indexes: set[int]
    ) -> _NameScore | None:
        settings = self._config.match
        best: _NameScore | None = None
        for name_index in sorted(name_indexes):
            candidate = compiled.names[name_index]
            listed = candidate.name
            listed_weights = [self._index.weight(token, kind) for token, kind in zip(listed.tokens, listed.kinds)]
            alignment = align(
                query_units, query_weights, candidate.units, listed_weights, candidate.distinctive_mask, self._matching
            )
            # Common words and places never make a match: a listed name with a
            # distinctive word needs it found. Generic names, and names whose only
            # distinctive words are acronyms ("ESC"), match only in full: "ESC
            # Logistics" is not "ESC".
            if not (alignment.complete if candidate.full_match_only else alignment.distinctive_found):
                continue
            score = (
                settings.list_side_weight * alignment.list_coverage
                + (1.0 - settings.list_side_weight) * alignment.query_coverage
            )
            if best is None or score > best.score:
                best = _NameScore(name_index, alignment, score)
        return best

    def _with_evidence(
        self, name: str, country: str | None, address: str | None, compiled: CompiledEntry, best: _NameScore, cut: float
    ) -> ScreeningMatch | None:
        settings = self._config.match
        entry = compiled.entry
        country_adjustment = address_adjustment = 0.0
        notes: list[str] = []
        if best.score >= settings.min_name_score:
            country_adjustment, country_note = self._country_evidence(country, entry)
            address_adjustment, address_note = self._address_evidence(address, entry)
            notes = [note for note in (country_note, address_note) if note]
        score = min(1.0, max(0.0, best.score + country_adjustment + address_adjustment))
        if score < cut:
            return None
        listed_text = compiled.names[best.name_index].name.text
        is_alias = listed_text != entry.name
        alignment = best.alignment
        whole = fuzz.token_sort_ratio(" ".join(name_tokens(name)), " ".join(name_tokens(listed_text))) / 100.0
        explanation = (
            f"name '{name}' ~ {'alias' if is_alias else 'listed name'} '{listed_text}' "
            f"(token overlap {alignment.list_coverage:.2f}, edit similarity {alignment.edit_similarity:.2f})"
        )
        if notes:
            explanation += "; " + "; ".join(notes)
        return ScreeningMatch(
            entry_id=entry.entry_id,
            list=entry.list,
            listed_name=entry.name,
            matched_alias=listed_text if is_alias else None,
            score=round(score, 4),
            explanation=explanation,
            components={
                "name_score": round(best.score, 4),
                "token_overlap": round(alignment.list_coverage, 4),
                "query_coverage": round(alignment.query_coverage, 4),
                "edit_similarity": round(alignment.edit_similarity, 4),
                "whole_name_similarity": round(whole, 4),
                "country_adjustment": country_adjustment,
                "address_adjustment": address_adjustment,
                "threshold": cut,
                "config_version": self._config.version,
                "list_version": self._indexed_version or "",
            },
        )

    def _country_evidence(self, country: str | None, entry: ScreeningEntry) -> tuple[float, str]:
        listed = sorted({address.country for address in entry.addresses or ()})
        if country is None or not listed:
            return 0.0, ""
        evidence = self._config.evidence
        if country in listed:
            return evidence.country_match, f"country {country} matches listed address"
        if any(evidence.related(country, other) for other in listed):
            return 0.0, f"country {country} is related to listed {'/'.join(listed)}"
        return evidence.country_mismatch, f"country {country} differs from listed {'/'.join(listed)}"

    def _address_evidence(self, address: str | None, entry: ScreeningEntry) -> tuple[float, str]:
        if not address or not entry.addresses:
            return 0.0, ""
        evidence = self._config.evidence
        words = set(name_tokens(address))
        for listed in entry.addresses:
            city = name_tokens(listed.city) if listed.city else ()
            if city and set(city) <= words:
                return evidence.address_match, f"address mentions listed city {listed.city}"
            street = {
                word
                for word in (name_tokens(listed.address) if listed.address else ())
                if not word.isdigit() and word not in evidence.address_generic_words
            }
            if len(street) >= 2 and len(street & words) * 2 >= len(street):
                return evidence.address_match, "address shares most words of a listed address"
        return 0.0, ""
