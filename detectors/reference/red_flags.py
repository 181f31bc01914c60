"""Red-flag codes: the vocabulary of ``alert.red_flags``, each tied to official guidance.

Detectors name flags by code only; the title, the guidance it comes from and the default
severity live here, so an analyst-facing tool can explain any alert from its codes alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from detectors.reference._files import data_path, read_toml

__all__ = ["RedFlag", "RedFlagCatalogue", "TYPOLOGIES", "SEVERITIES"]

TYPOLOGIES = ("over_ordering", "transshipment", "end_use", "screening", "anomaly")
SEVERITIES = ("low", "medium", "high", "critical")
_CODE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class RedFlag:
    code: str
    typology: str
    title: str
    description: str
    guidance: str
    default_severity: str


@dataclass(frozen=True, slots=True)
class RedFlagCatalogue:
    """All codes in file order; loading fails on a malformed or repeated code."""

    version: str
    flags: tuple[RedFlag, ...]

    @classmethod
    def load(cls, path: str | Path | None = None) -> RedFlagCatalogue:
        """Read ``red_flags.toml`` (or the versioned alternative at ``path``)."""
        doc = read_toml(data_path("red_flags.toml", path))
        flags = tuple(RedFlag(**entry) for entry in doc["flags"])
        seen: list[str] = []
        for flag in flags:
            if not _CODE.match(flag.code):
                raise ValueError(f"red flag code {flag.code!r} is not UPPER_SNAKE")
            if flag.code in seen:
                raise ValueError(f"red flag code {flag.code} is defined twice")
            if flag.typology not in TYPOLOGIES:
                raise ValueError(f"red flag {flag.code}: unknown typology {flag.typology!r}")
            if flag.default_severity not in SEVERITIES:
                raise ValueError(f"red flag {flag.code}: unknown severity {flag.default_severity!r}")
            if not flag.guidance.strip():
                raise ValueError(f"red flag {flag.code} has no guidance")
            seen.append(flag.code)
        return cls(version=doc["version"], flags=flags)

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code, in file order."""
        return tuple(flag.code for flag in self.flags)

    def get(self, code: str) -> RedFlag:
        """The flag for ``code``; ``KeyError`` for a code the catalogue does not define."""
        for flag in self.flags:
            if flag.code == code:
                return flag
        raise KeyError(code)

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def by_typology(self, typology: str) -> tuple[RedFlag, ...]:
        return tuple(flag for flag in self.flags if flag.typology == typology)

    def markdown_table(self) -> str:
        """The table in ``docs/red-flags.md`` (regenerate with ``python -m detectors.reference.red_flags``)."""
        rows = [
            "| code | typology | severity | title | guidance |",
            "|---|---|---|---|---|",
        ]
        for flag in self.flags:
            guidance = flag.guidance.replace("|", "\\|")
            rows.append(
                f"| `{flag.code}` | {flag.typology} | {flag.default_severity} | {flag.title} | {guidance} |"
            )
        return "\n".join(rows)


if __name__ == "__main__":  # pragma: no cover - documentation helper
    print(RedFlagCatalogue.load().markdown_table())
