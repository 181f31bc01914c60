"""Fixtures that start real services: the embedded broker, worker processes."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.broker import EmbeddedBroker, ensure_topics
from streams.broker.embedded import free_port
from streams.settings import Settings, load_settings
from streams.topics import contract_topics


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No CHOKEPOINT_* variable or ./chokepoint.toml from the developer's shell leaks in."""
    for key in list(os.environ):
        if key.startswith("CHOKEPOINT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """One real embedded broker for the session, with the contract topics created."""
    log = tmp_path_factory.mktemp("broker") / "tansu.log"
    with EmbeddedBroker(port=0, log_path=log) as running:
        ensure_topics(load_settings().kafka, contract_topics(load_settings()), running.bootstrap_servers)
        yield running


@pytest.fixture
def fresh_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker of the test's own: its topics hold only what the test publishes."""
    with EmbeddedBroker(port=0, log_path=tmp_path / "tansu.log") as running:
        ensure_topics(load_settings().kafka, contract_topics(load_settings()), running.bootstrap_servers)
        yield running


@pytest.fixture
def worker_settings(broker: EmbeddedBroker) -> Settings:
    """Settings for a worker on the session broker, with its own group and web port."""
    return load_settings(
        kafka={"bootstrap_servers": broker.bootstrap_servers},
        worker={"app_id": f"test-{uuid.uuid4().hex[:8]}", "web_port": free_port(), "batch_within_s": 0.02},
    )


def worker_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHOKEPOINT_")}
    env.update(
        CHOKEPOINT_KAFKA__BOOTSTRAP_SERVERS=settings.kafka.bootstrap_servers,
        CHOKEPOINT_WORKER__APP_ID=settings.worker.app_id,
        CHOKEPOINT_WORKER__WEB_PORT=str(settings.worker.web_port),
        CHOKEPOINT_WORKER__BATCH_WITHIN_S=str(settings.worker.batch_within_s),
        CHOKEPOINT_WORKER__STATE_METRICS_S=str(settings.worker.state_metrics_s),
    )
    return env


CLI = [sys.executable, "-m", "streams.cli"]
