"""Topic administration against any Kafka: create what is missing, report what differs."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.settings import KafkaSettings
from streams.topics import TopicSpec

__all__ = ["admin_client", "ensure_topics", "describe_topics", "TopicMismatch"]

log = logging.getLogger(__name__)


class TopicMismatch(RuntimeError):
    """An existing topic has fewer partitions than the spec (configs are only warned about)."""


def admin_client(kafka: KafkaSettings, bootstrap_servers: str | None = None) -> KafkaAdminClient:
    return KafkaAdminClient(
        bootstrap_servers=(bootstrap_servers or kafka.bootstrap_servers).split(","),
        request_timeout_ms=10_000,
        **kafka.kafka_python_config(),
    )


def describe_topics(admin: KafkaAdminClient, names: Iterable[str]) -> dict[str, dict]:
    """name -> {"partitions": int, "config": {key: value}} for the topics that exist."""
    names = [n for n in names if n in set(admin.list_topics())]
    if not names:
        return {}
    partitions = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(names)}
    described = admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, n) for n in names], config_filter="all"
    )
    configs = described.get("topic", {}) if isinstance(described, dict) else {}
    return {
        name: {
            "partitions": partitions.get(name, 0),
            "config": {key: entry["value"] for key, entry in configs.get(name, {}).items()},
        }
        for name in names
    }


def ensure_topics(
    kafka: KafkaSettings, specs: list[TopicSpec], bootstrap_servers: str | None = None
) -> list[str]:
    """Create the topics that do not exist; return their names. Idempotent.

    An existing topic with fewer partitions than specified is an error (keys would be
    spread differently than the deployment expects); differing configs are logged, since
    a platform team may tune retention on purpose.
    """
    admin = admin_client(kafka, bootstrap_servers)
    try:
        existing = set(admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            try:
                admin.create_topics(
                    [NewTopic(s.name, s.partitions, kafka.replication_factor, topic_configs=s.config) for s in missing]
                )
            except TopicAlreadyExistsError:
                pass  # another worker won the race
        current = describe_topics(admin, [s.name for s in specs])
        for spec in specs:
            found = current.get(spec.name)
            if found is None:
                raise TopicMismatch(f"topic {spec.name} does not exist after creation")
            if found["partitions"] < spec.partitions:
                raise TopicMismatch(
                    f"topic {spec.name} has {found['partitions']} partitions; the deployment expects {spec.partitions}"
                )
            for key, value in spec.config.items():
                if found["config"].get(key) not in (None, value):
                    log.warning("topic %s: %s=%s (expected %s)", spec.name, key, found["config"][key], value)
        return [s.name for s in missing]
    finally:
        admin.close()
