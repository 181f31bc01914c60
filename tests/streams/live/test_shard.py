"""A detection shard fed from an interleaved, redelivered log gives replay's alerts.

This is the live path without Kafka: simulated events are spread over input partitions
the way producers spread them (each partition in event-time order), interleaved at
random as a consumer group would deliver them, some redelivered, stepped at random
points; one shard per detector family. The union of their alerts must equal the
replay engine's, alert for alert. A shard rebuilt from a prefix of its log and then fed
the rest must end in the same state as one that saw it all.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import zlib

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.engine import Engine, SharedRecords
from detectors.registry import FAMILIES, default_detectors, family_detectors
from schemas import Event, decode
from streams.live import DetectionShard, decode_envelope, events_envelope, idle_envelope
from streams.live.decoded import SharedDecoding
from streams.simulate import SimulationConfig, simulate
from streams.topics import TOPIC_FOR_EVENT_TYPE

DETECTED_AT = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
WORLD = SimulationConfig(seed=29, start=dt.date(2025, 1, 1), months=8, target_events=1_500, cases_per_pattern=1)
PARTITIONS = {"trade.orders.v1": 3, "trade.shipments.v1": 3, "ref.entities.v1": 1, "ref.screening.v1": 1}
SOURCES = [f"{topic}:{p}" for topic, count in PARTITIONS.items() for p in range(count)]


def _content(alerts) -> list[dict]:
    out = []
    for alert in alerts:
        data = msgspec.to_builtins(alert)
        data.pop("detected_at")
        out.append(data)
    return sorted(out, key=lambda a: a["alert_id"])


@pytest.fixture(scope="module")
def events() -> list[Event]:
    decoded = [decode(json.dumps(e).encode()) for e in simulate(WORLD).events]
    return sorted(decoded, key=lambda e: (e.event_time, e.event_id))


@pytest.fixture(scope="module")
def expected(events: list[Event]) -> list[dict]:
    engine = Engine(default_detectors())
    engine.process(events, DETECTED_AT)
    engine.flush(DETECTED_AT)
    alerts = _content(engine.alerts())
    assert len({a["typology"] for a in alerts}) >= 4
    return alerts


def _log(events: list[Event], rng: random.Random, redeliver: int) -> list[bytes]:
    """One detection partition's log: sources interleaved at random, each in order,
    several events per message as the ingest stage batches them."""
    queues: dict[str, list[tuple[str, Event, float]]] = {s: [] for s in SOURCES}
    for event in events:
        topic = TOPIC_FOR_EVENT_TYPE[event.event_type]
        source = f"{topic}:{zlib.crc32(event.event_id.encode()) % PARTITIONS[topic]}"
        queues[source].append((source, event, 0.0))
    log: list[bytes] = []
    live = list(SOURCES)
    while live:
        source = rng.choice(live)
        take = rng.randint(1, 40)
        log.append(events_envelope(queues[source][:take]))
        del queues[source][:take]
        if rng.random() < 0.3 and log and redeliver:
            start = rng.randrange(len(log))
            log.extend(log[start : start + rng.randint(1, 3)])  # a restarted ingest re-sends
            redeliver -= 1
        if not queues[source]:
            log.append(idle_envelope(source))
            live.remove(source)
    return log


def _run(log: list[bytes], rng: random.Random, *, rebuild_at: int | None = None, records: SharedRecords | None = None) -> list[dict]:
    alerts = []
    for family in FAMILIES:
        shard = DetectionShard(family, family_detectors(family), SOURCES, records=records)
        offset = 0
        while offset < len(log):
            step = rng.randint(1, 300)
            for value in log[offset : offset + step]:
                shard.apply(offset, value)
                offset += 1
            shard.step(DETECTED_AT)
            if rebuild_at is not None and offset >= rebuild_at:
                # the worker dies; another one rebuilds from the log and the consumer
                # redelivers from an earlier committed offset
                shard = DetectionShard(family, family_detectors(family), SOURCES, records=records)
                for position, value in enumerate(log[:offset]):
                    shard.apply(position, value)
                    if position % 97 == 0:
                        shard.step(DETECTED_AT)
                offset = max(0, offset - rng.randint(0, 50))
                rebuild_at = None
        shard.step(DETECTED_AT)
        assert shard.sequencer.late_events == 0
        assert len(shard.sequencer) == 0, "events left behind the watermark"
        alerts.extend(shard.alerts())
    return _content(alerts)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_shards_over_an_interleaved_redelivered_log_equal_replay(events, expected, seed) -> None:
    rng = random.Random(seed)
    assert _run(_log(events, rng, redeliver=20), rng) == expected


def test_a_shard_rebuilt_from_its_log_mid_stream_equals_replay(events, expected) -> None:
    rng = random.Random(5)
    log = _log(events, rng, redeliver=5)
    assert _run(log, rng, rebuild_at=len(log) // 2) == expected


def test_shards_sharing_their_records_equal_replay(events, expected) -> None:
    """A worker's shards share trade records (built once per registry content): the
    same alerts, including over a rebuild that replays early events against an early
    registry while the shared cache holds later ones."""
    rng = random.Random(17)
    log = _log(events, rng, redeliver=10)
    records = SharedRecords()
    assert _run(log, rng, rebuild_at=len(log) // 3, records=records) == expected
    assert records.shared > records.built  # five families, built about once each


def test_shards_stepping_together_over_shared_decoding_and_records_equal_replay(events, expected) -> None:
    """As a worker runs them: every shard applies each batch, all step, the shared
    caches are cleared; one shard is rebuilt from its log mid-stream, through the same
    caches, while the others stay live."""
    rng = random.Random(23)
    log = _log(events, rng, redeliver=10)
    decoding, records = SharedDecoding(), SharedRecords()

    def shard(family: str) -> DetectionShard:
        return DetectionShard(family, family_detectors(family), SOURCES, records=records, decoding=decoding)

    shards = {family: shard(family) for family in FAMILIES}
    offset, rebuilt = 0, False
    while offset < len(log):
        step = rng.randint(1, decoding.capacity)  # a worker's batch fits the cache
        for one in shards.values():
            for position in range(offset, min(offset + step, len(log))):
                one.apply(position, log[position])
            one.step(DETECTED_AT)
        offset += step
        decoding.clear()
        records.clear()
        if not rebuilt and offset >= len(log) // 2:
            shards["transshipment"] = replacement = shard("transshipment")
            for position, value in enumerate(log[:offset]):
                replacement.apply(position, value)
            replacement.step(DETECTED_AT)
            rebuilt = True
    alerts = []
    for one in shards.values():
        one.step(DETECTED_AT)
        alerts.extend(one.alerts())
    assert _content(alerts) == expected
    # live, each message is decoded and each record built once for five shards; the
    # rebuild, alone, decodes half the log and builds what it releases again
    assert decoding.shared >= 2 * decoding.decoded
    assert records.shared >= 2 * records.built


def test_without_the_sequencer_arrival_order_would_change_alerts(events, expected) -> None:
    """The property above can fail: feeding the engine in arrival order differs from replay."""
    rng = random.Random(1)
    engine = Engine(default_detectors())
    envelopes = [decode_envelope(v) for v in _log(events, rng, redeliver=0)]
    arrival_events = [decode(bytes(item.event)) for e in envelopes if e.kind == "events" for item in e.events]
    for start in range(0, len(arrival_events), 50):
        engine.process(arrival_events[start : start + 50], DETECTED_AT)
    engine.flush(DETECTED_AT)
    assert _content(engine.alerts()) != expected


def test_malformed_log_messages_are_counted_and_skipped() -> None:
    shard = DetectionShard("screening", family_detectors("screening"), ["a:0"])
    shard.apply(0, b"not an envelope")
    shard.apply(1, None)
    shard.apply(2, b'{"kind":"events","events":[["a:0",0.0,{"event_type":"order"}]]}')
    shard.apply(3, b'{"kind":"events","events":[]}')
    assert shard.malformed == 4
    assert shard.next_offset == 4


def test_each_alert_names_the_event_its_latency_is_measured_from(events) -> None:
    """Every event is processed in exactly one step (held-back ones included), and each
    alert's latency runs from its newest evidence event of that step, or, for an alert
    completed outside its evidence (a list entry, a grace period ending), from the step's
    earliest event: never from a later one than the event that completed it.

    The log is a caught-up worker's at low rate: one event per message, its source often
    announced idle after it, ingest time = position (so "earliest" is well defined);
    steps of a few messages, so some hold several events and some hold events back."""
    rng = random.Random(11)
    log: list[bytes] = []
    for position, event in enumerate(events):
        topic = TOPIC_FOR_EVENT_TYPE[event.event_type]
        source = f"{topic}:{zlib.crc32(event.event_id.encode()) % PARTITIONS[topic]}"
        log.append(events_envelope([(source, event, float(position))]))
        if rng.random() < 0.9:
            log.append(idle_envelope(source))
    outside_evidence = 0
    for family in FAMILIES:
        shard = DetectionShard(family, family_detectors(family), SOURCES)
        for source in SOURCES:
            shard.sequencer.idle(source)
        processed: list[str] = []
        for offset, value in enumerate(log):
            shard.apply(offset, value)
            if rng.random() < 0.3 and offset < len(log) - 1:
                continue
            step = shard.step(DETECTED_AT)
            processed.extend(step.ingested_at)
            for alert in step.alerts:
                origin = step.latency_from(alert)
                assert origin is not None
                event_id, at = origin
                assert step.ingested_at[event_id] == at
                in_step = [e for e in alert.evidence if e in step.ingested_at]
                if in_step:
                    assert event_id in in_step
                    assert at == max(step.ingested_at[e] for e in in_step)
                else:
                    outside_evidence += 1
                    assert at == min(step.ingested_at.values())
        for extra, source in enumerate(SOURCES):  # the stream goes quiet: everything held is flushed
            shard.apply(len(log) + extra, idle_envelope(source))
        processed.extend(shard.step(DETECTED_AT).ingested_at)
        assert sorted(processed) == sorted(e.event_id for e in events), family
    assert outside_evidence > 0, "no alert completed outside its evidence: the second case went untested"


def test_an_event_the_watermark_passes_is_processed_in_the_same_step(events) -> None:
    """The watermark proves the newest released event's time group complete, so the
    engine does not hold it back for a later step (that wait was pure latency)."""
    by_time = {e.event_time: e for e in reversed(events) if e.event_type == "order"}
    orders = [by_time[t] for t in sorted(by_time)[:4]]  # four orders at distinct times
    shard = DetectionShard("over_ordering", family_detectors("over_ordering"), ["a:0", "b:0"])
    shard.apply(0, events_envelope([("a:0", orders[0], 1.0), ("a:0", orders[2], 3.0)]))
    shard.apply(1, events_envelope([("b:0", orders[1], 2.0)]))
    step = shard.step(DETECTED_AT)  # watermark: orders[1]'s time (b:0's latest); releases orders[0]
    assert list(step.ingested_at) == [orders[0].event_id]
    assert not shard.engine.held_ids
    shard.apply(2, events_envelope([("b:0", orders[3], 4.0)]))
    step = shard.step(DETECTED_AT)  # watermark: orders[2]'s time
    assert list(step.ingested_at) == [orders[1].event_id]
    assert shard.engine.events_processed == 2
