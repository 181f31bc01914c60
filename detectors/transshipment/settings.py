"""The ``[transshipment]`` thresholds as typed values, read once per ``observe`` call.

Thresholds are data (``detectors/data/thresholds.toml``); this module only gives them
names and units, so pattern code never spells a TOML key or converts days twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from detectors.transshipment.timeline import US_PER_DAY

__all__ = ["Settings"]

#: Keys this package reads from ``[transshipment]``; ``memory_days`` may be absent
#: (older threshold files): it then defaults to twice the longest window.
_KEYS = (
    "reexport_max_dwell_days",
    "severe_dwell_days",
    "match_window_days",
    "match_value_tolerance",
    "pass_through_ratio",
    "pass_through_min_accelerators",
    "misdescription_min_unit_value_usd",
    "consolidation_min_buyers",
    "consolidation_window_days",
    "serial_conflict_days",
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Every figure the patterns use, with the thresholds file's version for ``details``."""

    version: str
    reexport_max_dwell_days: float
    severe_dwell_days: float
    match_window_days: float
    match_value_tolerance: float
    pass_through_ratio: float
    pass_through_min_accelerators: int
    misdescription_min_unit_value_usd: float
    consolidation_min_buyers: int
    consolidation_window_days: float
    serial_conflict_days: float
    memory_days: float
    memory_us: int  # memory_days in microseconds: how far behind the latest event time state is kept

    @classmethod
    def from_thresholds(cls, thresholds: Any) -> Settings:
        section = thresholds["transshipment"]
        values = {key: section[key] for key in _KEYS}
        longest = max(
            values["reexport_max_dwell_days"],
            values["match_window_days"],
            values["consolidation_window_days"],
            values["serial_conflict_days"],
        )
        memory = float(section.get("memory_days", 2 * longest))
        if memory < longest:
            raise ValueError(f"[transshipment] memory_days={memory} is shorter than the longest window ({longest})")
        return cls(
            version=str(thresholds.version),
            reexport_max_dwell_days=float(values["reexport_max_dwell_days"]),
            severe_dwell_days=float(values["severe_dwell_days"]),
            match_window_days=float(values["match_window_days"]),
            match_value_tolerance=float(values["match_value_tolerance"]),
            pass_through_ratio=float(values["pass_through_ratio"]),
            pass_through_min_accelerators=int(values["pass_through_min_accelerators"]),
            misdescription_min_unit_value_usd=float(values["misdescription_min_unit_value_usd"]),
            consolidation_min_buyers=int(values["consolidation_min_buyers"]),
            consolidation_window_days=float(values["consolidation_window_days"]),
            serial_conflict_days=float(values["serial_conflict_days"]),
            memory_days=memory,
            memory_us=int(memory * US_PER_DAY),
        )

    def figures(self, *keys: str) -> dict[str, Any]:
        """The named thresholds, for a finding's ``details`` (beside ``thresholds_version``)."""
        return {key: getattr(self, key) for key in keys}
