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
import threading
import time
import uuid

import msgspec
import pytest

from detectors.engine import Engine
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
PACED_RATE = 400.0  # events/s: the kill test's scenario takes ~6 s to publish


@pytest.fixture(scope="module")
def scenario() -> tuple[list[dict], dict[str, dict]]:
    """The events, and replay's final alerts by id (without the wall-clock field)."""
    events = list(simulate(WORLD).events)
    decoded = sorted((decode(json.dumps(e).encode()) for e in events), key=lambda e: (e.event_time, e.event_id))
    engine = Engine()
    engine.process(decoded)
    engine.flush()
    expected = {a.alert_id: _content(a) for a in engine.alerts()}
    assert len({a["typology"] for a in expected.values()}) >= 4
    return events, expected


def _content(alert: Alert | bytes) -> dict:
    data = msgspec.json.decode(alert) if isinstance(alert, bytes) else msgspec.to_builtins(alert)
    data.pop("detected_at")
    return data


def _settings(broker: EmbeddedBroker, app_id: str) -> Settings:
    return load_settings(
        kafka={"bootstrap_servers": broker.bootstrap_servers},
        worker={"app_id": app_id, "web_port": free_port(), "batch_within_s": 0.02},
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
        # and shards applied some of their own worker's messages before reading them back
        assert sum(sum(w.stats().get("local", {}).values()) for w in workers) > 0
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
    # Published while the workers run, at a pace that makes alerts come out over several
    # seconds: published all at once, a fast worker can put out every alert in one batch
    # and no kill lands mid-stream.
    publisher = threading.Thread(target=_publish, args=(events, fresh_broker), kwargs={"rate": PACED_RATE}, daemon=True)
    publisher.start()
    rng = random.Random(int(time.time()))
    app_id = f"kill-{uuid.uuid4().hex[:6]}"
    survivor = RunningWorker(_settings(fresh_broker, app_id), tmp_path / "survivor.log")
    victim_settings = _settings(fresh_broker, app_id)
    victim = RunningWorker(victim_settings, tmp_path / "victim.log")
    alerts = TopicReader(fresh_broker.bootstrap_servers, ALERTS)
    kills = []
    try:
        # Kill points are random but mid-stream: after a random share of the alerts is out.
        seen: set[bytes] = set()
        for share in sorted(rng.uniform(0.05, 0.85) for _ in range(3)):
            deadline = time.monotonic() + 180
            while len(seen) < share * len(expected) and time.monotonic() < deadline:
                alerts.poll(100)
                seen.update(key for key, _ in alerts.messages)
            time.sleep(rng.uniform(0.0, 1.0))
            kills.append((round(share, 2), len(seen)))
            victim.kill()
            victim = RunningWorker(victim_settings, tmp_path / "victim.log")
        publisher.join(timeout=120)
        assert not publisher.is_alive(), "publishing did not finish"
        latest = _collect(alerts, set(expected), [survivor, victim], timeout_s=300)
        _assert_equal_to_replay(latest, expected)
        # At least one kill must hit the stream mid-way for this test to mean anything. A
        # later one may find every alert out already: the restart after the kill before
        # republishes the whole shard, and the stream can finish between two polls.
        assert any(0 < n < len(expected) for _, n in kills), f"no kill landed mid-stream: {kills}"
    finally:
        alerts.close()
        survivor.stop()
        victim.stop()
