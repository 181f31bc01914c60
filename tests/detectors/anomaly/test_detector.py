"""AnomalyDetector in the engine: findings, bounded severity, batch-size and restart independence."""

from __future__ import annotations

import copy
import datetime as dt
import json

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.anomaly.detector import DETECTOR, FALLBACK_RED_FLAG, RED_FLAG, AnomalyDetector, describe
from detectors.anomaly.features import LATE_DAYS, RESTART_AFTER_DAYS
from detectors.anomaly.train import iter_records, train
from detectors.engine import Engine, Reference
from schemas import decode_object
from tests.detectors.anomaly._build import ODD, T0, market

SETTINGS = {"min_score": 0.65, "medium_score": 0.7, "min_accelerators": 64, "min_events": 12}


@pytest.fixture(scope="module")
def model():
    # Trained on a market without the odd party: it is what "normal" looks like.
    return train(market(seed=1, buyers=20, days=240, odd=False), seed=3, n_estimators=50)


@pytest.fixture(scope="module")
def events():
    return [decode_object(e) for e in market(seed=2, buyers=10, days=240)]


def _reference() -> Reference:
    ref = Reference()
    ref.thresholds = ref.thresholds.with_overrides(anomaly=SETTINGS)
    return ref


def _run(model, events, size: int):
    engine = Engine([AnomalyDetector(model)], _reference())
    for start in range(0, len(events), size):
        engine.process(events[start : start + size])
    engine.flush()
    return engine.alerts()


def _content(alerts):
    return [(a.alert_id, a.severity, a.score, a.evidence, a.summary, a.red_flags, a.event_time) for a in alerts]


def test_odd_party_is_raised_and_ordinary_ones_are_not(model, events):
    alerts = _run(model, events, len(events))
    subjects = {a.subject.entity_id for a in alerts}
    assert ODD in subjects
    assert not any(s.startswith("ent-cloud-") for s in subjects)
    alert = next(a for a in alerts if a.subject.entity_id == ODD)
    assert alert.typology == "anomaly" and alert.detector == DETECTOR
    assert alert.severity in ("low", "medium")
    assert alert.red_flags in ([RED_FLAG], [FALLBACK_RED_FLAG])
    assert 0 < len(alert.evidence) <= 10 and all(e.startswith(("ord-odd", "shp-odd")) for e in alert.evidence)
    details = alert.details
    assert details["model_version"].startswith("anomaly-")
    assert details["score"] == alert.score >= details["threshold"] == SETTINGS["min_score"]
    assert len(details["features"]) == 3
    top = details["features"][0]
    assert {"feature", "value", "typical", "contribution", "deviation"} <= set(top)
    assert describe(top["feature"], top["value"], top["typical"]) in alert.summary
    assert "typical" in alert.summary and "Odd Trading" in alert.summary


def test_severity_never_above_medium(model, events):
    ref = _reference()
    ref.thresholds = ref.thresholds.with_overrides(anomaly={"min_score": 0.0, "medium_score": 0.0})
    engine = Engine([AnomalyDetector(model)], ref)
    engine.process(events)
    engine.flush()
    assert engine.alerts() and {a.severity for a in engine.alerts()} == {"medium"}


@pytest.fixture(scope="module")
def records(events):
    return list(iter_records(events, Reference()))


def _observe(model, records, sizes):
    """Findings from feeding ``records`` in chunks of the given sizes (cycled)."""
    ref = _reference()
    detector = AnomalyDetector(model)
    findings, start, i = [], 0, 0
    while start < len(records):
        size = sizes[i % len(sizes)]
        findings += detector.observe(records[start : start + size], ref)
        start, i = start + size, i + 1
    return findings, detector


@pytest.fixture(scope="module")
def expected(model, records):
    return _observe(model, records, [len(records)])


@settings(max_examples=12, deadline=None)
@given(sizes=st.lists(st.integers(min_value=1, max_value=120), min_size=1, max_size=6))
def test_findings_do_not_depend_on_batch_size(model, records, expected, sizes):
    findings, detector = _observe(model, records, sizes)
    assert findings == expected[0]
    assert detector.to_state() == expected[1].to_state()


def test_engine_alerts_do_not_depend_on_batch_size(model, events):
    assert _content(_run(model, events, 7)) == _content(_run(model, events, len(events)))


@settings(max_examples=12, deadline=None)
@given(cut=st.floats(min_value=0.0, max_value=1.0), chunk=st.integers(min_value=5, max_value=300))
def test_state_round_trip_mid_stream(model, records, expected, cut, chunk):
    """A detector restored from JSON state goes on exactly as an uninterrupted one."""
    ref = _reference()
    split = int(cut * len(records))
    first = AnomalyDetector(model)
    got = [f for i in range(0, split, chunk) for f in first.observe(records[i : min(i + chunk, split)], ref)]
    resumed = AnomalyDetector(model)
    resumed.load_state(json.loads(json.dumps(first.to_state())))
    got += [f for i in range(split, len(records), chunk) for f in resumed.observe(records[i : i + chunk], ref)]
    assert got == expected[0]
    assert resumed.to_state() == expected[1].to_state()


