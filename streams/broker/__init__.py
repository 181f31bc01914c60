"""Reaching Kafka: the embedded development broker, topic administration, connections."""

from streams.broker.admin import TopicMismatch, describe_topics, ensure_topics
from streams.broker.connection import kafka_connection
from streams.broker.embedded import BrokerStartError, EmbeddedBroker

__all__ = [
    "EmbeddedBroker",
    "BrokerStartError",
    "ensure_topics",
    "describe_topics",
    "TopicMismatch",
    "kafka_connection",
]
