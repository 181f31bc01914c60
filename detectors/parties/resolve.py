"""Entity resolution: which registry entity a party on a document is.

Every detector keys its state by entity id, so resolution decides whether two orders
were placed by the same company. The order of attempts goes from the most to the least
certain, and stops at the first that answers:

1. ``entity_id`` supplied by the producer: kept as is, registered or not (the producer
   knows its own customer ids better than any name match).
2. Exact normalised legal name in the party's country.
3. Exact normalised alias in the party's country.
4. Fuzzy name (rapidfuzz ``token_sort_ratio``) in the party's country, only when one
   entity is clearly best (see ``data/resolution.toml``).
5. Otherwise a derived id from the normalised name and country, so the unknown party is
   still tracked consistently under every spelling of its name.

When two entities share the same normalised name in a country, the name is ambiguous
and the party stays unresolved (with the ``candidates`` listed) rather than guessed.
"""

from __future__ import annotations

import functools
import re
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import msgspec
from rapidfuzz import fuzz, process

from detectors.memo import make_room
from detectors.parties._files import read_versioned_toml
from detectors.parties.normalize import derived_entity_id, normalize_name
from detectors.parties.registry import Registry
from schemas.events import Entity, Party

__all__ = ["ResolutionConfig", "ResolvedParty", "ResolutionMethod", "resolve"]

DEFAULT_RESOLUTION_PATH = Path(__file__).resolve().parent / "data" / "resolution.toml"

ResolutionMethod = Literal["entity_id", "name", "alias", "fuzzy", "derived"]

_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class ResolutionConfig:
    """Fuzzy-resolution thresholds, read from ``data/resolution.toml``."""

    version: str
    fuzzy_threshold: float
    fuzzy_margin: float
    fuzzy_min_length: int
    cache_size: int

    @classmethod
    def load(cls, path: str | Path | None = None) -> ResolutionConfig:
        document = read_versioned_toml(DEFAULT_RESOLUTION_PATH, path)
        return cls(
            version=document["version"],
            fuzzy_threshold=float(document["fuzzy_threshold"]),
            fuzzy_margin=float(document["fuzzy_margin"]),
            fuzzy_min_length=int(document["fuzzy_min_length"]),
            cache_size=int(document["cache_size"]),
        )


class ResolvedParty(msgspec.Struct, frozen=True, kw_only=True):
    """Who a party is. ``score`` is 1.0 for id/name/alias, the similarity for fuzzy, 0 for derived.

    ``registered`` is whether ``entity_id`` is a live registry entity (``entity`` is then
    its record). ``candidates`` lists the entities an ambiguous name could have meant.
    """

    entity_id: str
    registered: bool
    method: ResolutionMethod
    score: float
    entity: Entity | None = None
    candidates: tuple[str, ...] = ()


@functools.lru_cache(maxsize=1)
def _default_config() -> ResolutionConfig:
    return ResolutionConfig.load()


@dataclass(slots=True)
class _Cache:
    """Resolutions of one registry version under one config."""

    version: str
    config: ResolutionConfig
    results: dict[tuple[str, str], ResolvedParty] = field(default_factory=dict)
    names: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)

    def names_in(self, registry: Registry, country: str) -> dict[str, frozenset[str]]:
        if country not in self.names:
            self.names[country] = registry.names_in(country)
        return self.names[country]


_caches: weakref.WeakKeyDictionary[Registry, _Cache] = weakref.WeakKeyDictionary()


def _cache_for(registry: Registry, config: ResolutionConfig) -> _Cache:
    cache = _caches.get(registry)
    if cache is None or cache.version != registry.version or cache.config is not config:
        cache = _caches[registry] = _Cache(registry.version, config)
    return cache


def resolve(party: Party, registry: Registry, config: ResolutionConfig | None = None) -> ResolvedParty:
    """Resolve ``party`` against ``registry``; never raises for an unknown party.

    Results for parties without an ``entity_id`` are cached per (name, country) until the
    registry's content changes.
    """
    config = config or _default_config()
    if party.entity_id is not None:
        entity = registry.get(party.entity_id)
        return ResolvedParty(
            entity_id=party.entity_id, registered=entity is not None, method="entity_id", score=1.0, entity=entity
        )
    cache = _cache_for(registry, config)
    key = (party.name, party.country)
    resolved = cache.results.get(key)
    if resolved is None:
        resolved = _resolve_name(party.name, party.country, registry, cache)
        make_room(cache.results, config.cache_size)
        cache.results[key] = resolved
    return resolved


def _found(registry: Registry, entity_id: str, method: ResolutionMethod, score: float) -> ResolvedParty:
    return ResolvedParty(
        entity_id=entity_id, registered=True, method=method, score=score, entity=registry.get(entity_id)
    )


def _unresolved(name: str, country: str, candidates: tuple[str, ...] = ()) -> ResolvedParty:
    return ResolvedParty(
        entity_id=derived_entity_id(name, country),
        registered=False,
        method="derived",
        score=0.0,
        candidates=candidates,
    )


def _resolve_name(name: str, country: str, registry: Registry, cache: _Cache) -> ResolvedParty:
    for method, ids in (("name", registry.by_name(name, country)), ("alias", registry.by_alias(name, country))):
        if len(ids) == 1:
            return _found(registry, ids[0], method, 1.0)  # type: ignore[arg-type]
        if len(ids) > 1:
            return _unresolved(name, country, ids)
    return _resolve_fuzzy(name, country, registry, cache)


def _resolve_fuzzy(name: str, country: str, registry: Registry, cache: _Cache) -> ResolvedParty:
    config = cache.config
    normalised = normalize_name(name)
    if len(normalised) < config.fuzzy_min_length:
        return _unresolved(name, country)
    names = cache.names_in(registry, country)
    digits = _DIGITS.findall(normalised)
    best: dict[str, float] = {}
    for choice, score, _ in process.extract(
        normalised,
        list(names),
        scorer=fuzz.token_sort_ratio,
        score_cutoff=config.fuzzy_threshold - config.fuzzy_margin,
        limit=None,
    ):
        # "Pacific Trading 1" and "Pacific Trading 2" are two companies, however similar.
        if _DIGITS.findall(choice) != digits:
            continue
        for entity_id in names[choice]:
            best[entity_id] = max(best.get(entity_id, 0.0), score)
    if not best:
        return _unresolved(name, country)
    ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
    top_id, top_score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if top_score < config.fuzzy_threshold:
        return _unresolved(name, country)
    if top_score - runner_up < config.fuzzy_margin:
        return _unresolved(name, country, tuple(entity_id for entity_id, _ in ranked[:5]))
    return _found(registry, top_id, "fuzzy", round(top_score / 100.0, 4))
