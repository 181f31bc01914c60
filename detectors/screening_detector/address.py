"""Listed street addresses: a front company at a listed party's address.

A party whose name matches nothing can still sit at the address of a listed entry (BIS
KYC guidance: "address similar to a listed party"). A listed address counts as found in
a party's address when, in the same country (or a related one: CN/HK/MO), all of:

* the listed city, when the entry gives one, is named;
* when the listed street carries numbers, at least half of them are ("1768 Xinluo
  Avenue" is not "12 Xinluo Avenue"; unit "#27-18" is not "#13-18");
* at least ``address_min_share`` of the listed street's distinctive words are present
  (generic words such as ROAD, DISTRICT, TOWER, HIGH-TECH ZONE say nothing about
  *which* address it is and do not count);
* the evidence adds up to ``address_min_evidence``: one per distinctive word found, one
  for the number, one for the city. "1036 Langchao Road, High-Tech Zone, Jinan" gives
  3; "Haidian District, Beijing" gives 2 and never matches on its own.

Only entries sharing a distinctive street word are compared (an inverted index), so a
long list costs a few dictionary lookups per address.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from detectors.memo import make_room
from detectors.parties.normalize import name_tokens
from detectors.screening import ScreeningList
from detectors.screening.config import EvidenceSettings

__all__ = ["AddressMatch", "ListedAddresses"]


@dataclass(frozen=True, slots=True)
class AddressMatch:
    entry_id: str
    list: str
    listed_name: str
    listed_address: str
    score: float  # share of the listed street's distinctive words found
    explanation: str


@dataclass(frozen=True, slots=True)
class _Listed:
    entry_id: str
    list: str
    listed_name: str
    text: str
    country: str
    city: frozenset[str]
    words: frozenset[str]
    numbers: frozenset[str]


class ListedAddresses:
    """The list's street addresses, indexed by distinctive word; follows the list's version."""

    def __init__(self, evidence: EvidenceSettings, min_share: float, min_evidence: int, cache_size: int = 50_000) -> None:
        self._evidence = evidence
        self._cache_size = cache_size
        self._min_share = min_share
        self._min_evidence = min_evidence
        self._by_word: dict[str, list[_Listed]] = {}
        self._version: str | None = None
        self._cache: dict[tuple[str, str], tuple[AddressMatch, ...]] = {}

    def sync(self, screening_list: ScreeningList) -> None:
        if self._version == screening_list.version:
            return
        by_word: defaultdict[str, list[_Listed]] = defaultdict(list)
        for entry in screening_list:  # id order: candidates come out in a stable order
            for address in entry.addresses or ():
                if not address.address:
                    continue
                tokens = name_tokens(address.address)
                words = frozenset(t for t in tokens if not t.isdigit() and t not in self._evidence.address_generic_words)
                if not words:
                    continue
                listed = _Listed(
                    entry_id=entry.entry_id,
                    list=entry.list,
                    listed_name=entry.name,
                    text=", ".join(part for part in (address.address, address.city) if part),
                    country=address.country,
                    city=frozenset(name_tokens(address.city)) if address.city else frozenset(),
                    words=words,
                    numbers=frozenset(t for t in tokens if t.isdigit()),
                )
                for word in words:
                    by_word[word].append(listed)
        self._by_word = dict(by_word)
        self._version = screening_list.version
        self._cache.clear()

    def match(self, address: str | None, country: str) -> tuple[AddressMatch, ...]:
        """Listed entries whose street address ``address`` names (best first, one per entry)."""
        if not address:
            return ()
        key = (address, country)
        cached = self._cache.get(key)
        if cached is None:
            make_room(self._cache, self._cache_size)
            cached = self._cache[key] = self._match(address, country)
        return cached

    def _match(self, address: str, country: str) -> tuple[AddressMatch, ...]:
        tokens = set(name_tokens(address))
        best: dict[str, AddressMatch] = {}
        seen: set[int] = set()
        for word in sorted(tokens):
            for listed in self._by_word.get(word, ()):
                if id(listed) in seen:
                    continue
                seen.add(id(listed))
                if listed.country != country and not self._evidence.related(listed.country, country):
                    continue
                if not listed.city <= tokens or 2 * len(listed.numbers & tokens) < len(listed.numbers):
                    continue
                shared = listed.words & tokens
                share = len(shared) / len(listed.words)
                evidence = len(shared) + bool(listed.numbers) + bool(listed.city)
                if share < self._min_share or evidence < self._min_evidence:
                    continue
                current = best.get(listed.entry_id)
                if current is None or share > current.score:
                    best[listed.entry_id] = AddressMatch(
                        entry_id=listed.entry_id,
                        list=listed.list,
                        listed_name=listed.listed_name,
                        listed_address=listed.text,
                        score=round(share, 4),
                        explanation=(
                            f"address '{address}' ~ listed address '{listed.text}' "
                            f"({len(shared)} of {len(listed.words)} distinctive words"
                            f"{', same numbers' if listed.numbers else ''}{', same city' if listed.city else ''})"
                        ),
                    )
        return tuple(sorted(best.values(), key=lambda m: (-m.score, m.entry_id)))
