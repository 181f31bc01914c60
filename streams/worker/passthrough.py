"""A Faust agent that reads the input topics and does nothing: the live benchmark's yardstick.

``chokepoint bench live`` drains the same backlog with it and with a real worker in one
run, so the ratio says what detection costs over Faust's own consumption on this machine.
"""

from __future__ import annotations

import faust
from faust.web import Request, Response, View

from streams.settings import Settings, load_settings
from streams.topics import INPUT_TOPICS
from streams.worker.app import base_app

__all__ = ["create_passthrough_app"]


def create_passthrough_app(settings: Settings, bootstrap_servers: str) -> faust.App:
    w = settings.worker
    app = base_app(settings, bootstrap_servers)
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
