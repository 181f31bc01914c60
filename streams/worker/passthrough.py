"""A Faust agent that reads the input topics and does nothing: the live benchmark's yardstick.

``chokepoint bench live`` drains the same backlog with it and with a real worker in one
run, so the ratio says what detection costs over Faust's own consumption on this machine.
"""

from __future__ import annotations

import faust
from faust.web import Request, Response, View

from streams.settings import Settings, load_settings
from streams.topics import INPUT_TOPICS
from streams.worker.app import faust_broker_url, faust_credentials

__all__ = ["create_passthrough_app"]


def create_passthrough_app(settings: Settings, bootstrap_servers: str) -> faust.App:
    w = settings.worker
    app = faust.App(
        w.app_id,
        broker=faust_broker_url(bootstrap_servers),
        broker_credentials=faust_credentials(settings),
        store="memory://",
        datadir=w.data_dir,
        key_serializer="raw",
        value_serializer="raw",
        web_host=w.web_host,
        web_port=w.web_port,
        web_bind=w.web_host,
        broker_session_timeout=w.session_timeout_s,
        broker_heartbeat_interval=w.heartbeat_interval_s,
        consumer_auto_offset_reset="earliest",
        topic_allow_declare=False,
    )
    counted = {"events": 0}
    inputs = app.topic(*INPUT_TOPICS, key_type=bytes, value_type=bytes)

    @app.agent(inputs, name="chokepoint.passthrough")
    async def passthrough(stream: faust.StreamT) -> None:
        async for batch in stream.take_events(w.batch_size, within=w.batch_within_s):
            counted["events"] += len(batch)

    @app.page("/stats/")
    class StatsView(View):
        async def get(self, request: Request) -> Response:
            return self.json({"events": {"all": counted["events"]}})

    return app


if __name__ == "__main__":  # pragma: no cover - run by the benchmark as a child process
    settings = load_settings()
    faust.Worker(create_passthrough_app(settings, settings.bootstrap_servers()), loglevel="warning", quiet=True).execute_from_commandline()
