"""``chokepoint demo``: the whole live path on one machine, started and stopped in order.

Broker (embedded unless an external cluster is configured) -> two workers in their own
processes, sharing the work -> Prometheus (Debian's, when installed) scraping them with
the production rules -> the simulator publishing at a steady rate, with a small share of
malformed messages so the dead-letter path is visible -> on screen, the workers' counts
(from ``/stats/``), the latest alerts read from ``alerts.v1`` and the Prometheus alerts
firing. Ctrl-C (or SIGTERM, or ``--duration``) stops the publisher, then Prometheus, then
the workers (SIGTERM, Faust's graceful shutdown), then the broker.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from streams._process import stop_process
from streams.broker import kafka_connection
from streams.broker.embedded import port_in_use, free_port
from streams.prometheus import RULE_FILES, PrometheusServer, prometheus_binary
from streams.publish import PublishStats, publish_events
from streams.settings import Settings

__all__ = ["run_demo", "WorkerProcess"]

DEMO_DIR = Path("var/demo")
#: Share of malformed messages the demo publisher mixes in.
DEMO_JUNK_RATIO = 0.002


class WorkerProcess:
    """A ``chokepoint worker`` child process pointed at a given cluster."""

    def __init__(self, bootstrap_servers: str, web_port: int, log_path: Path, config_file: Path | None = None) -> None:
        self.web_port = web_port
        env = dict(os.environ)
        env["CHOKEPOINT_KAFKA__BOOTSTRAP_SERVERS"] = bootstrap_servers
        env["CHOKEPOINT_WORKER__WEB_PORT"] = str(web_port)
        if config_file is not None:
            env["CHOKEPOINT_CONFIG"] = str(config_file)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our Ctrl-C is not its Ctrl-C: we stop it in order
        )

    def get(self, path: str) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}{path}", timeout=2) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, {}

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with code {self.process.returncode}; see its log")
            try:
                status, _ = self.get("/ready")
                if status == 200:
                    return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"worker not ready after {timeout_s}s")

    def stop(self, timeout_s: float = 30.0) -> int:
        code = stop_process(self.process, timeout_s)
        self._log.close()
        return code


class AlertFeed:
    """The latest alerts on ``alerts.v1``, read in a background thread for the screen."""

    def __init__(self, settings: Settings, bootstrap_servers: str, keep: int = 10) -> None:
        self.latest: list = []
        self.by_typology: dict[str, int] = {}
        self.keep = keep
        self._ids: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(settings, bootstrap_servers), name="alert-feed", daemon=True)
        self._thread.start()

    def _run(self, settings: Settings, bootstrap_servers: str) -> None:
        from streams.watch import AlertFilter, watch

        def keep(line) -> None:
            self.latest = [line, *self.latest][: self.keep]

        def count(alert) -> None:
            if alert.alert_id not in self._ids:
                self._ids.add(alert.alert_id)
                self.by_typology[alert.typology] = self.by_typology.get(alert.typology, 0) + 1

        try:
            watch(settings, bootstrap_servers, AlertFilter(), emit=keep, on_alert=count, should_stop=self._stop.is_set)
        except Exception:  # noqa: BLE001 - the screen must not die with the feed
            pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class PrometheusAlerts:
    """The demo's Prometheus, if it could start, and the rules firing in it."""

    def __init__(self, console: Console, worker_ports: list[int], port: int) -> None:
        self.server: PrometheusServer | None = None
        self.firing: list[str] = []
        self._checked = 0.0
        if prometheus_binary() is None or not all(path.exists() for path in RULE_FILES):
            console.print("Prometheus is not installed (make demo installs Debian's package): running without it.")
            return
        if port == 0 or port_in_use("127.0.0.1", port):
            port = free_port()
        targets = [f"127.0.0.1:{p}" for p in worker_ports]
        try:
            self.server = PrometheusServer(targets, DEMO_DIR / "prometheus", port=port, scrape_interval_s=5.0).start()
        except (OSError, RuntimeError, TimeoutError) as exc:
            console.print(f"[yellow]Prometheus did not start ({exc}); running without it.[/yellow]")
            return
        console.print(
            f"Prometheus: {self.server.url}  (alerts: {self.server.url}/alerts, rules: {self.server.url}/rules); "
            "Grafana dashboards for it: infra/grafana/dashboards"
        )

    def refresh(self) -> None:
        if self.server is None or time.monotonic() - self._checked < 5:
            return
        self._checked = time.monotonic()
        try:
            alerts = [a for a in self.server.api("alerts")["alerts"] if a["state"] == "firing"]
        except (OSError, ValueError, RuntimeError):
            return
        self.firing = sorted(
            f"{a['labels']['alertname']}" + (f" ({a['labels']['typology']})" if "typology" in a["labels"] else "") for a in alerts
        )

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def _summary(
    published: PublishStats, stats: dict, elapsed: float, feed: AlertFeed | None = None, firing: list[str] | None = None
) -> Group:
    table = Table(title=f"chokepoint demo  ({elapsed:,.0f}s, Ctrl-C to stop)", show_lines=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("published events", f"{published.sent:,}")
    table.add_row("published junk messages", f"{published.junk:,}")
    for key, value in sorted(stats.get("events", {}).items()):
        topic, event_type = key.split("|")
        table.add_row(f"worker: valid {event_type} on {topic}", f"{value:,.0f}")
    for key, value in sorted(stats.get("invalid", {}).items()):
        topic, reason = key.split("|")
        table.add_row(f"worker: dead-lettered {reason} from {topic}", f"{value:,.0f}")
    seen = sum(stats.get("events", {}).values()) + sum(stats.get("invalid", {}).values())
    table.add_row("workers: throughput (events/s)", f"{seen / elapsed:,.0f}" if elapsed else "-")
    if feed is not None:
        for typology, count in sorted(feed.by_typology.items()):
            table.add_row(f"alerts: {typology}", f"{count:,}")
    if firing is not None:
        table.add_row("Prometheus alerts firing", ", ".join(firing) or "none")
    parts: list = [table]
    if feed is not None and feed.latest:
        parts.append("latest alerts (`chokepoint watch` for the full feed):")
        parts.extend(feed.latest)
    return Group(*parts)


def _merged(stats: list[dict]) -> dict:
    out: dict[str, dict[str, float]] = {}
    for one in stats:
        for section, values in one.items():
            for key, value in values.items():
                out.setdefault(section, {})[key] = out.get(section, {}).get(key, 0.0) + value
    return out


def run_demo(
    settings: Settings,
    *,
    rate: float,
    seed: int,
    duration_s: float | None = None,
    config_file: Path | None = None,
    target_events: int = 200_000,
    workers: int = 2,
    prometheus_port: int = 9090,
) -> int:
    from streams.simulate import SimulationConfig, simulate

    console = Console()
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())

    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    console.print("starting the broker ...")
    with kafka_connection(settings, log_path=DEMO_DIR / "broker.log") as bootstrap:
        console.print(f"Kafka at {bootstrap}; starting {workers} workers (logs: {DEMO_DIR}/worker-N.log) ...")
        processes = [
            WorkerProcess(bootstrap, settings.worker.web_port + i, DEMO_DIR / f"worker-{i + 1}.log", config_file)
            for i in range(workers)
        ]
        feed = None
        prometheus = None
        try:
            for process in processes:
                process.wait_ready()
                console.print(f"worker ready: http://127.0.0.1:{process.web_port}/metrics  /stats/  /health  /ready")
            prometheus = PrometheusAlerts(console, [p.web_port for p in processes], prometheus_port)
            feed = AlertFeed(settings, bootstrap)
            simulation = simulate(SimulationConfig(seed=seed, target_events=target_events))
            published = PublishStats()
            publisher = threading.Thread(
                target=publish_events,
                args=(simulation.events, settings),
                kwargs={
                    "bootstrap_servers": bootstrap,
                    "rate": rate,
                    "junk_ratio": DEMO_JUNK_RATIO,
                    "seed": seed,
                    "should_stop": stopping.is_set,
                    "stats": published,
                },
                name="publisher",
                daemon=True,
            )
            publisher.start()
            started = time.monotonic()
            with Live(console=console, refresh_per_second=2) as live:
                while not stopping.is_set():
                    elapsed = time.monotonic() - started
                    if duration_s is not None and elapsed >= duration_s:
                        break
                    stats = []
                    for process in processes:
                        try:
                            stats.append(process.get("/stats/")[1])
                        except (urllib.error.URLError, OSError, ValueError):
                            pass
                    prometheus.refresh()
                    firing = prometheus.firing if prometheus.server is not None else None
                    live.update(_summary(published, _merged(stats), elapsed, feed, firing))
                    if any(p.process.poll() is not None for p in processes):
                        console.print("[red]a worker exited; see its log[/red]")
                        return 1
                    stopping.wait(1.0)
            stopping.set()
            publisher.join(timeout=30)
            console.print("\nstopping ...")
        finally:
            if feed is not None:
                feed.stop()
            if prometheus is not None:
                prometheus.stop()
                console.print("Prometheus stopped.")
            for process in processes:
                code = process.stop()
                console.print(f"worker on port {process.web_port} stopped (exit code {code}).")
    console.print("broker stopped. Bye.")
    return 0
