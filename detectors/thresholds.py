"""Detector thresholds as versioned data (``data/thresholds.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

__all__ = ["Thresholds", "DEFAULT_THRESHOLDS_PATH"]

DEFAULT_THRESHOLDS_PATH = Path(__file__).with_name("data") / "thresholds.toml"


@dataclass(frozen=True)
class Thresholds:
    """``thresholds["over_ordering"]["window_days"]``; read-only, with the file's version."""

    version: str
    sections: Mapping[str, Mapping[str, Any]]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Thresholds:
        raw = tomllib.loads(Path(path or DEFAULT_THRESHOLDS_PATH).read_text(encoding="utf-8"))
        version = raw.pop("version", None)
        if not version:
            raise ValueError(f"{path or DEFAULT_THRESHOLDS_PATH}: missing 'version'")
        return cls(str(version), MappingProxyType({k: MappingProxyType(dict(v)) for k, v in raw.items()}))

    def __getitem__(self, section: str) -> Mapping[str, Any]:
        return self.sections[section]

    def with_overrides(self, **sections: Mapping[str, Any]) -> Thresholds:
        """A copy with some values replaced (tests, tuning experiments)."""
        merged = {name: dict(values) for name, values in self.sections.items()}
        for name, values in sections.items():
            merged.setdefault(name, {}).update(values)
        return Thresholds(f"{self.version}+overrides", MappingProxyType({k: MappingProxyType(v) for k, v in merged.items()}))
