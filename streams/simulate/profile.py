"""The world profile (``data/world.toml``) and name pools (``data/names.toml``) as typed data.

Kept apart from the generators so the population mix and the habits of each kind of
buyer can be tuned without touching code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Archetype", "WorldProfile", "NamePools", "load_profile", "load_names", "DATA_DIR"]

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True, slots=True)
class Archetype:
    """One kind of background buyer and how it trades."""

    name: str
    business_type: str
    share: float
    activity: tuple[float, float]
    countries: tuple[tuple[str, float], ...]
    capacity: tuple[int, int] | None
    end_uses: tuple[tuple[str, float], ...]
    products: tuple[tuple[str, float], ...]
    quantities: dict[str, tuple[int, int]]
    consignee_type: str
    subsidiary_share: float


@dataclass(frozen=True, slots=True)
class WorldProfile:
    version: str
    infrastructure: dict[str, tuple[tuple[str, int], ...]]
    quantities: dict[str, tuple[int, int]]
    sellers_by_category: dict[str, tuple[str, ...]]
    shipping: dict[str, Any]
    archetypes: tuple[Archetype, ...]


@dataclass(frozen=True, slots=True)
class CountryNames:
    format: str
    brand_pool: str
    suffixes: tuple[str, ...]
    cities: tuple[str, ...]
    streets: tuple[str, ...]
    address: tuple[str, ...]
    residential: tuple[str, ...]
    zip_digits: int
    domain: str


@dataclass(frozen=True, slots=True)
class NamePools:
    version: str
    pools: dict[str, tuple[str, ...]]
    industry: dict[str, tuple[str, ...]]
    university_formats: tuple[str, ...]
    hpc_formats: tuple[str, ...]
    fields: tuple[str, ...]
    countries: dict[str, CountryNames]
    transliterations: dict[str, tuple[str, ...]]
    suffix_swaps: dict[str, tuple[str, ...]]


def _pairs(table: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    return tuple((key, float(value)) for key, value in table.items())


def _range(value: list[int] | None) -> tuple[int, int] | None:
    return None if value is None else (int(value[0]), int(value[1]))


def load_profile(path: Path | None = None) -> WorldProfile:
    with (path or DATA_DIR / "world.toml").open("rb") as handle:
        doc = tomllib.load(handle)
    archetypes = tuple(
        Archetype(
            name=a["name"],
            business_type=a["business_type"],
            share=float(a["share"]),
            activity=(float(a["activity"][0]), float(a["activity"][1])),
            countries=_pairs(a["countries"]),
            capacity=_range(a.get("capacity")),
            end_uses=_pairs(a["end_uses"]),
            products=_pairs(a["products"]),
            quantities={k: (int(v[0]), int(v[1])) for k, v in a.get("quantities", {}).items()},
            consignee_type=a.get("consignee_type", "direct_consumer"),
            subsidiary_share=float(a.get("subsidiary_share", 0.0)),
        )
        for a in doc["archetypes"]
    )
    return WorldProfile(
        version=doc["version"],
        infrastructure={role: tuple((c, int(n)) for c, n in table.items()) for role, table in doc["infrastructure"].items()},
        quantities={k: (int(v[0]), int(v[1])) for k, v in doc["quantities"].items()},
        sellers_by_category={k: tuple(v) for k, v in doc["sellers_by_category"].items()},
        shipping=dict(doc["shipping"]),
        archetypes=archetypes,
    )


def load_names(path: Path | None = None) -> NamePools:
    with (path or DATA_DIR / "names.toml").open("rb") as handle:
        doc = tomllib.load(handle)
    pools = {key: tuple(value) for key, value in doc.items() if key.endswith("_words")}
    countries = {
        code: CountryNames(
            format=c["format"],
            brand_pool=c.get("brand_pool", "brand_words"),
            suffixes=tuple(c["suffixes"]),
            cities=tuple(c["cities"]),
            streets=tuple(c["streets"]),
            address=tuple(c["address"]),
            residential=tuple(c["residential"]),
            zip_digits=int(c["zip_digits"]),
            domain=c["domain"],
        )
        for code, c in doc["countries"].items()
    }
    return NamePools(
        version=doc["version"],
        pools=pools,
        industry={k: tuple(v) for k, v in doc["industry"].items()},
        university_formats=tuple(doc["university_formats"]["formats"]),
        hpc_formats=tuple(doc["hpc_formats"]["formats"]),
        fields=tuple(doc["university_formats"]["fields"]),
        countries=countries,
        transliterations={k: tuple(v) for k, v in doc["transliterations"].items()},
        suffix_swaps={k: tuple(v) for k, v in doc["suffix_swaps"].items()},
    )
