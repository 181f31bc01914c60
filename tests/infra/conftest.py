from tests.streams.conftest import fresh_broker  # noqa: F401 - the live Prometheus test runs a worker on its own broker
