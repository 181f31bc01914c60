"""Folding romanised words to how they sound, before measuring edit similarity.

Listed names reach documents through several romanisations and English spellings:
"Phytium" / "Feitium", "Hygon" / "Higon", "Inspur" / "Inspurr". Plain edit similarity
sees "PHYTIUM" and "FEITIUM" as far apart (0.57) although they sound the same. Folding
letters that spell one sound (PH -> F, Y -> I, CK -> K, soft C -> S, doubled letters)
and then comparing the folded spellings (0.92 here) credits the shared sound while
keeping vowels, so that unrelated words with the same consonants ("SAIGON" / "SUGON")
stay apart. A coarse Soundex-style key would merge those; pinyin names are short and
vowel-rich, so consonant skeletons collide far too often to screen with.
"""

from __future__ import annotations

import functools

__all__ = ["sound_fold"]

_SPELLINGS = (
    ("SCH", "SH"),
    ("PH", "F"),
    ("CK", "K"),
    ("KH", "K"),
    ("GH", "G"),
    ("TH", "T"),
    ("DT", "T"),
    ("CE", "SE"),
    ("CI", "SI"),
    ("CY", "SI"),
    ("C", "K"),
    ("Y", "I"),
)


@functools.lru_cache(maxsize=131072)
def sound_fold(word: str) -> str:
    """``"PHYTIUM" -> "FITIUM"``, ``"HYGON" -> "HIGON"``, ``"INSPURR" -> "INSPUR"``."""
    if not word.isalpha():
        return word
    for spelling, sound in _SPELLINGS:
        word = word.replace(spelling, sound)
    # Doubled letters are one sound. (No silent-H rule: in pinyin an H after a vowel
    # starts the next syllable, "CHEHEN" is not "CHEN".)
    folded: list[str] = []
    for letter in word:
        if not folded or folded[-1] != letter:
            folded.append(letter)
    return "".join(folded)
