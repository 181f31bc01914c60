"""Pairing the words of two names, and how much of each name the pairs cover.

This is a soft, weighted token overlap in the spirit of SoftTF-IDF (Cohen, Ravikumar &
Fienberg, 2003): words pair one-to-one when they are equal, alike in spelling, or alike
in sound; each side's coverage is the weight of its paired words (times how alike they
are) over its total weight. Word order does not matter ("Supercomputing Center Wuxi
National" pairs fully with "National Supercomputing Center Wuxi").

Romanisations split and join syllables freely ("Zhong Ke Shu Guang", "Zhongke
Shuguang"), so two adjacent words of one name may also pair, joined, with one word of
the other, provided the joined form spells that word (up to sound).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Indel

from detectors.screening._phonetic import sound_fold

__all__ = ["Alignment", "WordMatching", "Unit", "units", "align"]

#: A word, or two adjacent words joined: (start, stop) word indices and the text.
Unit = tuple[int, int, str]


def units(tokens: Sequence[str]) -> tuple[Unit, ...]:
    """Every word, then every pair of adjacent words joined."""
    singles = [(i, i + 1, token) for i, token in enumerate(tokens)]
    joined = [(i, i + 2, tokens[i] + tokens[i + 1]) for i in range(len(tokens) - 1)]
    return tuple(singles + joined)


@dataclass(frozen=True, slots=True)
class WordMatching:
    """When two words count as the same word (from the ``[match]`` settings)."""

    token_similarity: float
    fuzzy_min_length: int
    sound_alike_similarity: float

    def similarity(self, a: str, b: str) -> float:
        """0 when the words do not pair; else how alike they are, up to 1 for equal words."""
        if a == b:
            return 1.0
        la, lb = len(a), len(b)
        shorter, longer = (la, lb) if la <= lb else (lb, la)
        if shorter < self.fuzzy_min_length:
            return 0.0
        # Sound folding shortens a word by at most a few letters; beyond that bound no
        # spelling can reach the threshold, so skip the work.
        if 2.0 * shorter / (shorter + longer) < self.token_similarity - 0.1:
            return 0.0
        return _similarity(a, b, self.token_similarity, self.sound_alike_similarity)


@functools.lru_cache(maxsize=262144)
def _similarity(a: str, b: str, floor: float, sound_cap: float) -> float:
    if not (a.isalpha() and b.isalpha()):
        return 0.0
    spelling = Indel.normalized_similarity(a, b)
    sound = min(Indel.normalized_similarity(sound_fold(a), sound_fold(b)), sound_cap)
    best = max(spelling, sound)
    return best if best >= floor else 0.0


@dataclass(frozen=True, slots=True)
class Alignment:
    """How two names pair up; coverages and similarity are in [0, 1]."""

    list_coverage: float
    query_coverage: float
    #: Mean similarity of the paired words, weighted by the listed words' weights.
    edit_similarity: float
    #: Whether a listed word flagged as distinctive was paired.
    distinctive_found: bool
    #: Whether every word on both sides was paired.
    complete: bool


def align(
    query_units: Sequence[Unit],
    query_weights: Sequence[float],
    listed_units: Sequence[Unit],
    listed_weights: Sequence[float],
    listed_distinctive: Sequence[bool],
    matching: WordMatching,
) -> Alignment:
    """Pair query words with listed words one-to-one, greedily, closest pairs first."""
    sound_cap = matching.sound_alike_similarity
    options: list[tuple[float, float, int, int, int, int]] = []
    for q_start, q_stop, q_text in query_units:
        q_joined = q_stop - q_start > 1
        for l_start, l_stop, l_text in listed_units:
            if q_joined and l_stop - l_start > 1:
                continue  # joined words pair only with a single word
            similarity = matching.similarity(q_text, l_text)
            # Joined words must spell the other word, not merely resemble it:
            # "PHYTIUM HK" is not a spelling of "PHYTIUM".
            if similarity == 0.0 or (similarity < sound_cap and (q_joined or l_stop - l_start > 1)):
                continue
            gain = similarity * (sum(query_weights[q_start:q_stop]) + sum(listed_weights[l_start:l_stop]))
            options.append((-similarity, -gain, q_start, q_stop, l_start, l_stop))
    # Closest pairs first, so an exact word is never displaced by a near one; among
    # equally close pairs, the heavier evidence first.
    options.sort()

    q_used = [False] * len(query_weights)
    l_used = [False] * len(listed_weights)
    q_matched = l_matched = similarity_mass = 0.0
    distinctive_found = False
    for negative_similarity, _, q_start, q_stop, l_start, l_stop in options:
        if any(q_used[q_start:q_stop]) or any(l_used[l_start:l_stop]):
            continue
        similarity = -negative_similarity
        for i in range(q_start, q_stop):
            q_used[i] = True
        for i in range(l_start, l_stop):
            l_used[i] = True
        l_weight = sum(listed_weights[l_start:l_stop])
        q_matched += similarity * sum(query_weights[q_start:q_stop])
        l_matched += similarity * l_weight
        similarity_mass += l_weight
        distinctive_found = distinctive_found or any(listed_distinctive[l_start:l_stop])

    q_total, l_total = sum(query_weights), sum(listed_weights)
    return Alignment(
        list_coverage=l_matched / l_total if l_total else 0.0,
        query_coverage=q_matched / q_total if q_total else 0.0,
        edit_similarity=l_matched / similarity_mass if similarity_mass else 0.0,
        distinctive_found=distinctive_found,
        complete=all(q_used) and all(l_used),
    )
