"""Names as screening words: normalised, one spelling per word, and what kind of word.

The kind decides what a word can do. A *distinctive* word ("SUGON", "JIANGNAN") can
make a match; a *common* word ("TRADING", "TECHNOLOGY") barely counts; a *place*
("SHENZHEN") or a *number* counts with its full weight but can never make a match
alone. Stopwords are dropped before anything else.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from detectors.parties.normalize import name_tokens
from detectors.screening.config import WordLists

__all__ = ["WordKind", "MatchName", "match_name"]

WordKind = Literal["distinctive", "common", "place", "number"]


@dataclass(frozen=True, slots=True)
class MatchName:
    """A name ready for matching: its words and their kinds, in written order."""

    text: str
    tokens: tuple[str, ...]
    kinds: tuple[WordKind, ...]

    @property
    def distinctive(self) -> bool:
        """Whether any word can make a match on its own."""
        return "distinctive" in self.kinds


def _kind(token: str, words: WordLists) -> WordKind:
    if token.isdigit():
        return "number"
    if token in words.common:
        return "common"
    if token in words.places:
        return "place"
    return "distinctive"


def _canonical_words(tokens: tuple[str, ...], words: WordLists) -> list[str]:
    """Replace equivalent word sequences (longest first) and drop stopwords."""
    out: list[str] = []
    index = 0
    while index < len(tokens):
        for length in range(min(words.longest_equivalent, len(tokens) - index), 0, -1):
            replacement = words.equivalents.get(tokens[index : index + length])
            if replacement is not None:
                out.extend(replacement)
                index += length
                break
        else:
            out.append(tokens[index])
            index += 1
    return [token for token in out if token not in words.stopwords]


@functools.lru_cache(maxsize=65536)
def match_name(text: str, words: WordLists) -> MatchName:
    """``"Wuxi Jiangnan Inst. of Computing Tech"`` -> WUXI JIANGNAN INSTITUTE COMPUTING TECHNOLOGY."""
    tokens, kinds = _classified(name_tokens(text), words)
    return MatchName(text=text, tokens=tokens, kinds=kinds)


@functools.lru_cache(maxsize=65536)
def _classified(normalised: tuple[str, ...], words: WordLists) -> tuple[tuple[str, ...], tuple[WordKind, ...]]:
    """A normalised name's screening words and their kinds.

    Memoised by the normalised words, not the text: trade documents spell one name many
    ways ("SONNEN RIVERSIDE COMPUTE GMBH", "Sonnen Riverside Compute GmbH"), about four
    spellings a name in simulated traffic, and the words are what this depends on.
    """
    tokens = tuple(_canonical_words(normalised, words))
    return tokens, tuple(_kind(token, words) for token in tokens)
