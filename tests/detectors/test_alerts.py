"""Fusion: one alert per subject and pattern, identical whatever the arrival order."""

from __future__ import annotations

import datetime as dt

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.alerts import AlertBook, Finding, alert_id
from schemas import Alert, SubjectParty, encode

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
SUBJECT = SubjectParty(entity_id="ent-a", name="Alpha Pte Ltd", country="SG")
OTHER = SubjectParty(entity_id="ent-b", name="Beta Sdn Bhd", country="MY")


def finding(detector="end_use.licence@1", subject=SUBJECT, day=0, evidence=("e1",), flags=("F1",), severity="medium", score=0.5, key="", typology="end_use"):
    return Finding(
        detector=detector,
        typology=typology,
        subject=subject,
        event_time=T0 + dt.timedelta(days=day),
        evidence=tuple(evidence),
        red_flags=tuple(flags),
        severity=severity,
        score=score,
        summary=f"{detector} on {subject.name} day {day}",
        details={"day": day},
        pattern_key=key,
    )


def test_alert_id_depends_on_subject_and_pattern_only():
    a = finding(day=1, evidence=("x",))
    b = finding(day=9, evidence=("y", "z"), severity="high")
    assert a.alert_id == b.alert_id == alert_id("end_use", "ent-a")
    assert finding(subject=OTHER).alert_id != a.alert_id
    assert finding(key="chain-2").alert_id != a.alert_id


def test_evidence_grows_into_one_alert_not_two():
    book = AlertBook()
    first = book.add([finding(day=1, evidence=("e1",))], NOW)
    second = book.add([finding(day=5, evidence=("e2",))], NOW)
    assert len(first) == len(second) == 1 and len(book) == 1
    assert second[0].alert_id == first[0].alert_id
    assert second[0].evidence == ["e1", "e2"]
    assert second[0].event_time == T0 + dt.timedelta(days=1)  # when the pattern first completed


def test_repeating_a_finding_publishes_nothing_new():
    book = AlertBook()
    assert book.add([finding()], NOW)
    assert book.add([finding()], NOW + dt.timedelta(hours=1)) == []


def test_agreeing_detectors_raise_severity_and_combine_scores():
    book = AlertBook()
    [alert] = book.add(
        [finding(severity="medium", score=0.5, flags=("A",)), finding(detector="end_use.payer@1", severity="high", score=0.6, flags=("B",))],
        NOW,
    )
    assert alert.severity == "critical"  # high, raised one level by a second medium+ detector
    assert alert.red_flags == ["A", "B"]
    assert alert.score == round(1 - 0.5 * 0.4, 4)
    assert alert.detector == "end_use.payer@1"  # the strongest finding speaks for the alert
    assert set(alert.details["detectors"]) == {"end_use.licence@1", "end_use.payer@1"}


def test_a_low_finding_does_not_escalate():
    book = AlertBook()
    [alert] = book.add([finding(severity="high"), finding(detector="x@1", severity="low", score=0.1)], NOW)
    assert alert.severity == "high"


def test_fused_alert_is_a_valid_contract_alert():
    book = AlertBook()
    [alert] = book.add([finding()], NOW)
    assert msgspec.json.decode(encode(alert), type=Alert) == alert


findings_strategy = st.lists(
    st.builds(
        finding,
        detector=st.sampled_from(["a@1", "b@1", "c@2"]),
        subject=st.sampled_from([SUBJECT, OTHER]),
        day=st.integers(0, 30),
        evidence=st.lists(st.sampled_from([f"e{i}" for i in range(8)]), min_size=1, max_size=3),
        flags=st.lists(st.sampled_from(["F1", "F2", "F3"]), min_size=1, max_size=2),
        severity=st.sampled_from(["low", "medium", "high", "critical"]),
        score=st.sampled_from([0.1, 0.5, 0.9]),
        key=st.sampled_from(["", "k1"]),
    ),
    min_size=1,
    max_size=12,
)


def _final(findings: list[Finding], batch_size: int) -> list[Alert]:
    book = AlertBook()
    for start in range(0, len(findings), batch_size):
        book.add(findings[start : start + batch_size], NOW)
    return book.alerts()


@settings(max_examples=300, deadline=None)
@given(findings_strategy, st.randoms(use_true_random=False), st.integers(1, 5))
def test_final_alerts_do_not_depend_on_order_duplicates_or_batching(findings, rng, batch_size):
    reference = _final(findings, len(findings))
    shuffled = findings + rng.sample(findings, k=min(3, len(findings)))  # redelivered duplicates
    rng.shuffle(shuffled)
    assert _final(shuffled, batch_size) == reference
