"""Party names reduced to a comparable form, and stable ids for parties nobody registered.

Names arrive as typed on documents: "AURORA COMPUTE SDN. BHD.", "Aurora Compute Sdn Bhd",
"Aurora Compute". Exact comparison of those strings would split one company into
three, and every per-party window (orders, dwell times) would be split with it. The
normal form drops what varies without changing who is meant: script (transliterated
with unidecode), case, punctuation, spacing and the legal form (kept as data in
``data/legal_forms.toml``).

Normalisation is idempotent (``normalize_name(normalize_name(x)) == normalize_name(x)``)
because the stripping steps run to a fixed point.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from unidecode import unidecode

from detectors.parties._files import read_versioned_toml

__all__ = [
    "LegalForms",
    "normalize_name",
    "split_legal_forms",
    "name_tokens",
    "derived_entity_id",
    "DERIVED_ID_PREFIX",
]

DEFAULT_LEGAL_FORMS_PATH = Path(__file__).resolve().parent / "data" / "legal_forms.toml"
#: Derived ids start with this, so nobody mistakes them for registry ids.
DERIVED_ID_PREFIX = "anon:"

_APOSTROPHES = re.compile(r"['`]")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")

Tokens = tuple[str, ...]


def _raw_tokens(text: str) -> list[str]:
    """Transliterate, upper-case, and split on anything that is not a letter or digit.

    Apostrophes join rather than split ("Xi'an" -> "XIAN") because pinyin and English
    both use them inside a word; ``&`` becomes AND so "Smith & Sons" meets "Smith and Sons".
    """
    text = unidecode(text).upper().replace("&", " AND ")
    return _NOT_ALNUM.sub(" ", _APOSTROPHES.sub("", text)).split()


def _join_single_letters(tokens: list[str]) -> list[str]:
    """Join runs of two or more single letters: "S A" -> "SA", "I B M" -> "IBM".

    Initialisms are written with and without dots ("S.A.", "SA"); joining the letters
    makes both spellings one token.
    """
    out: list[str] = []
    run: list[str] = []
    for token in tokens:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        out.extend(["".join(run)] if len(run) > 1 else run)
        run = []
        out.append(token)
    out.extend(["".join(run)] if len(run) > 1 else run)
    return out


@dataclass(frozen=True, eq=False)
class LegalForms:
    """Spellings of legal forms, as token tuples mapped to their canonical form."""

    version: str
    suffixes: dict[Tokens, str]
    prefixes: dict[Tokens, str]

    @classmethod
    def load(cls, path: str | Path | None = None) -> LegalForms:
        """Read ``data/legal_forms.toml`` (or the versioned alternative at ``path``)."""
        document = read_versioned_toml(DEFAULT_LEGAL_FORMS_PATH, path)
        return cls(
            version=document["version"],
            suffixes=cls._spellings(document.get("suffixes", {})),
            prefixes=cls._spellings(document.get("prefixes", {})),
        )

    @staticmethod
    def _spellings(section: dict[str, list[str]]) -> dict[Tokens, str]:
        table: dict[Tokens, str] = {}
        for canonical, spellings in section.items():
            canonical_form = " ".join(_raw_tokens(canonical))
            for spelling in (canonical, *spellings):
                raw = _raw_tokens(spelling)
                # Both as split by punctuation ("S A") and as joined ("SA").
                for tokens in (tuple(raw), tuple(_join_single_letters(raw))):
                    if tokens:
                        table.setdefault(tokens, canonical_form)
        return table


@functools.lru_cache(maxsize=1)
def _default_forms() -> LegalForms:
    return LegalForms.load()


def _strip_once(tokens: list[str], table: dict[Tokens, str], from_end: bool) -> tuple[list[str], str | None]:
    """Remove the longest spelling at one end, keeping at least one token."""
    for n in range(len(tokens) - 1, 0, -1):
        part = tuple(tokens[-n:] if from_end else tokens[:n])
        canonical = table.get(part)
        if canonical is not None:
            return (tokens[:-n] if from_end else tokens[n:]), canonical
    return tokens, None


@functools.lru_cache(maxsize=65536)
def _split(name: str, forms: LegalForms) -> tuple[str, Tokens]:
    tokens = _raw_tokens(name)
    prefixes: list[str] = []
    suffixes: list[str] = []
    while True:
        before = tokens
        tokens, suffix = _strip_once(tokens, forms.suffixes, from_end=True)
        if suffix is not None:
            suffixes.append(suffix)
        tokens, prefix = _strip_once(tokens, forms.prefixes, from_end=False)
        if prefix is not None:
            prefixes.append(prefix)
        tokens = _join_single_letters(tokens)
        if tokens == before:
            return " ".join(tokens), (*prefixes, *reversed(suffixes))


def split_legal_forms(name: str, forms: LegalForms | None = None) -> tuple[str, tuple[str, ...]]:
    """The normalised name and the canonical legal forms removed from it, in written order.

    >>> split_legal_forms("PT Example Trading Co., Ltd.")
    ('EXAMPLE TRADING', ('PT', 'CO LTD'))
    """
    return _split(name, forms or _default_forms())


def normalize_name(name: str, forms: LegalForms | None = None) -> str:
    """Transliterated, upper-case, punctuation-free name without its legal form.

    >>> normalize_name("AURORA COMPUTE SDN. BHD.") == normalize_name("Aurora Compute Sdn Bhd")
    True
    """
    return _split(name, forms or _default_forms())[0]


def name_tokens(name: str, forms: LegalForms | None = None) -> tuple[str, ...]:
    """The words of the normalised name."""
    return tuple(normalize_name(name, forms).split())


def derived_entity_id(name: str, country: str) -> str:
    """A stable id for a party the registry does not know: ``anon:<CC>:<16 hex>``.

    The hash is of the normalised name with the shipped legal-form list, so spelling
    variants of one name share an id in every process and on every replay (Python's
    ``hash()`` is salted per process and would not). The country is part of the id
    because the same trading name in two countries is usually two companies.
    """
    digest = hashlib.blake2b(normalize_name(name).encode("ascii"), digest_size=8).hexdigest()
    return f"{DERIVED_ID_PREFIX}{country.upper()}:{digest}"
