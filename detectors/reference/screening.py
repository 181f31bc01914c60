"""The shipped sample screening list, as contract-v1 ``screening_entry`` events.

It is a SAMPLE for tests, demos and the simulator (see ``data/README.md``); production
loads the real Consolidated Screening List into ``ref.screening.v1``. Entries stay plain
dicts so they can be published or decoded exactly as any producer's events would be.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detectors.reference._files import data_path

__all__ = ["ScreeningSample"]


@dataclass(frozen=True, slots=True)
class ScreeningSample:
    """Entries in file order; ``version`` is ``sha256:<first 16 hex>`` of the file bytes."""

    version: str
    entries: tuple[dict[str, Any], ...]

    @classmethod
    def load(cls, path: str | Path | None = None) -> ScreeningSample:
        raw = data_path("screening_sample.jsonl", path).read_bytes()
        entries = tuple(json.loads(line) for line in raw.splitlines() if line.strip())
        return cls(version="sha256:" + hashlib.sha256(raw).hexdigest()[:16], entries=entries)

    def by_entry_id(self, entry_id: str) -> dict[str, Any]:
        for entry in self.entries:
            if entry["entry_id"] == entry_id:
                return entry
        raise KeyError(entry_id)

    def names(self, entry: dict[str, Any]) -> tuple[str, ...]:
        """Primary name then alternate names: every spelling a matcher should know."""
        return (entry["name"], *entry.get("alt_names", ()))
