"""How severe the soft end-use flags of one document are, together.

Each flag alone is common enough in legitimate trade (a hyperscaler racks its own
servers; a start-up has no website yet; one order in twelve is a rush order) that it
must not page an analyst; several together, on real data-centre volume, is how the
enforcement cases looked. Points are 2 per strong flag and 1 per weak flag
(``data/end_use.toml`` says which is which):

* fewer than ``min_points``: no finding at all;
* weak flags only, fewer than ``min_weak_flags`` of them, from a buyer with a track
  record: no finding. A rush order from an established operator that racks its own
  servers is ordinary (two weak flags alone gave 28 low alerts on innocent parties per
  simulated 100k events, simulator seed 2026). The same flags from a buyer *without* a
  track record (a new company, or a document of at least
  ``no_track_record_min_accelerators`` that is at least ``no_track_record_share`` of
  everything the party took in the window) are the "little or no business background"
  red flag of the BIS guidance, and do report;
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

__all__ = ["soft_points", "soft_severity", "has_track_record", "SEVERITY_SCORE"]

SEVERITY_SCORE = {"low": 0.3, "medium": 0.5, "high": 0.75, "critical": 0.9}


def soft_points(codes: Iterable[str], vocab: Vocabulary) -> tuple[int, int, int]:
    """(points, strong flags, weak flags) of distinct flag codes."""
    distinct = set(codes)
    strong = len(distinct & vocab.strong_flags)
    weak = len(distinct & vocab.weak_flags)
    return 2 * strong + weak, strong, weak


def has_track_record(codes: Iterable[str], document: int, accelerators: int, t: Mapping[str, Any]) -> bool:
    """Whether the subject is an established buyer (see the module docstring)."""
    if "NEW_COMPANY" in set(codes):
        return False
    large = document >= int(t["no_track_record_min_accelerators"])
    return not (large and document >= float(t["no_track_record_share"]) * accelerators)


def soft_severity(
    codes: Iterable[str], accelerators: int, vocab: Vocabulary, t: Mapping[str, Any], *, document: int = 0
) -> tuple[str, float] | None:
    """Severity and score of one document's flags given the subject's controlled
    data-centre volume (``accelerators``, this document included) and the document's own
    (``document``); ``None`` when they are too weak to report."""
    codes = set(codes)
    points, strong, weak = soft_points(codes, vocab)
    if points < max(1, int(t["min_points"])):
        return None
    if strong == 0 and weak < int(t["min_weak_flags"]) and has_track_record(codes, document, accelerators, t):
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
