"""Engine rules the end-use detector must honour, for any scenario.

* any micro-batch size gives the same fused alerts as one batch;
* records that share a timestamp may arrive in any order;
* ``load_state(to_state())`` and continuing gives the same alerts as never stopping
  (orders waiting for a licensed leg included);
* state stays plain JSON.
"""

from __future__ import annotations

import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.end_use import EndUseDetector
from detectors.thresholds import Thresholds
from tests.detectors.over_ordering.builders import content, fused, records_of, reference, run
from tests.detectors.over_ordering.scenarios import WORLD, run_detector, run_split, scenarios, split_points

#: A short grace period, so orders waiting for their legs expire inside small scenarios.
EAGER = Thresholds.load().with_overrides(end_use={"order_licence_grace_days": 7})
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(events=scenarios(), data=st.data())
def test_any_batch_size_gives_the_same_alerts(events, data):
    batch = data.draw(st.integers(1, len(events)))
    whole = run(EndUseDetector(), [*WORLD, *events], thresholds=EAGER)
    assert content(run(EndUseDetector(), [*WORLD, *events], batch=batch, thresholds=EAGER)) == content(whole)


@SETTINGS
@given(events=scenarios(), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_shuffling_records_that_share_a_timestamp_changes_nothing(events, seed, data):
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    shuffled.sort(key=lambda e: e.event_time)  # stable: same-timestamp records stay shuffled
    batch = data.draw(st.integers(1, len(events)))
    assert content(run(EndUseDetector(), [*WORLD, *shuffled], batch=batch, thresholds=EAGER)) == content(
        run(EndUseDetector(), [*WORLD, *events], thresholds=EAGER)
    )


@SETTINGS
@given(events=scenarios(), data=st.data())
def test_observe_split_anywhere_gives_the_same_findings(events, data):
    ref = reference(*WORLD, thresholds=EAGER)
    records = records_of(ref, events)
    cuts = data.draw(split_points(len(records)))
    assert run_detector(EndUseDetector(), records, ref, cuts) == run_detector(EndUseDetector(), records, ref, [])


@SETTINGS
@given(events=scenarios(), data=st.data())
def test_state_round_trip_resumes_exactly(events, data):
    ref = reference(*WORLD, thresholds=EAGER)
    records = records_of(ref, events)
    cut = data.draw(st.integers(0, len(records)))
    resumed = run_split(EndUseDetector, records, ref, cut)
    assert fused(resumed) == fused(EndUseDetector().observe(records, ref))


@SETTINGS
@given(events=scenarios())
def test_state_is_plain_json(events):
    ref = reference(*WORLD, thresholds=EAGER)
    detector = EndUseDetector()
    detector.observe(records_of(ref, events), ref)
    state = detector.to_state()
    assert json.loads(json.dumps(state)) == state
