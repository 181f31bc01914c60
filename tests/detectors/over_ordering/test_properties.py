"""Engine rules the over-ordering detector must honour, for any scenario.

* any micro-batch size gives the same fused alerts as one batch;
* records that share a timestamp may arrive in any order;
* ``load_state(to_state())`` and continuing gives the same alerts as never stopping;
* state stays plain JSON.
"""

from __future__ import annotations

import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.over_ordering import OverOrderingDetector
from detectors.thresholds import Thresholds
from tests.detectors.over_ordering.builders import content, fused, records_of, reference, run
from tests.detectors.over_ordering.scenarios import WORLD, run_detector, run_split, scenarios, split_points

#: Low lines, so every rule (bursts and first orders too) fires often in small scenarios.
EAGER = Thresholds.load().with_overrides(over_ordering={
    "burst_min_value_usd": 2_000_000, "burst_window_days": 7, "burst_min_history_days": 10,
    "first_order_min_accelerators": 32, "first_order_min_value_usd": 100_000, "no_capacity_min_accelerators": 16,
})
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(events=scenarios(), data=st.data())
def test_any_batch_size_gives_the_same_alerts(events, data):
    batch = data.draw(st.integers(1, len(events)))
    whole = run(OverOrderingDetector(), [*WORLD, *events], thresholds=EAGER)
    assert content(run(OverOrderingDetector(), [*WORLD, *events], batch=batch, thresholds=EAGER)) == content(whole)


@SETTINGS
@given(events=scenarios(), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_shuffling_records_that_share_a_timestamp_changes_nothing(events, seed, data):
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    shuffled.sort(key=lambda e: e.event_time)  # stable: same-timestamp records stay shuffled
    batch = data.draw(st.integers(1, len(events)))
    assert content(run(OverOrderingDetector(), [*WORLD, *shuffled], batch=batch, thresholds=EAGER)) == content(
        run(OverOrderingDetector(), [*WORLD, *events], thresholds=EAGER)
    )


@SETTINGS
@given(events=scenarios(), data=st.data())
def test_observe_split_anywhere_gives_the_same_findings(events, data):
    ref = reference(*WORLD, thresholds=EAGER)
    records = records_of(ref, events)
    cuts = data.draw(split_points(len(records)))
    assert run_detector(OverOrderingDetector(), records, ref, cuts) == run_detector(OverOrderingDetector(), records, ref, [])


@SETTINGS
@given(events=scenarios(), data=st.data())
def test_state_round_trip_resumes_exactly(events, data):
    ref = reference(*WORLD, thresholds=EAGER)
    records = records_of(ref, events)
    cut = data.draw(st.integers(0, len(records)))
    resumed = run_split(OverOrderingDetector, records, ref, cut)
    assert fused(resumed) == fused(OverOrderingDetector().observe(records, ref))


@SETTINGS
@given(events=scenarios())
def test_state_is_plain_json(events):
    ref = reference(*WORLD, thresholds=EAGER)
    detector = OverOrderingDetector()
    detector.observe(records_of(ref, events), ref)
    state = detector.to_state()
    assert json.loads(json.dumps(state)) == state
