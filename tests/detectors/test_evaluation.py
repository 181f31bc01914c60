"""Scoring alerts against a ground truth: recall per case, precision per alert, look-alikes."""

from __future__ import annotations

import datetime as dt

from detectors.evaluation import evaluate
from detectors.parties import derived_entity_id
from schemas import Alert, SubjectParty

T0 = dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)


def alert(alert_id: str, typology: str, subject: SubjectParty, *, hours: float = 0.0, severity: str = "high") -> Alert:
    return Alert(
        alert_id=alert_id,
        typology=typology,
        detector=f"{typology}@1",
        severity=severity,
        score=0.8,
        subject=subject,
        event_time=T0 + dt.timedelta(hours=hours),
        detected_at=T0,
        evidence=["ev-1"],
        red_flags=["X"],
        summary="s",
        details={},
    )


def unregistered(name: str, country: str) -> SubjectParty:
    """The subject the engine gives a party it could not resolve."""
    return SubjectParty(entity_id=derived_entity_id(name, country), name=name, country=country)


TRUTH = {
    "cases": [
        {
            "case_id": "over-1",
            "typology": "over_ordering",
            "pattern": "capacity",
            "subject": {"entity_id": "ent-a", "name": "Alpha Compute Pte Ltd", "country": "SG"},
            "parties": [],
            "completed_at": "2025-06-01T10:00:00Z",
        },
        {
            "case_id": "chain-1",
            "typology": "transshipment",
            "pattern": "multi_hop",
            "subject": {"entity_id": "ent-b", "name": "Beta Trading Sdn Bhd", "country": "MY"},
            "parties": [
                {
                    "entity_id": None,
                    "name": "Shanghai Hongxing Motors Co., Ltd.",
                    "country": "CN",
                    "spellings": ["Shanghai Hongxing Motors Technology Co., Ltd."],
                    "role": "final_consignee",
                }
            ],
            "completed_at": "2025-06-01T00:00:00Z",
        },
    ],
    "lookalikes": [{"kind": "billing_hub", "parties": [{"entity_id": "ent-hub", "name": "Hub Pte Ltd", "country": "SG"}]}],
}


def test_recall_precision_and_time_to_detect():
    alerts = [
        alert("a1", "over_ordering", SubjectParty(entity_id="ent-a", name="Alpha Compute Pte Ltd", country="SG"), hours=12),
        alert("a2", "end_use", SubjectParty(entity_id="ent-zzz", name="Nobody Ltd", country="US")),
    ]
    result = evaluate(TRUTH, alerts)
    over = result.typologies["over_ordering"]
    assert (over.cases, over.detected, over.recall, over.precision) == (1, 1, 1.0, 1.0)
    assert over.median_detect_hours == 2.0
    assert result.typologies["transshipment"].recall == 0.0
    assert result.typologies["end_use"].precision == 0.0
    assert result.precision == 0.5
    assert [c.case_id for c in result.missed()] == ["chain-1"]


def test_an_alert_on_an_unregistered_party_under_another_spelling_is_a_true_positive():
    variant = unregistered("Shanghai Hongxing Motors Technology Co., Ltd.", "CN")
    result = evaluate(TRUTH, [alert("a3", "end_use", variant)])
    assert result.precision == 1.0


def test_an_alert_of_the_wrong_typology_does_not_detect_the_case():
    result = evaluate(TRUTH, [alert("a4", "end_use", SubjectParty(entity_id="ent-a", name="Alpha Compute Pte Ltd", country="SG"))])
    assert result.typologies["over_ordering"].detected == 0
    assert result.precision == 1.0  # its subject is in a case


def test_medium_or_higher_alerts_on_lookalikes_are_reported_and_low_ones_are_not():
    hub = SubjectParty(entity_id="ent-hub", name="Hub Pte Ltd", country="SG")
    result = evaluate(TRUTH, [alert("a5", "transshipment", hub, severity="medium"), alert("a6", "end_use", hub, severity="low")])
    assert [a.alert_id for a in result.lookalike_alerts] == ["a5"]
