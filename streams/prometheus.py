"""Debian's Prometheus, started by the project for the demo and the integration tests.

It runs with the rules a production Prometheus runs (``infra/prometheus/rules``) and a
scrape config written for the workers at hand, so what the tests check is what pages
people. Nothing here assumes the embedded broker or a particular port.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from streams._process import stop_process
from streams.broker.embedded import free_port

__all__ = ["INFRA_DIR", "RULE_FILES", "PrometheusError", "PrometheusServer", "prometheus_binary"]

#: ``infra/`` of a source checkout (the demo and the tests run from one).
INFRA_DIR = Path(__file__).resolve().parents[1] / "infra"
RULE_FILES = (INFRA_DIR / "prometheus" / "rules" / "recording.yml", INFRA_DIR / "prometheus" / "rules" / "alerts.yml")
#: The job name the rules and dashboards select workers by.
WORKER_JOB = "chokepoint-worker"


class PrometheusError(RuntimeError):
    """Prometheus answered with an error (a query that does not parse, for one)."""


def prometheus_binary() -> str | None:
    """Path of the ``prometheus`` server, or ``None`` when it is not installed."""
    return shutil.which("prometheus")


class PrometheusServer:
    """A Prometheus process scraping ``targets`` (``host:port`` of worker web servers)."""

    def __init__(
        self,
        targets: list[str],
        data_dir: Path,
        *,
        port: int | None = None,
        scrape_interval_s: float = 5.0,
        rule_files: tuple[Path, ...] = RULE_FILES,
        binary: str | None = None,
    ) -> None:
        self.targets = targets
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.scrape_interval_s = scrape_interval_s
        self.rule_files = rule_files
        self.binary = binary or prometheus_binary()
        self.process: subprocess.Popen[bytes] | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> dict[str, Any]:
        interval = f"{max(1, round(self.scrape_interval_s))}s"
        return {
            "global": {"scrape_interval": interval, "evaluation_interval": interval, "scrape_timeout": interval},
            "rule_files": [str(path) for path in self.rule_files],
            "scrape_configs": [
                {"job_name": WORKER_JOB, "metrics_path": "/metrics", "static_configs": [{"targets": self.targets}]},
            ],
        }

    def start(self, timeout_s: float = 30.0) -> PrometheusServer:
        if self.binary is None:
            raise FileNotFoundError("prometheus is not installed (Debian: apt-get install prometheus; `make test` does it)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config_path = self.data_dir / "prometheus.yml"
        config_path.write_text(json.dumps(self.config(), indent=2))  # JSON is YAML
        self._log = open(self.data_dir / "prometheus.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                self.binary,
                f"--config.file={config_path}",
                f"--storage.tsdb.path={self.data_dir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=1d",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited with code {self.process.returncode}; see {self.data_dir / 'prometheus.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"prometheus not ready after {timeout_s}s")

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process is not None:
            stop_process(self.process, timeout_s)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> PrometheusServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- HTTP API --------------------------------------------------------------------------

    def api(self, path: str, **params: str) -> Any:
        """``data`` of a ``/api/v1/...`` answer; raises :class:`PrometheusError` on an error."""
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            body = json.loads(exc.read() or b"{}")
        if body.get("status") != "success":
            raise PrometheusError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query: the result vector (``[]`` when nothing matches)."""
        data = self.api("query", query=expr)
        result = data["result"]
        return result if data["resultType"] == "vector" else [{"metric": {}, "value": result}]

    def firing(self, alertname: str) -> list[dict[str, Any]]:
        """Alerts of this name in state ``firing``."""
        return [a for a in self.api("alerts")["alerts"] if a["labels"].get("alertname") == alertname and a["state"] == "firing"]
