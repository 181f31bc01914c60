"""What the infra tests read: the files under ``infra/``, and the names in PromQL."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.prometheus import INFRA_DIR

__all__ = ["INFRA_DIR", "DASHBOARDS", "alert_rules", "dashboard_queries", "grafana_rule_queries", "recording_rules",
           "exported_series", "series_names", "substitute", "system_tool", "yaml_file"]

DASHBOARDS = sorted((INFRA_DIR / "grafana" / "dashboards").glob("*.json"))
GRAFANA_DATASOURCE_UID = "chokepoint-prometheus"

# PromQL words that look like metric names but are not.
_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan",
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group",
}
_FUNCTION_OR_NAME = re.compile(r"(?<![\w:\"'.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?")


def yaml_file(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def system_tool(name: str) -> str:
    """Path of a Debian tool the set-up command installs; the test fails (not skips) without it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: `make test` installs Debian's prometheus and prometheus-alertmanager")
    return path


def substitute(expr: str) -> str:
    """A dashboard query as Grafana would send it with every variable at "All"."""
    return expr.replace("$__rate_interval", "1m").replace("$typology", ".*").replace("$instance", ".*")


def series_names(expr: str) -> set[str]:
    """Metric and recording-rule names a PromQL expression selects (not its functions)."""
    text = re.sub(r"\{[^}]*\}", "{}", expr)  # label matchers hold no names
    text = re.sub(r"\[[^\]]*\]", "[]", text)  # neither do ranges
    text = re.sub(r"by\s*\([^)]*\)|without\s*\([^)]*\)|on\s*\([^)]*\)|ignoring\s*\([^)]*\)", "", text)
    names = set()
    for match in _FUNCTION_OR_NAME.finditer(text):
        word, call = match.group(1), match.group(2)
        if call or word.lower() in _KEYWORDS or re.fullmatch(r"\d.*", word):
            continue
        names.add(word)
    return names


def recording_rules() -> dict[str, str]:
    doc = yaml_file(INFRA_DIR / "prometheus" / "rules" / "recording.yml")
    return {rule["record"]: rule["expr"] for group in doc["groups"] for rule in group["rules"]}


def alert_rules() -> dict[str, dict]:
    doc = yaml_file(INFRA_DIR / "prometheus" / "rules" / "alerts.yml")
    return {rule["alert"]: rule for group in doc["groups"] for rule in group["rules"]}


def dashboard_queries() -> list[tuple[str, str, str]]:
    """(dashboard file, panel title, expr) for every query of every panel."""
    out = []
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                out.append((path.name, panel["title"], target["expr"]))
    return out


def grafana_rule_queries() -> list[tuple[str, str]]:
    """(rule title, expr) for every Prometheus query of the Grafana-managed rules."""
    doc = yaml_file(INFRA_DIR / "grafana" / "provisioning" / "alerting" / "rules.yaml")
    return [
        (rule["title"], query["model"]["expr"])
        for group in doc["groups"]
        for rule in group["rules"]
        for query in rule["data"]
        if query["datasourceUid"] == GRAFANA_DATASOURCE_UID
    ]


def exported_series() -> set[str]:
    """Every series name a worker exports once it has seen some work (buckets included)."""
    import datetime as dt

    from prometheus_client.parser import text_string_to_metric_families

    from detectors.registry import FAMILIES, family_detectors
    from schemas import decode
    from streams.live import DetectionShard, events_envelope, idle_envelope
    from streams.simulate import SimulationConfig, simulate
    from streams.worker.metrics import WorkerMetrics
    from tests.streams.worker.harness import exercise_metrics

    world = SimulationConfig(seed=3, start=dt.date(2025, 1, 1), months=2, target_events=300, cases_per_pattern=1)
    events = sorted((decode(json.dumps(e).encode()) for e in simulate(world).events), key=lambda e: (e.event_time, e.event_id))
    shards = []
    for family in FAMILIES:
        shard = DetectionShard(family, family_detectors(family), ["s:0"])
        shard.apply(0, events_envelope([("s:0", event, 0.0) for event in events]))
        shard.apply(1, idle_envelope("s:0"))
        shard.step(dt.datetime.now(dt.timezone.utc))
        shards.append(shard)
    metrics = WorkerMetrics()
    exercise_metrics(metrics, shards)
    return {
        sample.name for family in text_string_to_metric_families(metrics.exposition().decode()) for sample in family.samples
    }
