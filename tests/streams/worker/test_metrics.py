"""Worker metrics: values read back from the exposition, and Prometheus naming rules.

No Kafka: real detection shards are fed simulated events (the same envelopes the
detection topic carries), and each test builds its own ``WorkerMetrics`` registry.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import re

import msgspec
import pytest
from prometheus_client.parser import text_string_to_metric_families

from detectors.alerts import SEVERITIES
from detectors.anomaly.artefact import read_metadata
from detectors.registry import FAMILIES, family_detectors
from schemas import ScreeningEntry, decode
from streams.live import DetectionShard, events_envelope, idle_envelope
from streams.simulate import SimulationConfig, simulate
from streams.worker.metrics import TYPOLOGIES, WorkerMetrics
from streams.worker.state_metrics import WorkerStateCollector
from tests.streams.worker.harness import exercise_metrics

WORLD = SimulationConfig(seed=5, start=dt.date(2025, 1, 1), months=4, target_events=800, cases_per_pattern=1)
SOURCE = "trade.orders.v1:0"
CLOCK = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc).timestamp()
#: Every label a chokepoint metric may carry: closed sets only (never a party or an id).
ALLOWED_LABELS = {"topic", "partition", "event_type", "reason", "typology", "severity", "detector", "family", "list",
                  "model_version", "version", "contract", "thresholds_version", "generation", "le"}


@pytest.fixture(scope="module")
def world() -> list:
    events = [decode(json.dumps(e).encode()) for e in simulate(WORLD).events]
    return sorted(events, key=lambda e: (e.event_time, e.event_id))


@pytest.fixture(scope="module")
def shards(world: list) -> list[DetectionShard]:
    out = []
    for family in ("screening", "anomaly"):
        shard = DetectionShard(family, family_detectors(family), [SOURCE])
        shard.apply(0, events_envelope([(SOURCE, event, CLOCK - 5.0) for event in world]))
        shard.apply(1, idle_envelope(SOURCE))
        shard.step(dt.datetime.fromtimestamp(CLOCK, dt.timezone.utc))
        out.append(shard)
    return out


def samples(metrics: WorkerMetrics) -> dict[tuple[str, frozenset], float]:
    out = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(found: dict, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def test_shard_state_read_at_scrape_time(world: list, shards: list[DetectionShard]) -> None:
    metrics = WorkerMetrics()
    metrics.state.clock = lambda: CLOCK
    metrics.watch(shards=shards, lags=lambda: [("trade.orders.v1", 3, 7), ("ref.screening.v1", 0, 0)])
    found = samples(metrics)
    screening = shards[0]

    assert value(found, "chokepoint_shard_events_processed_total", family="screening") == len(world)
    watermark = max(e.event_time for e in world).timestamp()
    assert value(found, "chokepoint_watermark_timestamp_seconds", family="screening") == watermark
    assert value(found, "chokepoint_event_time_lag_seconds", family="screening") == CLOCK - watermark
    assert value(found, "chokepoint_shard_buffered_events", family="screening") == 0
    assert value(found, "chokepoint_tracked_parties", family="screening") == screening.tracked_parties > 0
    assert value(found, "chokepoint_shard_alerts", family="screening") == len(screening.alerts()) > 0
    assert value(found, "chokepoint_consumer_lag_messages", topic="trade.orders.v1", partition="3") == 7

    # the screening list, counted independently from the events: latest record per entry wins
    latest: dict[str, ScreeningEntry] = {}
    for event in world:
        if isinstance(event, ScreeningEntry):
            latest[event.entry_id] = event
    by_list: dict[str, int] = {}
    for entry in latest.values():
        if not entry.deleted:
            by_list[entry.list] = by_list.get(entry.list, 0) + 1
    assert by_list
    for list_name, count in by_list.items():
        assert value(found, "chokepoint_screening_list_entries", family="screening", list=list_name) == count
    updated = max(e.event_time for e in latest.values()).timestamp()
    assert value(found, "chokepoint_screening_list_updated_timestamp_seconds", family="screening") == updated
    assert value(found, "chokepoint_screening_list_age_seconds", family="screening") == watermark - updated

    metadata = read_metadata()
    version = metadata["model_version"]
    assert value(found, "chokepoint_model_info", family="anomaly", detector="anomaly", model_version=version) == 1
    trained = dt.datetime.fromisoformat(metadata["trained_at"].replace("Z", "+00:00")).timestamp()
    assert value(found, "chokepoint_model_trained_timestamp_seconds", family="anomaly", model_version=version) == trained


def test_a_bad_training_time_does_not_break_the_scrape(shards: list[DetectionShard]) -> None:
    anomaly = shards[1]
    detector = anomaly.engine.detectors[0]
    saved = detector.trained_at
    detector.trained_at = "last tuesday"
    try:
        metrics = WorkerMetrics()
        metrics.watch(shards=shards)
        found = samples(metrics)
    finally:
        detector.trained_at = saved
    assert value(found, "chokepoint_model_info", family="anomaly", detector="anomaly", model_version=detector.model_version) == 1
    assert not [k for k in found if k[0] == "chokepoint_model_trained_timestamp_seconds"]


def test_state_size_is_measured_on_demand(shards: list[DetectionShard]) -> None:
    metrics = WorkerMetrics()
    metrics.watch(shards=shards)
    assert not [k for k in samples(metrics) if k[0] == "chokepoint_detector_state_bytes"]
    metrics.state.measure_state()
    found = samples(metrics)
    for shard in shards:
        measured = value(found, "chokepoint_detector_state_bytes", family=shard.family)
        serialised = sum(len(json.dumps(d.to_state(), separators=(",", ":"), default=str)) for d in shard.engine.detectors)
        assert measured == serialised > 0  # the same measure, written out independently


def test_state_is_weighed_one_shard_at_a_time_new_ones_first(shards: list[DetectionShard]) -> None:
    screening, anomaly = shards
    now = [1000.0]
    collector = WorkerStateCollector(clock=lambda: now[0])
    collector.watch([screening], None)
    assert [collector.measure_one_due(300), collector.measure_one_due(300)] == ["screening", None]
    now[0] += 100
    collector.watch([screening, anomaly], None)  # a shard appears: weighed at the next call
    assert [collector.measure_one_due(300), collector.measure_one_due(300)] == ["anomaly", None]
    now[0] += 200  # screening is due, anomaly not yet
    assert [collector.measure_one_due(300), collector.measure_one_due(300)] == ["screening", None]
    now[0] += 1000  # both due: the stalest first, one a call
    assert [collector.measure_one_due(300) for _ in range(3)] == ["anomaly", "screening", None]
    assert collector.state_bytes == {"screening": screening.state_bytes(), "anomaly": anomaly.state_bytes()}


def test_garbage_collections_are_timed_by_generation() -> None:
    metrics = WorkerMetrics()
    gc.callbacks.append(metrics.on_gc)
    try:
        gc.collect()
        gc.collect(0)
    finally:
        gc.callbacks.remove(metrics.on_gc)
    found = samples(metrics)
    assert value(found, "chokepoint_gc_pause_seconds_count", generation="2") >= 1
    assert value(found, "chokepoint_gc_pause_seconds_count", generation="0") >= 1
    assert value(found, "chokepoint_gc_pause_seconds_sum", generation="2") > 0


def test_raised_counts_start_at_zero_for_every_typology_and_severity() -> None:
    found = samples(WorkerMetrics())
    raised = {k: v for k, v in found.items() if k[0] == "chokepoint_alerts_raised_total"}
    assert len(raised) == len(TYPOLOGIES) * len(SEVERITIES)
    assert set(raised.values()) == {0.0}
    for family in FAMILIES:
        assert value(found, "chokepoint_shard_rebuilds_total", family=family) == 0


def test_published_and_raised_are_counted_apart(shards: list[DetectionShard]) -> None:
    metrics = WorkerMetrics()
    alerts = shards[0].alerts()
    metrics.published(alerts, alerts[:2])
    metrics.published(alerts[:1], [])
    found = samples(metrics)
    published = sum(v for k, v in found.items() if k[0] == "chokepoint_alerts_published_total")
    raised = sum(v for k, v in found.items() if k[0] == "chokepoint_alerts_raised_total")
    assert (published, raised) == (len(alerts) + 1, 2)


def test_shard_raises_an_alert_once_per_severity_reached(shards: list[DetectionShard]) -> None:
    shard = DetectionShard("screening", [], [SOURCE])
    alert = shards[0].alerts()[0]
    high, medium, critical = (msgspec.structs.replace(alert, severity=s) for s in ("high", "medium", "critical"))
    assert shard._raised([high]) == [high]
    assert shard._raised([high]) == []  # an update at the same severity
    assert shard._raised([medium]) == []  # a downgrade does not page
    assert shard._raised([critical]) == [critical]  # an escalation does


def test_names_and_labels_follow_prometheus_conventions(shards: list[DetectionShard], world: list) -> None:
    metrics = WorkerMetrics()
    exercise_metrics(metrics, shards)

    party_ids = {p.entity_id for a in shards[0].alerts() for p in [a.subject, *(a.related or [])]}
    party_names = {p.name for a in shards[0].alerts() for p in [a.subject, *(a.related or [])]}
    seen_types = set()
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        seen_types.add(family.type)
        assert re.fullmatch(r"chokepoint_[a-z][a-z0-9_]*[a-z0-9]", family.name), family.name
        assert family.documentation, f"{family.name} has no help text"
        assert not re.search(r"_(ms|milliseconds|minutes|hours|kb|mb|percent)(_|$)", family.name), f"{family.name}: use base units"
        if family.type == "counter":
            assert all(s.name.endswith(("_total", "_created")) for s in family.samples), family.name
        else:
            assert not family.name.endswith("_total"), f"{family.name}: only counters end in _total"
        if family.type == "histogram":
            assert family.name.endswith(("_seconds", "_bytes", "_events")), f"{family.name}: a histogram names its unit"
        if "timestamp" in family.name:
            assert family.name.endswith("_timestamp_seconds"), family.name
        if family.type == "gauge" and ("lag" in family.name or "age" in family.name.split("_")):
            assert family.name.endswith(("_seconds", "_messages")), f"{family.name}: a lag or age names its unit"
        for sample in family.samples:
            assert set(sample.labels) <= ALLOWED_LABELS, f"{family.name}: labels {set(sample.labels) - ALLOWED_LABELS}"
            for label_value in sample.labels.values():
                assert label_value not in party_ids and label_value not in party_names, f"{family.name} carries a party"
    assert {"counter", "gauge", "histogram"} <= seen_types  # (text format 0.0.4 shows info as gauge)
