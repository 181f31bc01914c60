"""Screening thresholds, word lists and the ownership policy, from ``data/screening.toml``.

The file's comments explain each figure; this module only reads and checks them. Word
lists are normalised here exactly as names are, so the file can be written naturally
("Int'l", "Centre") and still compare equal to the words of a normalised name.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from detectors.parties._files import read_versioned_toml
from detectors.parties.normalize import name_tokens

__all__ = ["ScreeningConfig", "MatchSettings", "EvidenceSettings", "OwnershipPolicy", "WordLists"]

DEFAULT_SCREENING_PATH = Path(__file__).resolve().parent / "data" / "screening.toml"

Words = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MatchSettings:
    threshold: float
    min_name_score: float
    token_similarity: float
    fuzzy_min_length: int
    sound_alike_similarity: float
    list_side_weight: float
    common_word_weight: float
    max_results: int
    cache_size: int


@dataclass(frozen=True, slots=True)
class EvidenceSettings:
    country_match: float
    country_mismatch: float
    related_countries: tuple[frozenset[str], ...]
    address_match: float
    address_generic_words: frozenset[str]

    def related(self, a: str, b: str) -> bool:
        """Whether two countries are in one group that neither supports nor contradicts a match."""
        return any(a in group and b in group for group in self.related_countries)


@dataclass(frozen=True, slots=True)
class OwnershipPolicy:
    """When ownership by a listed party makes a party count as listed (``[ownership]``).

    The rule applies to events on or after ``effective_from`` (a UTC date; ``None``:
    whenever enabled), and never when ``affiliates_rule_enabled`` is off.
    """

    affiliates_rule_enabled: bool
    threshold_pct: float
    indirect: Literal["product", "cascade"]
    effective_from: dt.date | None = None

    def in_force(self, at: dt.datetime | None = None) -> bool:
        """Whether the rule applies to an event at business time ``at`` (UTC date).

        Without a time, a dated rule is not applied: callers must say when.
        """
        if not self.affiliates_rule_enabled:
            return False
        if self.effective_from is None:
            return True
        return at is not None and at.astimezone(dt.timezone.utc).date() >= self.effective_from

    def in_force_from(self) -> dt.datetime | None:
        """The first instant the rule applies at (``None``: never), for callers that
        follow business time event by event: for a timezone-aware ``at``,
        ``in_force(at)`` is ``at >= in_force_from()``, one comparison instead of a
        conversion to a UTC date."""
        if not self.affiliates_rule_enabled:
            return None
        if self.effective_from is None:
            return dt.datetime.min.replace(tzinfo=dt.timezone.utc)
        return dt.datetime.combine(self.effective_from, dt.time(), tzinfo=dt.timezone.utc)


@dataclass(frozen=True, slots=True, eq=False)
class WordLists:
    stopwords: frozenset[str]
    common: frozenset[str]
    places: frozenset[str]
    #: Word sequences mapped to one spelling; keys up to ``longest_equivalent`` words.
    equivalents: dict[Words, Words]
    longest_equivalent: int


@dataclass(frozen=True, slots=True, eq=False)
class ScreeningConfig:
    """Everything the matcher and the ownership rule read from ``screening.toml``."""

    version: str
    match: MatchSettings
    evidence: EvidenceSettings
    ownership: OwnershipPolicy
    words: WordLists

    @classmethod
    def load(cls, path: str | Path | None = None) -> ScreeningConfig:
        """Read ``data/screening.toml`` (or the versioned alternative at ``path``)."""
        document = read_versioned_toml(DEFAULT_SCREENING_PATH, path)
        match = MatchSettings(**document["match"])
        if not 0.0 < match.threshold <= 1.0 or not 0.0 <= match.list_side_weight <= 1.0:
            raise ValueError("screening: threshold must be in (0, 1] and list_side_weight in [0, 1]")
        evidence_doc = dict(document["evidence"])
        evidence = EvidenceSettings(
            country_match=float(evidence_doc["country_match"]),
            country_mismatch=float(evidence_doc["country_mismatch"]),
            related_countries=tuple(frozenset(group) for group in evidence_doc.get("related_countries", ())),
            address_match=float(evidence_doc["address_match"]),
            address_generic_words=frozenset(_words(evidence_doc.get("address_generic_words", ()))),
        )
        ownership_doc = document["ownership"]
        indirect = ownership_doc.get("indirect", "product")
        if indirect not in ("product", "cascade"):
            raise ValueError(f"screening: ownership.indirect must be 'product' or 'cascade', not {indirect!r}")
        effective_from = ownership_doc.get("affiliates_rule_effective_from")
        if effective_from is not None and (not isinstance(effective_from, dt.date)
                                           or isinstance(effective_from, dt.datetime)):
            raise ValueError(f"screening: ownership.affiliates_rule_effective_from must be a date, not {effective_from!r}")
        ownership = OwnershipPolicy(
            affiliates_rule_enabled=bool(ownership_doc["affiliates_rule_enabled"]),
            threshold_pct=float(ownership_doc["threshold_pct"]),
            indirect=indirect,
            effective_from=effective_from,
        )
        return cls(version=document["version"], match=match, evidence=evidence, ownership=ownership,
                   words=_word_lists(document["words"]))


def _words(spellings: Any) -> list[str]:
    return [" ".join(name_tokens(spelling)) for spelling in spellings]


def _word_lists(section: dict[str, Any]) -> WordLists:
    equivalents = {name_tokens(key): name_tokens(value) for key, value in section.get("equivalents", {}).items()}

    def canonical(words: list[str]) -> frozenset[str]:
        # Lists name canonical words; a spelling that has an equivalent counts as it.
        return frozenset(" ".join(equivalents.get((word,), (word,))) for word in words)

    return WordLists(
        stopwords=frozenset(_words(section.get("stopwords", ()))),
        common=canonical(_words(section.get("common", ()))),
        places=canonical(_words(section.get("places", ()))),
        equivalents=equivalents,
        longest_equivalent=max((len(key) for key in equivalents), default=1),
    )


@functools.lru_cache(maxsize=1)
def default_config() -> ScreeningConfig:
    """The shipped configuration, read once."""
    return ScreeningConfig.load()
