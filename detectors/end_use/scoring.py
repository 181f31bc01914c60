"""How severe the soft end-use flags of one document are, together.

Each flag alone is common enough in legitimate trade (a hyperscaler racks its own
servers; a start-up has no website yet; one order in twelve is a rush order) that it
must not page an analyst; several together, on real data-centre volume, is how the
enforcement cases looked. Points are 2 per strong flag and 1 per weak flag
(``data/end_use.toml`` says which is which):

* fewer than ``min_points``: no finding at all;
* below ``min_accelerators`` of controlled data-centre volume: ``low``, whatever the flags;
* ``critical``: at least ``critical_strong_flags`` strong flags;
* ``high``: at least ``high_points`` points, at least one of them from a strong flag;
* ``medium``: any strong flag, or at least ``medium_weak_flags`` weak flags;
* ``low`` otherwise (weak flags only: a hyperscaler without a website that declines
  installation on a rush order is still ``low``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from detectors.end_use.vocabulary import Vocabulary

__all__ = ["soft_points", "soft_severity", "SEVERITY_SCORE"]

SEVERITY_SCORE = {"low": 0.3, "medium": 0.5, "high": 0.75, "critical": 0.9}


def soft_points(codes: Iterable[str], vocab: Vocabulary) -> tuple[int, int, int]:
    """(points, strong flags, weak flags) of distinct flag codes."""
    distinct = set(codes)
    strong = len(distinct & vocab.strong_flags)
    weak = len(distinct & vocab.weak_flags)
    return 2 * strong + weak, strong, weak


def soft_severity(
    codes: Iterable[str], accelerators: int, vocab: Vocabulary, t: Mapping[str, Any]
) -> tuple[str, float] | None:
    """Severity and score of one document's flags given the subject's controlled
    data-centre volume; ``None`` when they are too weak to report."""
    points, strong, weak = soft_points(codes, vocab)
    if points < max(1, int(t["min_points"])):
        return None
    if accelerators < int(t["min_accelerators"]):
        severity = "low"
    elif strong >= int(t["critical_strong_flags"]):
        severity = "critical"
    elif strong >= 1 and points >= int(t["high_points"]):
        severity = "high"
    elif strong >= 1 or weak >= int(t["medium_weak_flags"]):
        severity = "medium"
    else:
        severity = "low"
    score = min(0.99, SEVERITY_SCORE[severity] + 0.01 * points)
    return severity, round(score, 4)
