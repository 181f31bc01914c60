"""infra/compose.yaml: well formed and wired to the files beside it.

No Docker engine runs on these machines, so the stack is not started here; this is what
can be checked without one: the services the issue asks for, KRaft mode, every mounted
file present, and the ports and names the configs use agreeing with each other.
"""

from __future__ import annotations

from tests.infra.infra_files import INFRA_DIR, yaml_file

COMPOSE = yaml_file(INFRA_DIR / "compose.yaml")
SERVICES = COMPOSE["services"]


def test_the_production_like_services_are_there() -> None:
    assert {"kafka", "worker", "prometheus", "alertmanager", "grafana"} <= set(SERVICES)
    assert "zookeeper" not in SERVICES


def test_kafka_runs_in_kraft_mode() -> None:
    env = SERVICES["kafka"]["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{env['KAFKA_NODE_ID']}@kafka:")
    assert "KAFKA_ZOOKEEPER_CONNECT" not in env


def test_every_mounted_file_exists() -> None:
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (INFRA_DIR / source).exists(), f"{name} mounts missing {source}"
        build = service.get("build")
        if build:
            assert (INFRA_DIR / build["context"] / build["dockerfile"]).exists()


def test_workers_reach_kafka_and_prometheus_reaches_workers() -> None:
    advertised = SERVICES["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"].split("//")[1]
    worker_env = {**COMPOSE["x-chokepoint-env"], **SERVICES["worker"].get("environment", {})}
    assert worker_env["CHOKEPOINT_KAFKA__BOOTSTRAP_SERVERS"] == advertised
    dockerfile = (INFRA_DIR / "worker.Dockerfile").read_text()
    assert "CHOKEPOINT_WORKER__WEB_PORT=6066" in dockerfile and "CHOKEPOINT_WORKER__WEB_HOST=0.0.0.0" in dockerfile
    scrape = yaml_file(INFRA_DIR / "prometheus" / "prometheus.yml")
    job = next(j for j in scrape["scrape_configs"] if j["job_name"] == "chokepoint-worker")
    assert job["dns_sd_configs"][0]["names"] == ["worker"] and job["dns_sd_configs"][0]["port"] == 6066
    assert scrape["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]
    assert "./prometheus:/etc/prometheus:ro" in SERVICES["prometheus"]["volumes"]
