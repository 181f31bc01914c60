"""The live stream equals replay: two workers, SIGKILLs, garbage on every input topic.

Each test gets a broker of its own (the input topics must hold exactly one scenario), a
simulated scenario with every typology, published with junk mixed in, and the
``alert_id`` set (and final content) that ``chokepoint replay``'s engine computes from
the same events. Workers are real ``chokepoint worker`` processes.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid

import msgspec
import pytest

from detectors.engine import Engine
from detectors.registry import FAMILIES
from schemas import Alert, decode
from streams.broker import EmbeddedBroker
from streams.broker.embedded import free_port
from streams.publish import publish_events
from streams.settings import Settings, load_settings
from streams.simulate import SimulationConfig, simulate
from streams.topics import ALERTS, DEADLETTER
from tests.streams.worker.harness import RunningWorker, TopicReader

pytestmark = pytest.mark.integration

WORLD = SimulationConfig(seed=31, start=dt.date(2025, 1, 1), months=10, target_events=2_500, cases_per_pattern=1)
JUNK_RATIO = 0.01
PACED_RATE = 400.0  # events/s, for the local fast path test
KILL_BATCH = 10  # events per micro-batch in the kill test, so its drain takes a few seconds
LOCAL_EVENTS = 1_000  # of the scenario, for the local fast path test (~2.5 s to publish)


@pytest.fixture(scope="module")
def scenario() -> tuple[list[dict], dict[str, dict]]:
    """The events, and replay's final alerts by id (without the wall-clock field)."""
    events = list(simulate(WORLD).events)
    expected = _replay(events)
    assert len({a["typology"] for a in expected.values()}) >= 4
    return events, expected


def _replay(events: list[dict]) -> dict[str, dict]:
    """Replay's final alerts by id for ``events`` (without the wall-clock field)."""
    decoded = sorted((decode(json.dumps(e).encode()) for e in events), key=lambda e: (e.event_time, e.event_id))
    engine = Engine()
    engine.process(decoded)
    engine.flush()
    return {a.alert_id: _content(a) for a in engine.alerts()}


def _content(alert: Alert | bytes) -> dict:
    data = msgspec.json.decode(alert) if isinstance(alert, bytes) else msgspec.to_builtins(alert)
    data.pop("detected_at")
    return data


def _settings(broker: EmbeddedBroker, app_id: str, batch_size: int = 500) -> Settings:
    return load_settings(
        kafka={"bootstrap_servers": broker.bootstrap_servers},
        worker={"app_id": app_id, "web_port": free_port(), "batch_within_s": 0.02, "batch_size": batch_size},
    )


def _publish(events: list[dict], broker: EmbeddedBroker, rate: float | None = None) -> int:
    settings = load_settings(kafka={"bootstrap_servers": broker.bootstrap_servers})
    stats = publish_events(events, settings, rate=rate, junk_ratio=JUNK_RATIO, seed=3)
    assert stats.junk > 0
    return stats.junk


def _collect(
    reader: TopicReader, expected: set[str], workers: list[RunningWorker], timeout_s: float, quiet_s: float = 6.0
) -> dict[str, bytes]:
    """Latest message per alert id once every expected id is in and the topic is quiet."""
    latest: dict[str, bytes] = {key.decode(): value for key, value in reader.messages}
    reader.messages.clear()
    deadline = time.monotonic() + timeout_s
    last_new = time.monotonic()
    while time.monotonic() < deadline:
        for worker in workers:
            assert worker.process.poll() is None, "a worker died"
        if reader.poll(500):
            last_new = time.monotonic()
            for key, value in reader.messages:
                latest[key.decode()] = value
            reader.messages.clear()
        if expected <= latest.keys() and time.monotonic() - last_new > quiet_s:
            break
    return latest


def _assert_equal_to_replay(latest: dict[str, bytes], expected: dict[str, dict]) -> None:
    missing = expected.keys() - latest.keys()
    extra = latest.keys() - expected.keys()
    assert not missing and not extra, f"{len(missing)} alerts missing, {len(extra)} extra (another id for the same alert?)"
    differing = [k for k in expected if _content(latest[k]) != expected[k]]
    assert not differing, f"{len(differing)} alerts differ from replay, e.g. {differing[0]}"


