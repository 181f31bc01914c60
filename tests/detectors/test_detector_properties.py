"""Engine rules every rule detector must honour, for any scenario.

* any micro-batch size gives the same fused alerts as one batch;
* records that share a timestamp may arrive in any order;
* splitting ``observe`` anywhere gives the same findings;
* ``load_state(to_state())`` and continuing gives the same alerts as never stopping;
* state stays plain JSON.

Scenarios are the over-ordering builders' random order/shipment mixes, which exercise
the end-use detector as well. Transshipment has its own (serial-chain) scenarios in
``tests/detectors/transshipment/test_properties.py``; all detectors together are checked
in ``tests/detectors/engine/test_properties.py``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.end_use import EndUseDetector
from detectors.over_ordering import OverOrderingDetector
from detectors.thresholds import Thresholds
from tests.detectors.over_ordering.builders import content, fused, records_of, reference, run
from tests.detectors.over_ordering.scenarios import WORLD, run_detector, run_split, scenarios, split_points


@dataclass(frozen=True)
class Case:
    detector: Callable[[], object]
    thresholds: Thresholds


CASES = {
    # Low lines, so every rule (bursts and first orders too) fires often in small scenarios.
    "over_ordering": Case(OverOrderingDetector, Thresholds.load().with_overrides(over_ordering={
        "burst_min_value_usd": 2_000_000, "burst_window_days": 7, "burst_min_history_days": 10, "burst_history_multiple": 4.0,
        "first_order_min_accelerators": 32, "first_order_min_value_usd": 100_000, "no_capacity_min_accelerators": 16,
    })),
    # A short grace period, so orders waiting for their legs expire inside small scenarios.
    "end_use": Case(EndUseDetector, Thresholds.load().with_overrides(end_use={"order_licence_grace_days": 7})),
}
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
each_detector = pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))


@each_detector
@SETTINGS
@given(events=scenarios(), data=st.data())
def test_any_batch_size_gives_the_same_alerts(case: Case, events, data):
    batch = data.draw(st.integers(1, len(events)))
    whole = run(case.detector(), [*WORLD, *events], thresholds=case.thresholds)
    assert content(run(case.detector(), [*WORLD, *events], batch=batch, thresholds=case.thresholds)) == content(whole)


@each_detector
@SETTINGS
@given(events=scenarios(), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_shuffling_records_that_share_a_timestamp_changes_nothing(case: Case, events, seed, data):
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    shuffled.sort(key=lambda e: e.event_time)  # stable: same-timestamp records stay shuffled
    batch = data.draw(st.integers(1, len(events)))
    assert content(run(case.detector(), [*WORLD, *shuffled], batch=batch, thresholds=case.thresholds)) == content(
        run(case.detector(), [*WORLD, *events], thresholds=case.thresholds)
    )


@each_detector
@SETTINGS
@given(events=scenarios(), data=st.data())
def test_observe_split_anywhere_gives_the_same_findings(case: Case, events, data):
    ref = reference(*WORLD, thresholds=case.thresholds)
    records = records_of(ref, events)
    cuts = data.draw(split_points(len(records)))
    assert run_detector(case.detector(), records, ref, cuts) == run_detector(case.detector(), records, ref, [])


@each_detector
@SETTINGS
@given(events=scenarios(), data=st.data())
def test_state_round_trip_resumes_exactly(case: Case, events, data):
    ref = reference(*WORLD, thresholds=case.thresholds)
    records = records_of(ref, events)
    cut = data.draw(st.integers(0, len(records)))
    resumed = run_split(case.detector, records, ref, cut)
    assert fused(resumed) == fused(case.detector().observe(records, ref))


@each_detector
@SETTINGS
@given(events=scenarios())
def test_state_is_plain_json(case: Case, events):
    ref = reference(*WORLD, thresholds=case.thresholds)
    detector = case.detector()
    detector.observe(records_of(ref, events), ref)
    state = detector.to_state()
    assert json.loads(json.dumps(state)) == state
