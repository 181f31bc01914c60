"""The embedded broker: start, topics with their configs, round-trip, clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from streams.broker import BrokerStartError, EmbeddedBroker, ensure_topics
from streams.broker.admin import admin_client, describe_topics
from streams.broker.embedded import free_port
from streams.settings import load_settings
from streams.topics import contract_topics
from tests.streams.conftest import CLI

pytestmark = pytest.mark.integration


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone once reaped or when its state is Z.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_gone(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_topics_are_created_with_partitions_and_explicit_configs(broker, isolated_env):
    settings = load_settings()
    admin = admin_client(settings.kafka, broker.bootstrap_servers)
    try:
        found = describe_topics(admin, [s.name for s in contract_topics(settings)])
    finally:
        admin.close()
    for spec in contract_topics(settings):
        assert found[spec.name]["partitions"] == spec.partitions, spec.name
        for key, value in spec.config.items():
            assert found[spec.name]["config"].get(key) == value, (spec.name, key)


def test_ensure_topics_is_idempotent(broker, isolated_env):
    settings = load_settings()
    assert ensure_topics(settings.kafka, contract_topics(settings), broker.bootstrap_servers) == []


def test_produce_consume_round_trip(broker, contract_examples):
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
    topic = "alerts.v1"
    sent = [producer.send(topic, key=b"k", value=line).get(timeout=10) for line in contract_examples]
    producer.close()
    partition = sent[0].partition  # same key, same partition
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap_servers, consumer_timeout_ms=3000)
    consumer.assign([TopicPartition(topic, partition)])
    consumer.seek(TopicPartition(topic, partition), sent[0].offset)
    received = [m.value for m in consumer][: len(contract_examples)]
    consumer.close()
    assert received == contract_examples


def test_stop_leaves_no_process_and_frees_the_port():
    broker = EmbeddedBroker(port=0)
    broker.start()
    pid, port = broker.pid, broker.port
    assert _alive(pid)
    broker.stop()
    assert _wait_gone(pid)
    with EmbeddedBroker(port=port) as again:  # the port is free again
        assert again.running()


def test_port_in_use_is_a_clear_error():
    with EmbeddedBroker(port=0) as first, pytest.raises(BrokerStartError, match="in use"):
        EmbeddedBroker(port=first.port).start()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_cli_broker_stops_cleanly_on_signal(signum, isolated_env):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHOKEPOINT_")}
    env["CHOKEPOINT_EMBEDDED__PORT"] = str(port)
    cli = subprocess.Popen([*CLI, "broker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = cli.stdout.readline()
        assert f"127.0.0.1:{port}" in banner, banner
        children = _children(cli.pid)
        assert children, "the broker runs as a child process"
        cli.send_signal(signum)
        assert cli.wait(20) == 0
        assert "broker stopped" in cli.stdout.read()
        assert all(_wait_gone(pid) for pid in children)
    finally:
        if cli.poll() is None:
            cli.kill()


def test_broker_dies_with_a_killed_parent(isolated_env):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHOKEPOINT_")}
    env["CHOKEPOINT_EMBEDDED__PORT"] = str(port)
    cli = subprocess.Popen([*CLI, "broker"], env=env, stdout=subprocess.PIPE, text=True)
    assert "ready" in cli.stdout.readline()
    children = _children(cli.pid)
    cli.kill()
    cli.wait()
    assert children and all(_wait_gone(pid) for pid in children)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]
