"""``chokepoint demo``: the whole live path on one machine, started and stopped in order.

Broker (embedded unless an external cluster is configured) -> a worker in its own
process -> the simulator publishing at a steady rate, with a small share of malformed
messages so the dead-letter path is visible -> a live summary read from the worker's
``/stats/`` endpoint. Ctrl-C (or SIGTERM, or ``--duration``) stops the publisher, then
the worker (SIGTERM, Faust's graceful shutdown), then the broker.
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

from rich.console import Console
from rich.live import Live
from rich.table import Table

from streams.broker import kafka_connection
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
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


def _summary(published: PublishStats, stats: dict, elapsed: float) -> Table:
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
    table.add_row("worker throughput (events/s)", f"{seen / elapsed:,.0f}" if elapsed else "-")
    return table


def run_demo(
    settings: Settings,
    *,
    rate: float,
    seed: int,
    duration_s: float | None = None,
    config_file: Path | None = None,
    target_events: int = 200_000,
) -> int:
    from streams.simulate import SimulationConfig, simulate

    console = Console()
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())

    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    console.print("starting the broker ...")
    with kafka_connection(settings, log_path=DEMO_DIR / "broker.log") as bootstrap:
        console.print(f"Kafka at {bootstrap}; starting a worker (log: {DEMO_DIR / 'worker.log'}) ...")
        worker = WorkerProcess(bootstrap, settings.worker.web_port, DEMO_DIR / "worker.log", config_file)
        try:
            worker.wait_ready()
            console.print(
                f"worker ready: http://127.0.0.1:{settings.worker.web_port}/metrics  /stats/  /health  /ready"
            )
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
                    try:
                        _, stats = worker.get("/stats/")
                    except (urllib.error.URLError, OSError, ValueError):
                        stats = {}
                    live.update(_summary(published, stats, elapsed))
                    if worker.process.poll() is not None:
                        console.print("[red]the worker exited; see its log[/red]")
                        return 1
                    stopping.wait(1.0)
            stopping.set()
            publisher.join(timeout=30)
            console.print("\nstopping ...")
        finally:
            code = worker.stop()
            console.print(f"worker stopped (exit code {code}).")
    console.print("broker stopped. Bye.")
    return 0
