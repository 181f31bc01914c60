"""``chokepoint publish`` then ``chokepoint replay --from-kafka`` equals replaying the file."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from streams.broker import EmbeddedBroker, ensure_topics
from streams.settings import load_settings
from streams.simulate import SimulationConfig, simulate, write_jsonl
from streams.topics import ORDERS, contract_topics

pytestmark = pytest.mark.integration

CLI = [sys.executable, "-m", "streams.cli"]


def _ids(path: Path) -> set[str]:
    return {json.loads(line)["alert_id"] for line in path.read_text().splitlines()}


def test_publish_then_replay_from_kafka_finds_what_the_file_replay_finds(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    events = list(simulate(SimulationConfig(seed=37, start=dt.date(2025, 1, 1), months=6, target_events=1_200, cases_per_pattern=1)).events)
    write_jsonl(events, history)
    with history.open("a") as handle:
        handle.write("not json\n")  # refused by publish, not published
    subprocess.run([*CLI, "replay", str(history), "--out", str(tmp_path / "file.jsonl")], check=True, capture_output=True)

    with EmbeddedBroker(port=0, log_path=tmp_path / "tansu.log") as broker:
        ensure_topics(load_settings().kafka, contract_topics(load_settings()), broker.bootstrap_servers)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHOKEPOINT_")}
        env["CHOKEPOINT_KAFKA__BOOTSTRAP_SERVERS"] = broker.bootstrap_servers
        published = subprocess.run([*CLI, "publish", str(history), "--rate", "20000"], env=env, capture_output=True, text=True)
        assert published.returncode == 0, published.stderr
        assert f"published {len(events):,} events" in published.stderr
        assert "1 invalid records are not published" in published.stderr

        # each partition holds its events in event-time order
        consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap_servers, auto_offset_reset="earliest", consumer_timeout_ms=2000)
        consumer.assign([TopicPartition(ORDERS, 0)])
        times = [json.loads(m.value)["event_time"] for m in consumer]
        consumer.close()
        assert times and times == sorted(times)

        replayed = subprocess.run(
            [*CLI, "replay", "--from-kafka", "--out", str(tmp_path / "kafka.jsonl")], env=env, capture_output=True, text=True
        )
        assert replayed.returncode == 0, replayed.stderr
    expected = _ids(tmp_path / "file.jsonl")
    assert expected and _ids(tmp_path / "kafka.jsonl") == expected


def test_replay_needs_files_or_from_kafka_not_both(tmp_path: Path) -> None:
    for args in ([], ["--from-kafka", str(tmp_path / "x.jsonl")]):
        result = subprocess.run([*CLI, "replay", *args], capture_output=True, text=True)
        assert result.returncode == 2 and "--from-kafka" in result.stderr
