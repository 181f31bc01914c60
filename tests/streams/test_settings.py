"""Settings: environment, config file, and the embedded/external switch."""

from __future__ import annotations

import pytest

from streams.settings import load_settings


def test_defaults_mean_embedded_broker(isolated_env):
    settings = load_settings()
    assert settings.kafka.embedded
    assert settings.bootstrap_servers() == "127.0.0.1:19092"


def test_environment_points_everything_at_an_external_cluster(isolated_env, monkeypatch):
    monkeypatch.setenv("CHOKEPOINT_KAFKA__BOOTSTRAP_SERVERS", "kafka-1:9093,kafka-2:9093")
    monkeypatch.setenv("CHOKEPOINT_KAFKA__SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("CHOKEPOINT_KAFKA__SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("CHOKEPOINT_KAFKA__SASL_USERNAME", "analyst")
    monkeypatch.setenv("CHOKEPOINT_KAFKA__SASL_PASSWORD", "s3cret")
    settings = load_settings()
    assert not settings.kafka.embedded
    assert settings.bootstrap_servers() == "kafka-1:9093,kafka-2:9093"
    config = settings.kafka.kafka_python_config()
    assert config["security_protocol"] == "SASL_SSL"
    assert config["sasl_mechanism"] == "SCRAM-SHA-512"
    assert config["sasl_plain_username"] == "analyst" and config["sasl_plain_password"] == "s3cret"
    assert "s3cret" not in repr(settings)  # secrets never reach logs


def test_config_file_and_env_precedence(isolated_env, monkeypatch):
    (isolated_env / "site.toml").write_text(
        '[kafka]\nbootstrap_servers = "from-file:9092"\ncreate_topics = false\n'
        "[topics]\norders_partitions = 12\n[worker]\nweb_port = 7000\n"
    )
    settings = load_settings(isolated_env / "site.toml")
    assert settings.kafka.bootstrap_servers == "from-file:9092"
    assert settings.kafka.create_topics is False
    assert settings.topics.orders_partitions == 12
    monkeypatch.setenv("CHOKEPOINT_WORKER__WEB_PORT", "7100")
    assert load_settings(isolated_env / "site.toml").worker.web_port == 7100  # env beats file


def test_config_file_from_environment_and_cwd(isolated_env, monkeypatch):
    (isolated_env / "chokepoint.toml").write_text("[embedded]\nport = 29092\n")
    assert load_settings().embedded.port == 29092
    (isolated_env / "other.toml").write_text("[embedded]\nport = 39092\n")
    monkeypatch.setenv("CHOKEPOINT_CONFIG", str(isolated_env / "other.toml"))
    assert load_settings().embedded.port == 39092


def test_missing_or_invalid_config_is_a_clear_error(isolated_env):
    with pytest.raises(FileNotFoundError):
        load_settings(isolated_env / "nope.toml")
    (isolated_env / "bad.toml").write_text("[kafka]\nsecurity_protocol = 'CARRIER_PIGEON'\n")
    with pytest.raises(ValueError, match="security_protocol"):
        load_settings(isolated_env / "bad.toml")
