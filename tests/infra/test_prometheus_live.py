"""Debian's Prometheus scraping a live worker on the embedded broker, fed by the simulator.

Everything real: broker, worker process, Prometheus with the production rule files.
Through Prometheus's HTTP API this checks that

* the "critical alert raised" rule stays quiet while only non-critical trade has gone
  through, and fires once the simulator's critical case arrives;
* every dashboard panel query, every recording rule and every Grafana-managed rule
  query parses and returns data, and every alerting-rule expression parses and selects
  series that exist (the threshold decides whether it returns anything);
* Prometheus evaluates every rule without error, and the exported metric types follow
  the naming rules (counters end in ``_total``).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from detectors.engine import Engine
from schemas import decode
from streams.broker import EmbeddedBroker
from streams.broker.embedded import free_port
from streams.prometheus import PrometheusServer
from streams.publish import publish_events
from streams.settings import load_settings
from streams.simulate import SimulationConfig, simulate
from tests.infra.infra_files import (
    alert_rules,
    dashboard_queries,
    grafana_rule_queries,
    recording_rules,
    series_names,
    substitute,
    system_tool,
)
from tests.streams.worker.harness import RunningWorker

pytestmark = pytest.mark.integration

WORLD = SimulationConfig(seed=29, start=dt.date(2025, 1, 1), months=8, target_events=1_500, cases_per_pattern=1)
CRITICAL_RULE = "ChokepointCriticalAlertRaised"


def split_before_first_critical(events: list[dict]) -> tuple[list[dict], list[dict], set[str]]:
    """(events before the first critical alert, the rest, typologies of the critical alerts).

    The prefix is checked with the replay engine, which the live stream equals: if any
    critical alert came out of it, the split is wrong and the test says so.
    """
    decoded = sorted((decode(json.dumps(e).encode()) for e in events), key=lambda e: (e.event_time, e.event_id))
    engine = Engine()
    engine.process(decoded)
    engine.flush()
    critical = [a for a in engine.alerts() if a.severity == "critical"]
    assert critical, "the scenario must contain a critical case"
    first = min(a.event_time for a in critical)
    before = [e for e in events if decode(json.dumps(e).encode()).event_time < first]
    check = Engine()
    check.process(sorted((decode(json.dumps(e).encode()) for e in before), key=lambda e: (e.event_time, e.event_id)))
    check.flush()
    assert not [a for a in check.alerts() if a.severity == "critical"], "the prefix already raises a critical alert"
    assert check.alerts(), "the prefix should raise some (non-critical) alerts"
    return before, events[len(before):], {a.typology for a in critical}


def wait_for(what: str, probe: Callable[[], Any], timeout_s: float, worker: RunningWorker) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert worker.process.poll() is None, "the worker died"
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def all_processed(prometheus: PrometheusServer, count: int) -> Callable[[], bool]:
    """Prometheus has scraped every family's shard past ``count`` events."""

    def probe() -> bool:
        rows = prometheus.query("chokepoint_shard_events_processed_total")
        return len(rows) == 5 and all(float(r["value"][1]) >= count for r in rows)

    return probe


def test_rules_and_dashboards_against_a_live_worker(fresh_broker: EmbeddedBroker, tmp_path) -> None:
    system_tool("prometheus")
    before, after, critical_typologies = split_before_first_critical(list(simulate(WORLD).events))
    settings = load_settings(
        kafka={"bootstrap_servers": fresh_broker.bootstrap_servers},
        worker={"app_id": f"prom-{uuid.uuid4().hex[:6]}", "web_port": free_port(), "batch_within_s": 0.02, "state_metrics_s": 1.0},
    )
    worker = RunningWorker(settings, tmp_path / "worker.log")
    prometheus = PrometheusServer([f"127.0.0.1:{settings.worker.web_port}"], tmp_path / "prometheus", scrape_interval_s=1.0)
    try:
        prometheus.start()
        wait_for("the worker to be up in Prometheus", lambda: prometheus.query('up{job="chokepoint-worker"} == 1'), 90, worker)

        # 1. trade with no critical pattern: the page stays quiet
        stats = publish_events(before, settings, junk_ratio=0.02, seed=1)
        assert stats.junk > 0
        wait_for("the first part to be processed", all_processed(prometheus, len(before)), 120, worker)
        time.sleep(3)  # a few more scrapes and rule evaluations
        raised = prometheus.query('sum(chokepoint_alerts_raised_total{severity="critical"})')
        assert float(raised[0]["value"][1]) == 0
        assert float(prometheus.query("sum(chokepoint_alerts_raised_total)")[0]["value"][1]) > 0
        assert not prometheus.firing(CRITICAL_RULE)

        # 2. the critical case arrives: the page fires, for the right typology
        publish_events(after, settings, seed=2)
        firing = wait_for(f"{CRITICAL_RULE} to fire", lambda: prometheus.firing(CRITICAL_RULE), 120, worker)
        assert {a["labels"]["typology"] for a in firing} <= critical_typologies
        assert firing[0]["labels"]["team"] == "analysts" and firing[0]["annotations"]["summary"].startswith("Critical ")

        # 3. every query the dashboards and rules run returns data
        wait_for("everything to be processed", all_processed(prometheus, len(before) + len(after)), 120, worker)
        wait_for("state size to be measured", lambda: prometheus.query("chokepoint_detector_state_bytes"), 30, worker)
        # all caught up: every partition the worker holds (input and detection) shows no lag
        lags = prometheus.query("chokepoint_consumer_lag_messages")
        assert {row["metric"]["topic"] for row in lags} >= {"trade.orders.v1", "trade.shipments.v1"}
        wait_for("consumer lag to reach 0", lambda: prometheus.query("sum(chokepoint_consumer_lag_messages) == 0"), 30, worker)
        time.sleep(3)
        empty = []
        for where, expr in [
            *((f"{board}: {title}", substitute(expr)) for board, title, expr in dashboard_queries()),
            *((f"recording rule {name}", name) for name in recording_rules()),
            *((f"grafana rule {title}", expr) for title, expr in grafana_rule_queries()),
        ]:
            if not prometheus.query(expr):
                empty.append(where)
        assert not empty, f"no data for: {empty}"
        for name, rule in alert_rules().items():
            prometheus.query(rule["expr"])  # parses (raises PrometheusError otherwise)
            silent = [series for series in series_names(rule["expr"]) if not prometheus.query(series)]
            assert not silent, f"{name} selects series with no data: {silent}"

        rules = [r for group in prometheus.api("rules")["groups"] for r in group["rules"]]
        assert len(rules) == len(recording_rules()) + len(alert_rules())
        assert all(r["health"] == "ok" for r in rules), [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"]

        metadata = prometheus.api("metadata")
        ours = {name: entries[0]["type"] for name, entries in metadata.items() if name.startswith("chokepoint_")}
        assert len(ours) >= 20
        for name, kind in ours.items():
            assert (kind == "counter") == name.endswith("_total"), f"{name} is a {kind}"
    finally:
        prometheus.stop()
        worker.stop()
