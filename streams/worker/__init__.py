"""The live worker (Faust)."""

from streams.worker.app import create_app
from streams.worker.metrics import WorkerMetrics
from streams.worker.run import run_worker

__all__ = ["create_app", "run_worker", "WorkerMetrics"]
