"""Scoring alerts against a ground-truth file (the simulator's, or an analyst's case list).

* **Recall** is per case: a case is detected when an alert of the case's typology has
  one of the case's parties as its subject.
* **Precision** is per alert: an alert whose subject is in no case is a false positive.
* **Look-alike alerts** are medium-or-higher alerts on the legitimate look-alikes (billing
  hubs, large distributors, ...); there should be none.
* **Time to detect** is the alert's business time minus the business time of the event
  that completed the case's pattern; negative means the pattern was flagged before it
  was complete (on partial evidence).

Parties in the truth file without an ``entity_id`` are matched by the same derived
identity the engine gives unresolved parties.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from detectors.alerts import severity_rank
from detectors.parties import derived_entity_id, normalize_name
from schemas import Alert

__all__ = ["CaseOutcome", "TypologyScore", "Evaluation", "evaluate"]


@dataclass(frozen=True)
class CaseOutcome:
    case_id: str
    typology: str
    pattern: str
    detected: bool
    alert_id: str | None
    time_to_detect: dt.timedelta | None


@dataclass
class TypologyScore:
    typology: str
    cases: int = 0
    detected: int = 0
    alerts: int = 0
    true_alerts: int = 0
    detect_hours: list[float] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.detected / self.cases if self.cases else None

    @property
    def precision(self) -> float | None:
        return self.true_alerts / self.alerts if self.alerts else None

    @property
    def median_detect_hours(self) -> float | None:
        return statistics.median(self.detect_hours) if self.detect_hours else None


@dataclass
class Evaluation:
    cases: list[CaseOutcome]
    typologies: dict[str, TypologyScore]
    alerts: int
    true_alerts: int
    lookalike_alerts: list[Alert]

    @property
    def precision(self) -> float | None:
        return self.true_alerts / self.alerts if self.alerts else None

    def missed(self) -> list[CaseOutcome]:
        return [c for c in self.cases if not c.detected]

    def to_dict(self) -> dict[str, Any]:
        return {
            "alerts": self.alerts,
            "precision": self.precision,
            "lookalike_alerts_medium_or_higher": [a.alert_id for a in self.lookalike_alerts],
            "typologies": {
                name: {
                    "cases": s.cases,
                    "detected": s.detected,
                    "recall": s.recall,
                    "alerts": s.alerts,
                    "precision": s.precision,
                    "median_time_to_detect_hours": s.median_detect_hours,
                }
                for name, s in sorted(self.typologies.items())
            },
            "missed": [{"case_id": c.case_id, "typology": c.typology, "pattern": c.pattern} for c in self.missed()],
        }


def _name_key(name: str, country: str) -> str:
    return f"name:{country}:{normalize_name(name)}"


def _party_ids(parties: Iterable[dict[str, Any]]) -> set[str]:
    """Every identity a truth party may carry in an alert: its registry id, the derived id
    the engine gives it when unresolved, and its normalised name (an unregistered name in
    the truth may resolve to a registered entity of the same legal name), for its name and
    every other spelling the documents used."""
    ids: set[str] = set()
    for party in parties:
        if not party:
            continue
        if party.get("entity_id"):
            ids.add(party["entity_id"])
        if party.get("country"):
            for name in (party.get("name"), *party.get("spellings", ())):
                if name:
                    ids.add(derived_entity_id(name, party["country"]))
                    ids.add(_name_key(name, party["country"]))
    return ids


def _alert_ids(alert: Alert) -> set[str]:
    subject = alert.subject
    return {subject.entity_id, _name_key(subject.name, subject.country)}


def _parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def evaluate(truth: dict[str, Any], alerts: Sequence[Alert]) -> Evaluation:
    cases = truth.get("cases", [])
    case_parties = [(case, _party_ids([case.get("subject"), *case.get("parties", [])])) for case in cases]
    in_any_case = set().union(*(ids for _, ids in case_parties)) if case_parties else set()
    lookalike_ids = _party_ids(p for look in truth.get("lookalikes", []) for p in look.get("parties", []))

    scores: dict[str, TypologyScore] = {}
    outcomes: list[CaseOutcome] = []
    for case, ids in case_parties:
        typology = case["typology"]
        score = scores.setdefault(typology, TypologyScore(typology))
        score.cases += 1
        matching = sorted(
            (a for a in alerts if a.typology == typology and _alert_ids(a) & ids),
            key=lambda a: (a.event_time, a.alert_id),
        )
        completed = _parse_time(case.get("completed_at"))
        first = matching[0] if matching else None
        delay = (first.event_time - completed) if first is not None and completed is not None else None
        if first is not None:
            score.detected += 1
            if delay is not None:
                score.detect_hours.append(delay.total_seconds() / 3600)
        outcomes.append(
            CaseOutcome(case["case_id"], typology, case.get("pattern", ""), first is not None, first.alert_id if first else None, delay)
        )

    true_alerts = 0
    for alert in alerts:
        score = scores.setdefault(alert.typology, TypologyScore(alert.typology))
        score.alerts += 1
        if _alert_ids(alert) & in_any_case:
            score.true_alerts += 1
            true_alerts += 1
    lookalikes = [
        a
        for a in alerts
        if _alert_ids(a) & lookalike_ids
        and not _alert_ids(a) & in_any_case
        and severity_rank(a.severity) >= severity_rank("medium")
    ]
    return Evaluation(outcomes, scores, len(alerts), true_alerts, lookalikes)
