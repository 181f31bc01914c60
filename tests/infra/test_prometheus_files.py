"""The Prometheus and Alertmanager files, checked by the real tools and against the worker.

``promtool`` and ``amtool`` come from Debian's packages, which ``make test`` installs.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.infra.infra_files import (
    INFRA_DIR,
    alert_rules,
    dashboard_queries,
    exported_series,
    grafana_rule_queries,
    recording_rules,
    series_names,
    system_tool,
)

PROMETHEUS_DIR = INFRA_DIR / "prometheus"


def run(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=PROMETHEUS_DIR)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def test_promtool_check_config() -> None:
    out = run(system_tool("promtool"), "check", "config", "prometheus.yml")
    assert "SUCCESS" in out


def test_promtool_check_rules() -> None:
    out = run(system_tool("promtool"), "check", "rules", "rules/recording.yml", "rules/alerts.yml")
    assert out.count("SUCCESS") == 2


def test_promtool_test_rules() -> None:
    out = run(system_tool("promtool"), "test", "rules", "tests/alerts_test.yml")
    assert "SUCCESS" in out


def test_every_alert_has_a_promtool_test() -> None:
    tested = (PROMETHEUS_DIR / "tests" / "alerts_test.yml").read_text()
    untested = [name for name in alert_rules() if f"alertname: {name}" not in tested]
    assert not untested


def test_amtool_check_config() -> None:
    done = subprocess.run(
        [system_tool("amtool"), "check-config", str(INFRA_DIR / "alertmanager" / "alertmanager.yml")],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0 and "SUCCESS" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize("name", sorted(alert_rules()))
def test_alert_rule_has_what_on_call_needs(name: str) -> None:
    rule = alert_rules()[name]
    assert rule["labels"]["team"] in {"analysts", "operators"}
    assert rule["labels"]["severity"] in {"page", "critical", "warning"}
    annotations = rule["annotations"]
    assert annotations["summary"] and annotations["description"] and annotations["runbook"]
    anchor = annotations["runbook_url"].rsplit("#", 1)[1]
    runbook = (INFRA_DIR.parent / "docs" / "runbook.md").read_text()
    assert f"## {name}" in runbook and anchor == name.lower()


def test_every_selected_series_is_exported_or_recorded() -> None:
    """A typo in a metric name makes a panel or rule silently empty: catch it here."""
    known = exported_series() | set(recording_rules()) | {"up"}
    queries = [
        *(("recording", name, expr) for name, expr in recording_rules().items()),
        *(("alert", name, rule["expr"]) for name, rule in alert_rules().items()),
        *(("dashboard", f"{board}: {title}", expr) for board, title, expr in dashboard_queries()),
        *(("grafana rule", title, expr) for title, expr in grafana_rule_queries()),
    ]
    unknown = [(kind, where, sorted(series_names(expr) - known)) for kind, where, expr in queries if series_names(expr) - known]
    assert not unknown
    assert all(series_names(expr) for _, _, expr in queries)  # the extractor found something in each
