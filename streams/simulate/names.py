"""Fictional but realistic party names, addresses and the spellings documents use.

Real feeds rarely spell a party the way the registry does: case, punctuation, legal
suffix and trading names vary from document to document, and screening hits come
through transliteration, word order and typos. This module produces all of those from
the pools in ``data/names.toml``, so detectors are tested against the same mess.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from streams.simulate.profile import NamePools

__all__ = ["CompanyName", "NameBook", "LISTED_VARIANT_KINDS", "slugify"]

LISTED_VARIANT_KINDS = ("transliteration", "word_order", "punctuation", "suffix", "typo")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_PUNCT = re.compile(r"[.,'()]")
_SPACES = re.compile(r"\s+")


def slugify(text: str) -> str:
    return _NON_ALNUM.sub("-", text.lower()).strip("-")


@dataclass(frozen=True, slots=True)
class CompanyName:
    legal: str
    alias: str
    suffix: str


class NameBook:
    """Generates names unique within one world (a ``dict`` of used names, never iterated)."""

    def __init__(self, pools: NamePools) -> None:
        self.pools = pools
        self._used: dict[str, None] = {}

    # -- companies -------------------------------------------------------------------
    def company(self, rng: random.Random, country: str, industry: str, *, brand: str | None = None) -> CompanyName:
        """A legal name in the country's format, e.g. ``Aurora Compute Sdn Bhd``."""
        spec = self.pools.countries[country]
        words = self.pools.industry[industry]
        pool = self.pools.pools[spec.brand_pool]
        for attempt in range(200):
            chosen_brand = brand if brand and attempt == 0 else rng.choice(pool)
            if attempt > 20:
                chosen_brand = f"{chosen_brand} {rng.choice(self.pools.pools['brand_words'])}"
            line_of_business = rng.choice(words)
            suffix = spec.suffixes[0] if "{suffix}" in spec.format else ""
            legal = spec.format.format(
                brand=chosen_brand, industry=line_of_business, suffix=suffix, city=rng.choice(spec.cities),
            ).strip()
            # Trading name: the legal name without its legal form (and without "PT").
            alias = f"{chosen_brand} {line_of_business}" if "{city}" not in spec.format else legal.removesuffix(suffix).strip()
            # The trading name must be unique in the country too: documents drop and swap
            # legal suffixes, so "X Cloud GmbH" and "X Cloud AG" would be one party on paper.
            core = f"{country}:{alias.lower()}"
            if legal not in self._used and core not in self._used:
                self._used[legal] = None
                self._used[core] = None
                return CompanyName(legal=legal, alias=alias, suffix=suffix)
        raise RuntimeError(f"name pool exhausted for {country}/{industry}")

    def institution(self, rng: random.Random, country: str, kind: str) -> CompanyName:
        """Universities and HPC centres: named after a city, no legal suffix."""
        spec = self.pools.countries[country]
        formats = self.pools.university_formats if kind == "university" else self.pools.hpc_formats
        for _ in range(400):
            place = rng.choice(spec.cities)
            legal = rng.choice(formats).format(place=place, field=rng.choice(self.pools.fields),
                                               brand=rng.choice(self.pools.pools["brand_words"]))
            if legal in self._used:
                legal = f"{legal} {rng.choice(('North', 'South', 'East', 'West', 'Central'))}"
            if legal not in self._used:
                self._used[legal] = None
                return CompanyName(legal=legal, alias=legal, suffix="")
        raise RuntimeError(f"institution names exhausted for {country}")

    def reserve(self, legal: str) -> None:
        """Mark a fixed name (e.g. a listed party's) as taken."""
        self._used[legal] = None

    # -- addresses and websites ----------------------------------------------------------
    def address(self, rng: random.Random, country: str, *, residential: bool = False) -> str:
        spec = self.pools.countries[country]
        template = rng.choice(spec.residential if residential else spec.address)
        return template.format(
            n=rng.randint(1, 480),
            unit=rng.randint(1, 40),
            floor=rng.randint(2, 38),
            street=rng.choice(spec.streets),
            city=rng.choice(spec.cities),
            zip="".join(str(rng.randint(0, 9)) for _ in range(spec.zip_digits)),
        )

    @staticmethod
    def website(alias: str) -> str:
        """``aurora-compute.example``: the reserved TLD, as in the contract examples."""
        return f"{slugify(alias)}.example"

    # -- spellings on documents ----------------------------------------------------------
    def document_spellings(self, rng: random.Random, name: CompanyName, country: str) -> tuple[str, ...]:
        """Ways a document may spell this party; the legal name first."""
        spec = self.pools.countries.get(country)
        spellings = [name.legal, name.legal.upper(), _strip_punct(name.legal)]
        if name.suffix and spec is not None and len(spec.suffixes) > 1:
            other = rng.choice([s for s in spec.suffixes if s != name.suffix])
            swapped = _swap_suffix(name.legal, name.suffix, other)
            spellings.append(swapped)
            spellings.append(swapped.upper())
        if name.alias and name.alias != name.legal:
            spellings.append(name.alias)
        out: list[str] = []
        for spelling in spellings:
            if spelling and spelling not in out:
                out.append(spelling)
        return tuple(out)

    # -- screening variants --------------------------------------------------------------
    def listed_variant(self, rng: random.Random, name: str, kind: str) -> str | None:
        """``name`` as a document might mangle it, or ``None`` if ``kind`` does not apply."""
        if kind == "transliteration":
            words = name.split(" ")
            positions = [i for i, w in enumerate(words) if _bare(w) in self.pools.transliterations]
            if not positions:
                return None
            i = rng.choice(positions)
            words[i] = rng.choice(self.pools.transliterations[_bare(words[i])])
            return " ".join(words)
        if kind == "word_order":
            core, suffix = _split_suffix(name, self.pools.suffix_swaps)
            words = core.split(" ")
            if len(words) < 2:
                return None
            if rng.random() < 0.5:
                moved = " ".join([words[-1], *words[:-1]])
            else:
                moved = " ".join(words[1:]) + ", " + words[0]
            return f"{moved} {suffix}".strip() if suffix else moved
        if kind == "punctuation":
            variant = _strip_punct(name).upper()
            return variant if variant != name else None
        if kind == "suffix":
            core, suffix = _split_suffix(name, self.pools.suffix_swaps)
            options = self.pools.suffix_swaps.get(suffix, ())
            if not options:
                return None
            return f"{core} {rng.choice(options)}".strip()
        if kind == "typo":
            words = name.split(" ")
            positions = [i for i, w in enumerate(words) if len(_bare(w)) >= 5]
            if not positions:
                return None
            i = rng.choice(positions)
            words[i] = _typo(rng, words[i])
            return " ".join(words)
        raise ValueError(f"unknown variant kind {kind!r}")


def _bare(word: str) -> str:
    return word.strip(",.")


def _strip_punct(text: str) -> str:
    return _SPACES.sub(" ", _PUNCT.sub(" ", text)).strip()


def _swap_suffix(legal: str, old: str, new: str) -> str:
    if old and legal.endswith(old):
        return (legal[: -len(old)] + new).strip()
    return legal


def _split_suffix(name: str, swaps: dict[str, tuple[str, ...]]) -> tuple[str, str]:
    for suffix in sorted((s for s in swaps if s), key=len, reverse=True):
        if name.endswith(" " + suffix):
            return name[: -len(suffix) - 1].rstrip(" ,"), suffix
    return name, ""


def _typo(rng: random.Random, word: str) -> str:
    """Swap, drop or double one inner letter; the first letter stays (as typists' errors do)."""
    chars = list(word)
    inner = [i for i in range(1, len(chars) - 1) if chars[i].isalpha() and chars[i + 1].isalpha()]
    if not inner:
        return word + word[-1]
    i = rng.choice(inner)
    action = rng.choice(("swap", "drop", "double"))
    if action == "swap" and chars[i] != chars[i + 1]:
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    elif action == "drop":
        del chars[i]
    else:
        chars.insert(i, chars[i])
    return "".join(chars)