def test_two_workers_publish_exactly_the_alerts_of_replay(scenario, fresh_broker, tmp_path) -> None:
    events, expected = scenario
    junk = _publish(events, fresh_broker)
    app_id = f"live-{uuid.uuid4().hex[:6]}"
    workers = [RunningWorker(_settings(fresh_broker, app_id), tmp_path / f"worker-{i}.log") for i in range(2)]
    alerts = TopicReader(fresh_broker.bootstrap_servers, ALERTS)
    letters = TopicReader(fresh_broker.bootstrap_servers, DEADLETTER)
    try:
        latest = _collect(alerts, set(expected), workers, timeout_s=240)
        _assert_equal_to_replay(latest, expected)
        # both workers did part of the work, and every junk message was dead-lettered
        ingested = [sum(w.stats().get("events", {}).values()) for w in workers]
        assert all(n > 0 for n in ingested) and sum(ingested) >= len(events), ingested
        deadline = time.monotonic() + 20
        while len(letters.messages) < junk and time.monotonic() < deadline:
            letters.poll(500)
        keys = {key for key, _ in letters.messages}
        assert len(keys) == junk, (len(keys), junk)
        assert all(json.loads(value)["errors"] for _, value in letters.messages)
        for worker in workers:
            assert worker.stop() == 0
    finally:
        alerts.close()
        letters.close()
        for worker in workers:
            worker.stop()


def test_a_worker_killed_at_random_points_loses_and_duplicates_nothing(scenario, fresh_broker, tmp_path) -> None:
    events, expected = scenario
    # The scenario is published before the workers start. Published while they run, events
    # on different partitions can reach them out of publishing order (producer batching,
    # two workers' ingest racing), some come late, and live may then differ from replay by
    # design (README, "Event time"); this test is about kills, so it leaves that out.
    # Small micro-batches make the drain last long enough for kills to land inside it.
    junk = _publish(events, fresh_broker)
    total = len(events) + junk
    rng = random.Random(int(time.time()))
    app_id = f"kill-{uuid.uuid4().hex[:6]}"
    survivor = RunningWorker(_settings(fresh_broker, app_id, batch_size=KILL_BATCH), tmp_path / "survivor.log")
    victim_settings = _settings(fresh_broker, app_id, batch_size=KILL_BATCH)
    victim = RunningWorker(victim_settings, tmp_path / "victim.log")
    alerts = TopicReader(fresh_broker.bootstrap_servers, ALERTS)
    kills = []
    try:
        # Kill points are random but mid-stream: once a random share of the input is read
        # (counted over both workers, restarts included, so re-reads count too).
        seen: set[bytes] = set()
        for share in sorted(rng.uniform(0.05, 0.85) for _ in range(3)):
            read = 0.0
            deadline = time.monotonic() + 120
            while read < share * total and time.monotonic() < deadline:
                alerts.poll(50)
                seen.update(key for key, _ in alerts.messages)
                read = sum(_read(w) for w in (survivor, victim))
            kills.append((round(share, 2), int(read), len(seen)))
            victim.kill()
            victim = RunningWorker(victim_settings, tmp_path / "victim.log")
        latest = _collect(alerts, set(expected), [survivor, victim], timeout_s=240)
        _assert_equal_to_replay(latest, expected)
        # At least one kill must hit the stream mid-way (input read, alerts not all out) for
        # this test to mean anything. A later one may find the stream done: the restart after
        # a kill takes seconds (a rebalance), and the drain less.
        assert any(0 < n < total and a < len(expected) for _, n, a in kills), f"no kill landed mid-stream: {kills}"
    finally:
        alerts.close()
        survivor.stop()
        victim.stop()


def _read(worker: RunningWorker) -> float:
    """Input messages the worker has read, valid or not (0 if it is not up)."""
    stats = worker.stats()
    return sum(stats.get("events", {}).values()) + sum(stats.get("invalid", {}).values())


def test_a_worker_applies_its_own_messages_once_the_broker_has_them(scenario, fresh_broker, tmp_path) -> None:
    """The local fast path (``ShardSet.forwarded``): a worker that has caught up applies its
    ingest's detection messages at the offsets the broker acknowledged, without waiting to
    read them back.

    Published while the worker runs, so some events may come late (README, "Event time")
    and the alerts are not compared with replay here: the backlog test above does that.
    """
    events, _ = scenario
    part = events[:LOCAL_EVENTS]
    worker = RunningWorker(_settings(fresh_broker, f"local-{uuid.uuid4().hex[:6]}"), tmp_path / "worker.log")
    alerts = TopicReader(fresh_broker.bootstrap_servers, ALERTS)
    try:
        worker.wait_ready()
        # paced, so the worker keeps up and its shards wait at the end of their logs
        _publish(part, fresh_broker, rate=PACED_RATE)
        stats = worker.wait_for(lambda s: sum(s.get("shards", {}).values()) >= len(FAMILIES) * len(part), timeout_s=60)
        assert sum(stats.get("local", {}).values()) > 0, stats  # ~40% of the messages here
        deadline = time.monotonic() + 10
        while not alerts.messages and time.monotonic() < deadline:
            alerts.poll(200)
        assert alerts.messages, "no alert came out"
        assert worker.stop() == 0
    finally:
        alerts.close()
        worker.stop()
