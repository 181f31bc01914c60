"""Replay on several cores: the detector families dealt out to processes, alerts merged.

Families share no alerts (each has its own typology, and an alert's id is a hash of
typology, subject and pattern), and each sees every event in event-time order: the live
worker splits them into shards for the same reason. So a replay can run each share of
the families in a process of its own over the same input and merge the alerts, and the
merged alerts are exactly the one-process replay's. Every process reads and validates
the whole input (its dead letters come from the first) and builds its own trade records:
that is the price, about a quarter of a one-process replay per extra process. On the 1M
simulation, two processes ({over_ordering, transshipment, screening}, {anomaly,
end_use}) took 54 s of wall time against ~85 s for one (BENCHMARKS.md).

The processes are started with ``spawn`` (not ``fork``: the caller may run threads, as
the CLI's progress bar does) and report progress through a queue.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import queue as queue_module
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from detectors.engine import Engine
from detectors.registry import FAMILIES, split_families
from schemas import Alert, DeadLetter, encode
from streams.replay.run import ReplayResult, involves, replay_files

__all__ = ["EngineRecipe", "replay_files_parallel"]


@dataclass(frozen=True)
class EngineRecipe:
    """How to build a replay engine, picklable so that another process can build its own.

    ``model``: an anomaly model directory (default: the shipped one); ``thresholds``: a
    thresholds TOML (default: ``detectors/data/thresholds.toml``); ``anomaly=False``: rule
    detectors only; ``families``: only these.
    """

    model: Path | None = None
    thresholds: Path | None = None
    anomaly: bool = True
    families: tuple[str, ...] = FAMILIES

    def build(self) -> Engine:
        from detectors.engine import Reference
        from detectors.registry import default_detectors
        from detectors.thresholds import Thresholds

        reference = Reference(thresholds=Thresholds.load(self.thresholds)) if self.thresholds else None
        detectors = default_detectors(anomaly_model=self.model, families=self.running())
        return Engine(detectors, reference)

    def running(self) -> tuple[str, ...]:
        """The families this recipe runs: the one place ``anomaly=False`` is applied."""
        return tuple(f for f in self.families if self.anomaly or f != "anomaly")


@dataclass(frozen=True)
class _Share:
    """What one process ran: its alerts (encoded), and what it read."""

    alerts: list[bytes]
    deadletters: list[bytes]
    read: int
    events: int
    duplicates: int


def _run_share(
    recipe: EngineRecipe,
    paths: Sequence[Path],
    since: dt.datetime | None,
    until: dt.datetime | None,
    batch_size: int,
    index: int,
    progress: multiprocessing.Queue,
    results: multiprocessing.Queue,
) -> None:  # pragma: no cover - runs in a child process (its result is what the tests compare)
    """One process: replay the input with the recipe's families, send back what it found."""
    try:
        result = replay_files(
            paths,
            since=since,
            until=until,
            batch_size=batch_size,
            engine=recipe.build,
            on_batch=lambda n: progress.put((index, n)),
        )
        share = _Share(
            alerts=[encode(a) for a in result.alerts],
            deadletters=[encode(d) for d in result.deadletters] if index == 0 else [],
            read=result.read,
            events=len(result.events),
            duplicates=result.duplicates,
        )
        results.put((index, msgspec.msgpack.encode(share), None))
    except BaseException as exc:  # reported by the parent, which stops the others
        results.put((index, None, f"{type(exc).__name__}: {exc}"))


def replay_files_parallel(
    paths: Sequence[Path],
    recipe: EngineRecipe,
    jobs: int,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    entity: str | None = None,
    batch_size: int = 10_000,
    on_batch: Callable[[int], None] | None = None,
) -> ReplayResult:
    """``replay_files`` with the recipe's families dealt out to ``jobs`` processes.

    The result has the alerts of all of them (``entity`` filtered, sorted as
    ``replay_files`` sorts them), the first process's dead letters and counts, and no
    events (``events`` is empty: read them again for a report). ``on_batch`` is told of
    progress as the slowest process makes it. Raises ``RuntimeError`` if a process fails.
    """
    started = time.perf_counter()
    groups = split_families(recipe.running(), jobs)
    context = multiprocessing.get_context("spawn")
    progress: multiprocessing.Queue = context.Queue()
    results: multiprocessing.Queue = context.Queue()
    processes = [
        context.Process(
            target=_run_share,
            args=(EngineRecipe(recipe.model, recipe.thresholds, recipe.anomaly, group), list(paths), since, until,
                  batch_size, index, progress, results),
            daemon=True,
        )
        for index, group in enumerate(groups)
    ]
    for process in processes:
        process.start()
    done = threading.Event()
    watcher = threading.Thread(target=_watch_progress, args=(progress, len(processes), on_batch, done), daemon=True)
    watcher.start()
    shares: dict[int, _Share] = {}
    try:
        while len(shares) < len(processes):
            try:
                index, payload, error = results.get(timeout=1.0)
            except queue_module.Empty:
                ended = [(i, p.exitcode) for i, p in enumerate(processes) if p.exitcode is not None and i not in shares]
                if ended:  # gone without a result (killed, out of memory): a result put before exit is here by now
                    index, code = ended[0]
                    raise RuntimeError(f"replay process {index} ({', '.join(groups[index])}) ended with code {code}") from None
                continue
            if error is not None:
                raise RuntimeError(f"replay process {index} ({', '.join(groups[index])}) failed: {error}")
            shares[index] = msgspec.msgpack.decode(payload, type=_Share)
        for process in processes:
            process.join()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        done.set()
        watcher.join()
    alerts = [msgspec.json.decode(raw, type=Alert) for share in shares.values() for raw in share.alerts]
    if entity is not None:
        alerts = [a for a in alerts if involves(a, entity)]
    alerts.sort(key=lambda a: (a.event_time, a.alert_id))
    first = shares[0]
    return ReplayResult(
        alerts=alerts,
        deadletters=[msgspec.json.decode(raw, type=DeadLetter) for raw in first.deadletters],
        events=[],
        read=first.read,
        duplicates=first.duplicates,
        seconds=time.perf_counter() - started,
        valid=first.events,
    )


def _watch_progress(
    progress: multiprocessing.Queue, count: int, on_batch: Callable[[int], None] | None, done: threading.Event
) -> None:
    """Tell ``on_batch`` how far the slowest process has got (a process that met input
    out of event-time order goes back to zero, as in ``replay_files``)."""
    counts = [0] * count
    reported = 0
    while not done.is_set():
        try:
            index, n = progress.get(timeout=0.2)
        except queue_module.Empty:
            continue
        counts[index] += n
        slowest = min(counts)
        if on_batch is not None and slowest != reported:
            on_batch(slowest - reported)
            reported = slowest
