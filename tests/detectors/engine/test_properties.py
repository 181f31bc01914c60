"""Every default detector together: the alerts do not depend on how the events arrive.

The promise (``detectors.engine.core``): for any micro-batch size, any redelivery of
events already seen, and any order of the events that share a timestamp, the engine
publishes the same alerts. Each detector family has its own property tests; this one
runs all of them on a simulated year with every injected typology.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.engine import Engine
from detectors.registry import default_detectors
from schemas import Event, decode
from streams.simulate import SimulationConfig, simulate

DETECTED_AT = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
WORLD = SimulationConfig(seed=23, start=dt.date(2025, 1, 1), months=12, target_events=3_000, cases_per_pattern=1)


def _alerts(events: list[Event], batch_size: int) -> list[dict]:
    engine = Engine(default_detectors())
    for start in range(0, len(events), batch_size):
        engine.process(events[start : start + batch_size], DETECTED_AT)
    engine.flush(DETECTED_AT)
    return sorted((msgspec.to_builtins(a) for a in engine.alerts()), key=lambda a: a["alert_id"])


@pytest.fixture(scope="module")
def events() -> list[Event]:
    decoded = [decode(json.dumps(e).encode()) for e in simulate(WORLD).events]
    assert all(isinstance(e, Event) for e in decoded)
    return sorted(decoded, key=lambda e: (e.event_time, e.event_id))


@pytest.fixture(scope="module")
def expected(events: list[Event]) -> list[dict]:
    alerts = _alerts(events, batch_size=len(events))
    typologies = {a["typology"] for a in alerts}
    assert {"screening", "over_ordering", "transshipment", "end_use"} <= typologies, typologies
    return alerts


def _redelivered(events: list[Event], rng: random.Random, duplicates: int) -> list[Event]:
    """Same-timestamp groups shuffled; some events delivered again, later in the stream."""
    stream: list[Event] = []
    for _, group in itertools.groupby(events, key=lambda e: e.event_time):
        members = list(group)
        rng.shuffle(members)
        stream.extend(members)
    for _ in range(duplicates):
        original = rng.randrange(len(stream))
        stream.insert(rng.randint(original + 1, len(stream)), stream[original])
    return stream


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch_size=st.integers(min_value=1, max_value=900), seed=st.integers(min_value=0, max_value=2**32 - 1),
       duplicates=st.integers(min_value=0, max_value=200))
def test_alerts_do_not_depend_on_batching_redelivery_or_order_within_a_timestamp(
    events: list[Event], expected: list[dict], batch_size: int, seed: int, duplicates: int
) -> None:
    stream = _redelivered(events, random.Random(seed), duplicates)
    assert _alerts(stream, batch_size) == expected


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.floats(min_value=0.05, max_value=0.95))
def test_detector_state_through_json_resumes_exactly(events: list[Event], expected: list[dict], cut: float) -> None:
    """What a restarted worker does: every detector's state goes through JSON (as it would
    through a Faust table's changelog), fresh detectors load it, and the stream goes on."""
    engine = Engine(default_detectors())
    half = int(len(events) * cut)
    engine.process(events[:half], DETECTED_AT)
    saved = [json.loads(json.dumps(detector.to_state())) for detector in engine.detectors]
    fresh = default_detectors()
    for detector, state in zip(fresh, saved):
        detector.load_state(state)
    engine.detectors = fresh
    engine.process(events[half:], DETECTED_AT)
    engine.flush(DETECTED_AT)
    assert sorted((msgspec.to_builtins(a) for a in engine.alerts()), key=lambda a: a["alert_id"]) == expected
