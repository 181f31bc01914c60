"""Severity and score of each over-ordering rule, as pure functions of the figures.

Kept apart from the detector's bookkeeping so every threshold decision can be read (and
tested) on its own: the detector gathers figures, these functions judge them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "capacity_severity",
    "no_capacity_severity",
    "first_order_severity",
    "burst_verdict",
    "score_for",
    "fmt_int",
    "fmt_usd",
    "fmt_pct",
]

_BASE_SCORE = {"low": 0.3, "medium": 0.5, "high": 0.75, "critical": 0.9}


def score_for(severity: str, strength: float = 0.0) -> float:
    """A score in [0, 1]: the severity's base plus up to 0.09 for how far past the line it is."""
    bump = max(0.0, min(strength, 1.0)) * 0.09
    return round(min(0.99, _BASE_SCORE[severity] + bump), 4)


def capacity_severity(total: int, capacity: int, t: Mapping[str, Any]) -> str | None:
    """``None`` within ``capacity x (1 + tolerance)``; else medium / high / critical by excess."""
    if capacity <= 0:
        return None
    excess = total / capacity - 1.0
    if excess <= float(t["tolerance"]):
        return None
    if excess >= float(t["excess_critical"]):
        return "critical"
    if excess >= float(t["excess_high"]):
        return "high"
    return "medium"


def no_capacity_severity(total: int, registered: bool, t: Mapping[str, Any]) -> str | None:
    """Data-centre volume with no declared capacity: medium, high from ``no_capacity_high_accelerators``.

    A party the registry does not know is only ``low``: it has not declared "no capacity",
    it has declared nothing, and a name the resolver failed to match is the likelier story.
    """
    if total < int(t["no_capacity_min_accelerators"]):
        return None
    if not registered:
        return "low"
    return "high" if total >= int(t["no_capacity_high_accelerators"]) else "medium"


def first_order_severity(accelerators: int, value_usd: float, capacity: int | None, t: Mapping[str, Any]) -> str | None:
    """A first order of at least ``first_order_min_accelerators`` *and* ``first_order_min_value_usd``.

    Both, because either alone misfires: 16 servers at list price pass $5M yet are a normal
    first order for any cloud, and 256 L4 cards are many accelerators but little money.
    High by default; medium when the party declared a capacity the order fits in (large,
    but explained); critical from ``first_order_critical_multiple`` times the volume line.
    """
    minimum = int(t["first_order_min_accelerators"])
    if accelerators < minimum or value_usd < float(t["first_order_min_value_usd"]):
        return None
    if accelerators >= minimum * int(t["first_order_critical_multiple"]):
        return "critical"
    if capacity and accelerators <= capacity:
        return "medium"
    return "high"


def burst_verdict(
    value_usd: int,
    accelerators: int,
    own_baseline_usd: float,
    peer_baseline_usd: float | None,
    t: Mapping[str, Any],
) -> bool:
    """The ~$510M-in-three-weeks pattern: a large amount, far above both the party's own
    history and its peers' (baselines are value per burst window; ``None`` = no peers)."""
    if value_usd < float(t["burst_min_value_usd"]) or accelerators <= 0:
        return False
    if value_usd < float(t["burst_history_multiple"]) * own_baseline_usd:
        return False
    if peer_baseline_usd is not None and value_usd < float(t["burst_peer_multiple"]) * peer_baseline_usd:
        return False
    return True


def fmt_int(value: float) -> str:
    return f"{int(round(value)):,}"


def fmt_usd(value: float) -> str:
    """``$510.0M``, ``$4.2M``, ``$850,000``."""
    if value >= 1_000_000_000:
        return f"${value / 1_000_000_000:.2f}B"
    if value >= 1_000_000:
        return f"${value / 1_000_000:.1f}M"
    return f"${int(round(value)):,}"


def fmt_pct(ratio: float) -> str:
    """``+50%`` for a ratio of 1.5."""
    return f"{(ratio - 1.0) * 100:+.0f}%"
