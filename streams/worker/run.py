"""Running one worker process until SIGINT/SIGTERM, with a graceful Faust shutdown."""

from __future__ import annotations

import faust

from streams.settings import Settings
from streams.worker.app import create_app

__all__ = ["run_worker"]


def run_worker(settings: Settings, bootstrap_servers: str) -> None:
    """Block until the worker is told to stop; Faust installs the signal handlers."""
    app = create_app(settings, bootstrap_servers)
    worker = faust.Worker(app, loglevel=settings.worker.log_level, quiet=True)
    worker.execute_from_commandline()
