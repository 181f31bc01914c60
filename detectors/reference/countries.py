"""Country groups and licence scopes: where an advanced-computing item needs a licence.

The rules are data (``country_groups.toml``), because the published groups change by
Federal Register notice far more often than the logic that applies them: a country is
in a scope when it (or the country it is treated as, e.g. Hong Kong -> China) belongs to
one of the scope's groups or its explicit additions, and is not explicitly excluded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detectors.reference._files import data_path, read_toml

__all__ = ["CountryGroups", "LicenceScope", "DEFAULT_SCOPE"]

#: The scope of 3A090.a / 4A090.a data-center items, the common case.
DEFAULT_SCOPE = "advanced_computing"


@dataclass(frozen=True, slots=True)
class LicenceScope:
    """Destinations needing a licence: groups plus additions, minus exclusions."""

    name: str
    description: str
    groups: tuple[str, ...]
    add: tuple[str, ...]
    exclude: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CountryGroups:
    """EAR country groups, licence scopes, the headquarters rule and transshipment points."""

    version: str
    groups: dict[str, frozenset[str]]
    group_names: dict[str, str]
    treated_as: dict[str, str]
    scopes: dict[str, LicenceScope]
    headquarters_rule: LicenceScope
    transshipment_points: tuple[str, ...]
    transshipment_sources: dict[str, tuple[str, ...]]
    hubs: tuple[str, ...]
    national_controls: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, path: str | Path | None = None) -> CountryGroups:
        """Read ``country_groups.toml`` (or the versioned alternative at ``path``)."""
        doc = read_toml(data_path("country_groups.toml", path))
        groups = {key: frozenset(value["members"]) for key, value in doc["groups"].items()}
        scopes = {name: _scope(name, value) for name, value in doc["licence_scopes"].items()}
        for scope in (*scopes.values(),):
            unknown = [g for g in scope.groups if g not in groups]
            if unknown:
                raise ValueError(f"licence scope {scope.name} names unknown groups {unknown}")
        points = doc["transshipment_points"]
        lists = {k: tuple(v) for k, v in points.items() if k != "sources"}
        merged: list[str] = []
        for members in lists.values():
            merged.extend(c for c in members if c not in merged)
        return cls(
            version=doc["version"],
            groups=groups,
            group_names={key: value["name"] for key, value in doc["groups"].items()},
            treated_as={k: v for k, v in doc.get("treated_as", {}).items() if k != "sources"},
            scopes=scopes,
            headquarters_rule=_scope("headquarters_rule", doc["headquarters_rule"]),
            transshipment_points=tuple(merged),
            transshipment_sources=lists,
            hubs=tuple(doc["hubs"]["countries"]),
            national_controls=dict(doc.get("national_controls", {})),
        )

    def resolve(self, country: str) -> str:
        """The country whose group membership applies (``HK`` -> ``CN``)."""
        return self.treated_as.get(country, country)

    def in_group(self, country: str, group: str) -> bool:
        """Membership in ``D1``/``D4``/``D5`` (``D:1`` spelling accepted), after ``treated_as``."""
        key = group.replace(":", "")
        members = self.groups[key]
        return country in members or self.resolve(country) in members

    def groups_of(self, country: str) -> tuple[str, ...]:
        """The groups a country belongs to, in file order."""
        return tuple(g for g in self.groups if self.in_group(country, g))

    def requires_licence(self, country: str, scope: str = DEFAULT_SCOPE) -> bool:
        """Whether shipping an item of ``scope`` to ``country`` needs a licence."""
        return self._in_scope(country, self.scopes[scope])

    def licence_destinations(self, scope: str = DEFAULT_SCOPE) -> tuple[str, ...]:
        """Every country needing a licence under ``scope``, sorted (for display and tests)."""
        candidates = {c for members in self.groups.values() for c in members}
        candidates.update(self.scopes[scope].add)
        candidates.update(self.treated_as)
        return tuple(sorted(c for c in candidates if self.requires_licence(c, scope)))

    def headquarters_requires_licence(self, headquarters_country: str | None) -> bool:
        """Headquarters rule: a party ultimately headquartered here needs a licence anywhere."""
        if not headquarters_country:
            return False
        return self._in_scope(headquarters_country, self.headquarters_rule)

    def is_transshipment_point(self, country: str) -> bool:
        """On the Jun 2022 FinCEN/BIS list or the chip-case additions."""
        return country in self.transshipment_points

    def is_hub(self, country: str) -> bool:
        return country in self.hubs

    def national_control_effective(self, key: str) -> dt.date | None:
        entry = self.national_controls.get(key)
        return None if entry is None else entry.get("effective")

    def _in_scope(self, country: str, scope: LicenceScope) -> bool:
        if country in scope.exclude:
            return False
        if country in scope.add:
            return True
        return any(self.in_group(country, group) for group in scope.groups)


def _scope(name: str, value: dict[str, Any]) -> LicenceScope:
    return LicenceScope(
        name=name,
        description=value.get("description", ""),
        groups=tuple(g.replace(":", "") for g in value.get("groups", ())),
        add=tuple(value.get("add", ())),
        exclude=tuple(value.get("exclude", ())),
    )
