"""Grafana provisioning and dashboards, checked as the JSON and YAML Grafana reads.

Grafana itself is not packaged for Debian and no container engine runs here, so this
checks structure and cross-references; tests/infra/test_prometheus_live.py runs every
panel query against a real Prometheus scraping a real worker.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.infra.infra_files import DASHBOARDS, INFRA_DIR, yaml_file

GRAFANA = INFRA_DIR / "grafana"
DATASOURCE_UID = "chokepoint-prometheus"


def datasource() -> dict:
    return yaml_file(GRAFANA / "provisioning" / "datasources" / "prometheus.yaml")["datasources"][0]


def test_two_dashboards_one_for_analysts_one_for_operators() -> None:
    tags = {tag for path in DASHBOARDS for tag in json.loads(path.read_text())["tags"]}
    assert {"analysts", "operators"} <= tags
    assert len({json.loads(path.read_text())["uid"] for path in DASHBOARDS}) == len(DASHBOARDS) == 2


def test_datasource_is_the_prometheus_the_dashboards_name() -> None:
    source = datasource()
    assert source["uid"] == DATASOURCE_UID and source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"  # the compose service


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_is_well_formed(path) -> None:
    board = json.loads(path.read_text())
    assert board["uid"] and board["title"].startswith("chokepoint")
    panels = board["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    variables = {v["name"] for v in board["templating"]["list"]}
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24, panel["title"]
        mine = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not mine & cells, f"{panel['title']} overlaps another panel"
        cells |= mine
        if panel["type"] == "text":
            continue
        assert panel.get("description"), f"{panel['title']}: say what the panel shows"
        assert panel["datasource"]["uid"] == DATASOURCE_UID
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == DATASOURCE_UID
            used = set(re.findall(r"\$(\w+)", target["expr"])) - {"__rate_interval"}
            assert used <= variables, f"{panel['title']}: undefined variables {used - variables}"


def test_dashboard_provider_points_where_compose_mounts_them() -> None:
    provider = yaml_file(GRAFANA / "provisioning" / "dashboards" / "chokepoint.yaml")["providers"][0]
    compose = yaml_file(INFRA_DIR / "compose.yaml")
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{provider['options']['path']}:ro" in mounts


def test_grafana_alert_rules_are_complete_and_routed() -> None:
    rules = yaml_file(GRAFANA / "provisioning" / "alerting" / "rules.yaml")
    points = {c["name"] for c in yaml_file(GRAFANA / "provisioning" / "alerting" / "contact-points.yaml")["contactPoints"]}
    policy = yaml_file(GRAFANA / "provisioning" / "alerting" / "policies.yaml")["policies"][0]
    routed = {route["object_matchers"][0][2]: route["receiver"] for route in policy["routes"]}
    assert policy["receiver"] in points and set(routed.values()) <= points
    titles = []
    for group in rules["groups"]:
        for rule in group["rules"]:
            titles.append(rule["title"])
            refs = {query["refId"] for query in rule["data"]}
            assert rule["condition"] in refs
            for query in rule["data"]:
                assert query["datasourceUid"] in {DATASOURCE_UID, "__expr__"}
                if query["datasourceUid"] == "__expr__":
                    assert query["model"]["expression"] in refs
            assert rule["labels"]["team"] in routed, f"{rule['title']}: no route for its team"
            assert rule["annotations"]["summary"] and rule["annotations"]["runbook_url"]
    assert "Critical export-control alert raised" in titles
