"""Turning facts into ``Finding`` objects: subjects, related parties, evidence, wording.

One place builds findings so every pattern reports the same way: subject and related
parties as the registry names them, evidence as sorted event ids, figures rounded for
reading, and the thresholds used (with the file's version) in ``details``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from detectors.alerts import Finding
from detectors.transshipment.routes import SCORE
from detectors.transshipment.state import Leg, State
from detectors.transshipment.timeline import from_us
from schemas import Party, SubjectParty

__all__ = ["TYPOLOGY", "make_finding", "subject_of", "party_of", "related_parties", "evidence_of", "goods", "usd", "who"]

TYPOLOGY = "transshipment"


def subject_of(state: State, party_id: str) -> SubjectParty:
    info = state.party(party_id)
    return SubjectParty(entity_id=info.id, name=info.name, country=info.country or "ZZ")


def party_of(state: State, party_id: str) -> Party:
    info = state.party(party_id)
    return Party(entity_id=info.id, name=info.name, country=info.country or "ZZ")


def related_parties(state: State, party_ids: Iterable[str], subject: str) -> tuple[Party, ...]:
    """Every other party once, sorted by id (fusion sorts too; this keeps findings stable)."""
    return tuple(party_of(state, p) for p in sorted(set(party_ids) - {subject}))


def evidence_of(legs: Iterable[Leg], extra: Iterable[str] = ()) -> tuple[str, ...]:
    ids: set[str] = set(extra)
    for leg in legs:
        ids.update(leg.ids)
    return tuple(sorted(ids))


def who(state: State, party_id: str) -> str:
    info = state.party(party_id)
    return f"{info.name} ({info.country})" if info.country else info.name


def goods(families: Iterable[tuple[str, int]], accelerators: int | None = None) -> str:
    """``64 H100-SXM5 + 16 HGX-H200-8GPU accelerators`` (counts are accelerators, not units)."""
    parts = [f"{count} {name}" for name, count in sorted(families, key=lambda fc: (-fc[1], fc[0])) if count]
    if not parts:
        return f"{accelerators or 0} controlled accelerators"
    return " + ".join(parts) + " accelerators"


def usd(value: float) -> str:
    if value >= 1_000_000:
        return f"${value / 1_000_000:,.1f}M"
    if value >= 10_000:
        return f"${value / 1_000:,.0f}k"
    return f"${value:,.0f}"


def make_finding(
    *,
    pattern: str,
    state: State,
    subject: str,
    t: int,
    evidence: tuple[str, ...],
    red_flags: Iterable[str],
    severity: str,
    summary: str,
    details: dict[str, Any],
    pattern_key: str,
    related: Iterable[str] = (),
    score_offset: float = 0.0,
) -> Finding:
    flags = tuple(dict.fromkeys(red_flags))  # de-duplicated, first mention first
    return Finding(
        detector=f"{TYPOLOGY}.{pattern}@1",
        typology=TYPOLOGY,
        subject=subject_of(state, subject),
        event_time=from_us(t),
        evidence=evidence,
        red_flags=tuple(sorted(flags)),
        severity=severity,
        score=round(max(0.05, min(0.99, SCORE[severity] + score_offset)), 3),
        summary=summary,
        details=details,
        pattern_key=pattern_key,
        related=related_parties(state, related, subject),
    )
