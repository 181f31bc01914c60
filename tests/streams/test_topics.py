"""The contract topics as data."""

from __future__ import annotations

from streams.settings import load_settings
from streams.topics import ACCEPTED_EVENT_TYPES, INPUT_TOPICS, TOPIC_FOR_EVENT_TYPE, contract_topics

CONTRACT_TOPIC_NAMES = {
    "trade.orders.v1",
    "trade.shipments.v1",
    "ref.entities.v1",
    "ref.screening.v1",
    "alerts.v1",
    "deadletter.v1",
}


def test_every_contract_topic_has_explicit_retention(isolated_env):
    specs = {s.name: s for s in contract_topics(load_settings())}
    assert set(specs) == CONTRACT_TOPIC_NAMES
    for spec in specs.values():
        assert {"cleanup.policy", "retention.ms", "retention.bytes"} <= set(spec.config)
    assert specs["ref.entities.v1"].config["cleanup.policy"] == "compact"
    assert specs["ref.screening.v1"].config["cleanup.policy"] == "compact"
    assert specs["trade.orders.v1"].config["cleanup.policy"] == "delete"


def test_partitions_follow_settings(isolated_env):
    specs = {s.name: s for s in contract_topics(load_settings(topics={"orders_partitions": 3}))}
    assert specs["trade.orders.v1"].partitions == 3


def test_each_event_type_has_one_home_topic():
    assert set(INPUT_TOPICS) == set(ACCEPTED_EVENT_TYPES)
    for event_type, topic in TOPIC_FOR_EVENT_TYPE.items():
        assert event_type in ACCEPTED_EVENT_TYPES[topic]
