"""Offline replay: the live detectors over history, for investigations."""

from streams.replay.reader import ReplayInput, read_events
from streams.replay.report import render_report, write_report
from streams.replay.run import ReplayResult, involves, replay_files, replay_input, run_engine
from streams.replay.summary import summary_tables

__all__ = [
    "read_events",
    "ReplayInput",
    "replay_files",
    "replay_input",
    "run_engine",
    "ReplayResult",
    "involves",
    "render_report",
    "write_report",
    "summary_tables",
]