@pytest.mark.parametrize("away_days", [RESTART_AFTER_DAYS + 150, RESTART_AFTER_DAYS + LATE_DAYS + 150])
def test_a_party_back_after_years_is_judged_afresh_whatever_the_batching(model, events, away_days):
    """The odd party trades again after more than ``RESTART_AFTER_DAYS`` idle (restarted
    as it comes back; or, further away, forgotten before): it is raised again, though its
    score need not beat what was raised on it years ago, and the findings do not depend
    on where batches split (what it raised is forgotten at its place among the rows)."""
    odd = [e for e in events if e.event_id.startswith(("ord-odd", "shp-odd"))]
    back = [
        msgspec.structs.replace(e, event_id=f"{e.event_id}-back", event_time=e.event_time + dt.timedelta(days=away_days))
        for e in odd
    ]
    records = list(iter_records(events + back, Reference()))
    runs = [_observe(model, records, sizes)[0] for sizes in ([len(records)], [1], [37, 5, 400])]
    assert runs[0] == runs[1] == runs[2]
    raised = [f for f in runs[0] if f.subject.entity_id == ODD]
    returned = min(e.event_time for e in back)
    assert any(f.event_time < returned for f in raised) and any(f.event_time >= returned for f in raised)


def test_reference_change_raises_nothing(model):
    detector = AnomalyDetector(model)
    assert detector.on_reference_change(object(), Reference()) == []
    detector.load_state({})
    with pytest.raises(ValueError):
        detector.load_state({"format": 99})


def test_default_artefact_runs_out_of_the_box(events):
    engine = Engine([AnomalyDetector()], Reference())
    engine.process(events[:200])
    engine.flush()
    assert all(a.severity in ("low", "medium") for a in engine.alerts())


class _JudgingEveryRow(AnomalyDetector):
    """The detector without its shortcut for a row equal to the party's last judged one."""

    def _repeats(self, t):
        return None


class _AlwaysSkipping(AnomalyDetector):
    """A wrong shortcut, for contrast: repeats skipped whatever the margin."""

    def _repeats(self, t):
        return self._last_inputs


class _NeverForgetting(AnomalyDetector):
    """A wrong shortcut, for contrast: repeats skipped across a change of settings."""

    def _repeats(self, t):
        return self._last_inputs if float(t["rescore_margin"]) > 0 else None


@pytest.fixture(scope="module")
def reselling_records():
    """The market, plus the odd party selling on to one buyer several times a day: sales
    leave its own row unchanged, so it repeats."""
    from tests.detectors.anomaly._build import order, party

    extra = []
    odd = party(ODD, "Odd Trading Sdn Bhd", "MY")
    onward = party("ent-onward-cn", "Onward Ltd", "CN")
    for day in range(140, 240, 3):
        for n in range(3):
            event = order(f"ord-resale-{day}-{n}", T0 + dt.timedelta(days=day, hours=20 + n), onward, 50, seller=odd)
            extra.append(event)
    events = sorted(market(seed=2, buyers=10, days=240) + extra, key=lambda e: (e["event_time"], e["event_id"]))
    return list(iter_records(events, Reference()))


def _findings_under(detector, records, first, then):
    findings, half = [], len(records) // 2
    for settings_, part in ((first, records[:half]), (then, records[half:])):
        ref = _reference()
        ref.thresholds = ref.thresholds.with_overrides(anomaly={**SETTINGS, **settings_})
        for start in range(0, len(part), 40):
            findings += detector.observe(part[start : start + 40], ref)
    return findings


@pytest.mark.parametrize(
    "first, then, wrong",
    [
        ({}, {}, None),
        ({"min_score": 0.0, "rescore_margin": 0.0}, {"min_score": 0.0, "rescore_margin": 0.0}, _AlwaysSkipping),
        ({"min_score": 0.0, "rescore_margin": 0.01}, {"min_score": 0.0, "rescore_margin": -1.0}, _AlwaysSkipping),
        ({}, {"min_score": 0.0, "medium_score": 0.0}, _NeverForgetting),  # settings change mid-stream
    ],
)
def test_skipping_repeated_rows_changes_no_finding(model, reselling_records, first, then, wrong):
    """Whatever the settings, and when they change, the findings are those of judging
    every row: a repeated row is skipped only where it cannot raise anything. (A wrong
    shortcut shows that the scenario does repeat rows that matter.)"""
    expected = _findings_under(_JudgingEveryRow(model), reselling_records, first, then)
    assert _findings_under(AnomalyDetector(model), reselling_records, first, then) == expected
    if wrong is not None:
        assert _findings_under(wrong(model), reselling_records, first, then) != expected


@pytest.mark.parametrize("raw, raises", [(0.64996, True), (0.64994, False)])
def test_a_score_that_rounds_up_to_the_threshold_raises(model, records, raw, raises):
    """Findings compare the score rounded to 4 places: one just under ``min_score`` that
    rounds up to it must not be left out before rounding."""
    detector = AnomalyDetector(model)
    detector.model = copy.copy(model)
    detector.model.score_many = lambda rows: np.full(len(rows), raw)
    findings = detector.observe(records, _reference())
    assert bool(findings) == raises
    assert all(f.score == 0.65 for f in findings)
