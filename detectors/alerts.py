"""Findings, deterministic alert ids, and alert fusion.

A detector reports a ``Finding``: one pattern seen on one subject, with its evidence and
figures. Fusion turns findings into contract ``Alert`` objects so that analysts see
**one alert per subject and pattern**, updated as evidence grows rather than repeated:

* ``alert_id`` is a hash of (typology, subject, pattern key): never of the evidence
  order, the batch, the clock or the worker, so redelivery, replay and a restarted
  worker all arrive at the same id.
* Each detector keeps its latest finding per alert; the alert's red flags and evidence
  are the sorted union of all of them, its severity the highest found, raised one level
  when two or more independent detectors agree, and its score their noisy-or.
* Every choice is made by a total order on content (never on arrival order), so the
  fused alert is the same whatever order the findings came in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from schemas import Alert, Party, SubjectParty

__all__ = ["Finding", "AlertBook", "alert_id", "SEVERITIES", "severity_rank"]

SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


def severity_rank(severity: str) -> int:
    return _RANK[severity]


def alert_id(typology: str, subject_id: str, pattern_key: str = "") -> str:
    """Deterministic id: the same subject and pattern always yield the same id."""
    digest = hashlib.blake2b(f"{typology}\x1f{subject_id}\x1f{pattern_key}".encode(), digest_size=10).hexdigest()
    return f"al-{typology[:2]}-{digest}"


@dataclass(frozen=True)
class Finding:
    """One detector's view of one pattern on one subject, with the figures behind it."""

    detector: str  # "name@version", e.g. "transshipment.serial_chain@1"
    typology: str
    subject: SubjectParty
    event_time: dt.datetime  # business time of the event that completed the pattern
    evidence: tuple[str, ...]
    red_flags: tuple[str, ...]
    severity: str
    score: float
    summary: str
    details: dict[str, Any]
    pattern_key: str = ""  # distinguishes several patterns of one typology on one subject
    related: tuple[Party, ...] = ()

    @property
    def alert_id(self) -> str:
        return alert_id(self.typology, self.subject.entity_id, self.pattern_key)

    def _strength(self) -> tuple:
        """Total order used to pick the finding that speaks for a detector or an alert."""
        return (severity_rank(self.severity), self.score, len(self.evidence), self.event_time, self.summary)


@dataclass(frozen=True)
class _DetectorView:
    """What one detector has said about one alert.

    ``lead`` is its strongest *original* finding; evidence, flags and the completion time
    accumulate separately. Keeping them apart makes the merge commutative and associative
    (a max and unions), which is what makes fusion independent of arrival order.
    """

    lead: Finding
    evidence: frozenset[str]
    red_flags: frozenset[str]
    first_time: dt.datetime

    @classmethod
    def of(cls, finding: Finding) -> _DetectorView:
        return cls(finding, frozenset(finding.evidence), frozenset(finding.red_flags), finding.event_time)

    def merge(self, finding: Finding) -> _DetectorView:
        return _DetectorView(
            max(self.lead, finding, key=Finding._strength),
            self.evidence | set(finding.evidence),
            self.red_flags | set(finding.red_flags),
            min(self.first_time, finding.event_time),
        )


@dataclass
class _AlertState:
    views: dict[str, _DetectorView] = field(default_factory=dict)  # detector -> its view
    published: Alert | None = None


class AlertBook:
    """Fusion state: every alert raised so far and the findings behind it.

    ``add`` returns the alerts that are new or whose content changed, ready to publish.
    ``detected_at`` is the only wall-clock field, and it changes only when content does.
    """

    def __init__(self) -> None:
        self._alerts: dict[str, _AlertState] = {}

    def __len__(self) -> int:
        return len(self._alerts)

    def add(self, findings: Iterable[Finding], detected_at: dt.datetime) -> list[Alert]:
        touched: set[str] = set()
        for finding in findings:
            state = self._alerts.setdefault(finding.alert_id, _AlertState())
            current = state.views.get(finding.detector)
            merged = _DetectorView.of(finding) if current is None else current.merge(finding)
            if merged != current:
                state.views[finding.detector] = merged
                touched.add(finding.alert_id)
        changed = []
        for key in sorted(touched):
            state = self._alerts[key]
            alert = _fuse(key, list(state.views.values()), detected_at)
            if state.published is None or _content(state.published) != _content(alert):
                state.published = alert
                changed.append(alert)
        return changed

    def alerts(self) -> list[Alert]:
        return [s.published for _, s in sorted(self._alerts.items()) if s.published is not None]


def _fuse(key: str, views: list[_DetectorView], detected_at: dt.datetime) -> Alert:
    ordered = sorted(views, key=lambda v: (v.lead._strength(), v.lead.detector), reverse=True)
    lead = ordered[0].lead
    rank = severity_rank(lead.severity)
    agreeing = sum(1 for v in ordered if severity_rank(v.lead.severity) >= _RANK["medium"])
    if agreeing >= 2:
        rank = min(rank + 1, len(SEVERITIES) - 1)
    miss = 1.0
    for view in ordered:
        miss *= 1.0 - view.lead.score
    related: dict[str, Party] = {}
    for view in ordered:
        for party in view.lead.related:
            related.setdefault(party.entity_id or f"{party.name}|{party.country}", party)
    details = dict(lead.details)
    if len(ordered) > 1:
        details["detectors"] = {v.lead.detector: v.lead.details for v in sorted(ordered, key=lambda v: v.lead.detector)}
    return Alert(
        alert_id=key,
        typology=lead.typology,
        detector=lead.detector,
        severity=SEVERITIES[rank],
        score=round(1.0 - miss, 4),
        subject=lead.subject,
        related=[related[k] for k in sorted(related)] or None,
        event_time=min(v.first_time for v in ordered),
        detected_at=detected_at,
        evidence=sorted(set().union(*(v.evidence for v in ordered))),
        red_flags=sorted(set().union(*(v.red_flags for v in ordered))),
        summary=lead.summary,
        details=details,
    )


def _content(alert: Alert) -> Alert:
    """An alert without its wall-clock field, for "did anything change?"."""
    return msgspec.structs.replace(alert, detected_at=dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc))
