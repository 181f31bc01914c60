"""Worker processes and topic readers for the integration tests (real broker, real Faust)."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from streams._process import stop_process
from streams.settings import Settings
from tests.streams.conftest import CLI, worker_env

__all__ = ["RunningWorker", "TopicReader", "exercise_metrics"]


class RunningWorker:
    """``chokepoint worker`` in a child process, with its log in a file."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.settings = settings
        self.log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([*CLI, "worker"], env=worker_env(settings), stdout=self.log, stderr=subprocess.STDOUT)

    def get(self, path: str) -> tuple[int, dict]:
        url = f"http://127.0.0.1:{self.settings.worker.web_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, {}

    def stats(self) -> dict:
        try:
            return self.get("/stats/")[1]
        except (urllib.error.URLError, OSError, ValueError):
            return {}

    def wait_for(self, predicate: Callable[[dict], bool], timeout_s: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout_s
        stats: dict = {}
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "worker died"
            stats = self.stats()
            if stats and predicate(stats):
                return stats
            time.sleep(0.3)
        raise AssertionError(f"timed out; last stats {stats}")

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        """Until the worker holds partitions and is not rebalancing (``/ready`` says 200)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "worker died"
            try:
                if self.get("/ready")[0] == 200:
                    return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.3)
        raise AssertionError("worker not ready in time")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no commit, no flush."""
        self.process.kill()
        self.process.wait(10)

    def stop(self, timeout_s: float = 30.0) -> int:
        code = stop_process(self.process, timeout_s)
        self.log.close()
        return code


class TopicReader:
    """Reads every partition of a topic from the start, outside any consumer group."""

    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, auto_offset_reset="earliest")
        partitions = self.consumer.partitions_for_topic(topic) or {0}
        self.consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
        self.messages: list[tuple[bytes | None, bytes]] = []

    def poll(self, timeout_ms: int = 500) -> int:
        got = 0
        for records in self.consumer.poll(timeout_ms).values():
            for record in records:
                self.messages.append((record.key, record.value))
                got += 1
        return got

    def close(self) -> None:
        self.consumer.close()


def exercise_metrics(metrics, shards: list) -> None:
    """Give every metric of a ``WorkerMetrics`` a sample: shards, lag, info, each instrument."""
    metrics.watch(shards=shards, lags=lambda: [("trade.orders.v1", 0, 1)])
    metrics.describe_worker(version="0", contract="v1", thresholds_version="t")
    metrics.state.measure_state()
    metrics.events.labels("trade.orders.v1", "order").inc()
    metrics.invalid.labels("trade.orders.v1", "schema").inc()
    metrics.batch_size.observe(3)
    metrics.detection_latency.observe(0.1)
    metrics.detector_seconds.labels("screening").observe(0.01)
    metrics.rebuild_seconds.labels("screening").observe(1.0)
    metrics.published(shards[0].alerts(), shards[0].alerts())
