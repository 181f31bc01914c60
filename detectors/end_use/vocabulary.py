"""The end-use detector's word lists and classifications (``data/end_use.toml``).

Keyword matching is by whole word or whole phrase on a normal form (upper case,
anything but letters and digits folded to one space), so "Apt. 4B" matches ``APT`` and
"Realty" never matches inside another word. Lists are data with a ``version`` that every
alert quotes, so tuning them is a reviewed data change, never a code change.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detectors.memo import make_room

__all__ = ["Vocabulary", "default_vocabulary", "normal_text", "DEFAULT_VOCABULARY_PATH"]

DEFAULT_VOCABULARY_PATH = Path(__file__).resolve().parent / "data" / "end_use.toml"
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
_CACHE_SIZE = 50_000
_QUESTIONS = ("licence", "mismatch", "forwarder", "trading", "address")
_UNANSWERED = object()


def normal_text(text: str | None) -> str:
    """`` APT 4B MAPLE ST `` style: upper case, one space between words, padded with spaces."""
    if not text:
        return " "
    return f" {_NOT_ALNUM.sub(' ', text.upper()).strip()} "


def _phrases(words: list[str]) -> tuple[str, ...]:
    return tuple(normal_text(word) for word in words if normal_text(word).strip())


def _contains_any(text: str | None, phrases: tuple[str, ...]) -> str | None:
    """The first phrase found in ``text`` as whole words, or ``None``."""
    normal = normal_text(text)
    for phrase in phrases:
        if phrase in normal:
            return phrase.strip()
    return None


@dataclass(frozen=True, slots=True)
class Vocabulary:
    version: str
    strong_flags: frozenset[str]
    weak_flags: frozenset[str]
    no_licence: frozenset[str]
    licence_exceptions: frozenset[str]
    absent_is_none_in_groups: tuple[str, ...]
    mismatch_types: frozenset[str]
    mismatch_name_words: tuple[str, ...]
    forwarder_types: frozenset[str]
    forwarder_name_words: tuple[str, ...]
    trading_name_words: tuple[str, ...]
    residential_words: tuple[str, ...]
    residential_word_groups: tuple[tuple[str, ...], ...]
    residential_patterns: tuple[re.Pattern[str], ...]
    virtual_words: tuple[str, ...]
    mismatched_end_uses: frozenset[str]
    mismatched_categories: frozenset[str]
    unusual_payment_methods: frozenset[str]
    watch_payer_countries: frozenset[str]
    # Answers per question, by text (absent text too): parties recur on thousands of
    # documents, and a relevant order asks a dozen questions. Bounded.
    _answers: dict[str, dict[str | None, Any]] = field(
        default_factory=lambda: {question: {} for question in _QUESTIONS}, compare=False, hash=False, repr=False
    )

    @classmethod
    def load(cls, path: str | Path | None = None) -> Vocabulary:
        source = Path(path) if path is not None else DEFAULT_VOCABULARY_PATH
        with source.open("rb") as handle:
            doc = tomllib.load(handle)
        version = doc.get("version")
        if not isinstance(version, str) or not version:
            raise ValueError(f'{source}: needs a top-level version = "YYYY-MM-DD.N"')
        strong, weak = frozenset(doc["flags"]["strong"]), frozenset(doc["flags"]["weak"])
        if strong & weak:
            raise ValueError(f"{source}: flags both strong and weak: {sorted(strong & weak)}")
        return cls(
            version=version,
            strong_flags=strong,
            weak_flags=weak,
            no_licence=frozenset(normal_text(v).strip() for v in doc["licence"]["no_licence"]),
            licence_exceptions=frozenset(normal_text(v).strip() for v in doc["licence"]["licence_exceptions"]),
            absent_is_none_in_groups=tuple(doc["licence"].get("absent_is_none_in_groups", ())),
            mismatch_types=frozenset(doc["business_line"]["mismatch_types"]),
            mismatch_name_words=_phrases(doc["business_line"]["mismatch_name_words"]),
            forwarder_types=frozenset(doc["consignee"]["forwarder_types"]),
            forwarder_name_words=_phrases(doc["consignee"]["forwarder_name_words"]),
            trading_name_words=_phrases(doc["consignee"]["trading_name_words"]),
            residential_words=_phrases(doc["address"]["residential_words"]),
            residential_word_groups=tuple(_phrases(group) for group in doc["address"].get("residential_word_groups", ())),
            residential_patterns=tuple(re.compile(p) for p in doc["address"].get("residential_patterns", ())),
            virtual_words=_phrases(doc["address"]["virtual_words"]),
            mismatched_end_uses=frozenset(doc["end_use"]["mismatched_end_uses"]),
            mismatched_categories=frozenset(doc["end_use"]["mismatched_categories"]),
            unusual_payment_methods=frozenset(doc["end_use"]["unusual_payment_methods"]),
            watch_payer_countries=frozenset(doc["end_use"]["watch_payer_countries"]),
        )

    # -- matching ------------------------------------------------------------------------

    def licence_status(self, licence: str | None) -> str:
        """What a shipment's ``license`` field says: ``"licensed"`` (a licence number),
        ``"none"`` (NLR, a placeholder or a licence exception, none of which authorise an
        export that needs a licence) or ``"unknown"`` (absent: the feed does not record it)."""
        found = self._answers["licence"].get(licence, _UNANSWERED)
        if found is _UNANSWERED:
            found = self._remember("licence", licence, self._licence_status(licence))
        return found

    def _licence_status(self, licence: str | None) -> str:
        if licence is None:
            return "unknown"
        code = normal_text(licence).strip()
        if not code or code in self.no_licence or code in self.licence_exceptions:
            return "none"
        return "licensed"

    def _remember(self, question: str, text: str | None, answer: Any) -> Any:
        memo = self._answers[question]
        make_room(memo, _CACHE_SIZE)
        memo[text] = answer
        return answer

    def mismatch_word(self, name: str | None) -> str | None:
        found = self._answers["mismatch"].get(name, _UNANSWERED)
        if found is _UNANSWERED:
            found = self._remember("mismatch", name, _contains_any(name, self.mismatch_name_words))
        return found

    def forwarder_word(self, name: str | None) -> str | None:
        found = self._answers["forwarder"].get(name, _UNANSWERED)
        if found is _UNANSWERED:
            found = self._remember("forwarder", name, _contains_any(name, self.forwarder_name_words))
        return found

    def trading_word(self, name: str | None) -> str | None:
        found = self._answers["trading"].get(name, _UNANSWERED)
        if found is _UNANSWERED:
            found = self._remember("trading", name, _contains_any(name, self.trading_name_words))
        return found

    def address_kind(self, address: str | None) -> tuple[str, str] | None:
        """``("residential" | "virtual", matched word)`` for a suspicious address, else ``None``."""
        found = self._answers["address"].get(address, _UNANSWERED)
        if found is _UNANSWERED:
            found = self._remember("address", address, self._address_kind(address))
        return found

    def _address_kind(self, address: str | None) -> tuple[str, str] | None:
        word = _contains_any(address, self.virtual_words)
        if word:
            return "virtual", word
        word = _contains_any(address, self.residential_words)
        if word:
            return "residential", word
        normal = normal_text(address)
        for group in self.residential_word_groups:
            if group and all(phrase in normal for phrase in group):
                return "residential", " + ".join(p.strip() for p in group)
        for pattern in self.residential_patterns:
            found = pattern.search(normal)
            if found:
                return "residential", found.group(0).strip()
        return None


@functools.lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    return Vocabulary.load()
