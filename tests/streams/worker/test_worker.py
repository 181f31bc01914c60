"""A real worker process on the embedded broker routes every message and keeps running."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from streams.topics import DEADLETTER, ENTITIES, ORDERS, SCREENING, SHIPMENTS
from tests.streams.worker.harness import RunningWorker

pytestmark = pytest.mark.integration

#: Garbage sent to every input topic; each must come out in deadletter.v1 with this reason.
JUNK = {
    b"not json": "not_json",
    b"[1, 2, 3]": "not_an_object",
    b'{"event_type": "invoice", "event_id": "x"}': "schema",
    b"\xff\xfe\xfd": "not_utf8",
}


def _count(stats: dict, section: str) -> float:
    return sum(stats.get(section, {}).values())


def test_worker_routes_valid_and_invalid_messages_and_keeps_running(broker, worker_settings, contract_examples, tmp_path):
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
    start = _end_offset(broker, DEADLETTER)
    worker = RunningWorker(worker_settings, tmp_path / "worker.log")
    try:
        entity, screening, order, shipment = contract_examples
        valid = {ORDERS: order, SHIPMENTS: shipment, ENTITIES: entity, SCREENING: screening}
        for topic, message in valid.items():
            producer.send(topic, message)
            for junk in JUNK:
                producer.send(topic, junk)
        producer.send(ORDERS, shipment)  # valid event, wrong topic
        producer.flush()

        expected_invalid = len(valid) * len(JUNK) + 1
        stats = worker.wait_for(lambda s: _count(s, "events") >= 4 and _count(s, "invalid") >= expected_invalid)
        assert stats["events"] == {f"{t}|{m}": 1.0 for t, m in [(ORDERS, "order"), (SHIPMENTS, "shipment"), (ENTITIES, "entity"), (SCREENING, "screening_entry")]}
        assert _count(stats, "invalid") == expected_invalid
        for topic in valid:
            for reason in JUNK.values():
                assert stats["invalid"][f"{topic}|{reason}"] == 1.0
        assert stats["invalid"][f"{ORDERS}|wrong_topic"] == 1.0

        letters = _read_deadletters(broker, start, expected_invalid)
        by_raw = {}
        for letter in letters:
            by_raw.setdefault((letter["topic"], letter["raw"]), letter)
        for topic in valid:
            for junk, reason in JUNK.items():
                letter = by_raw[(topic, junk.decode("utf-8", "replace"))]
                assert letter["error"].startswith(reason), letter
                assert letter["errors"] and letter["offset"] is not None and letter["partition"] is not None
        wrong = by_raw[(ORDERS, shipment.decode())]
        assert wrong["errors"][0]["field"] == "event_type"

        # Still alive and still processing after all that garbage.
        producer.send(ORDERS, order)
        producer.flush()
        worker.wait_for(lambda s: s["events"].get(f"{ORDERS}|order") == 2.0)
        status, ready = worker.get("/ready")
        assert status == 200 and ready["ready"]
        status, _ = worker.get("/health")
        assert status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{worker_settings.worker.web_port}/metrics") as response:
            exposition = response.read().decode()
        assert f'chokepoint_invalid_events_total{{reason="not_json",topic="{ORDERS}"}} 1.0' in exposition

        assert worker.stop() == 0
    finally:
        producer.close()
        worker.stop()


def _end_offset(broker, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap_servers)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_end(tp)
    position = consumer.position(tp)
    consumer.close()
    return position


def _read_deadletters(broker, start: int, at_least: int, timeout_s: float = 20.0) -> list[dict]:
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap_servers, consumer_timeout_ms=1000)
    tp = TopicPartition(DEADLETTER, 0)
    consumer.assign([tp])
    consumer.seek(tp, start)
    letters: list[dict] = []
    deadline = time.monotonic() + timeout_s
    while len(letters) < at_least and time.monotonic() < deadline:
        letters.extend(json.loads(m.value) for m in consumer)
    consumer.close()
    return letters
