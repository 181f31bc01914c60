"""The regression guard: small benchmarks that fail only on a collapse, never on noise.

``chokepoint bench --guard`` (and ``tests/streams/test_bench_guard.py`` in CI) measures a
few small, fixed workloads, takes the best of three runs, and compares each with the
median recorded in ``data/bench_baseline.toml`` on the reference machine. Only a result
``collapse`` times slower than the record fails (default 5x): a noisy or busy CI machine
passes, an accidental quadratic loop or a per-event import does not.
``chokepoint bench --guard --record`` rewrites the record on the current machine.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

__all__ = ["BASELINE_PATH", "GUARDS", "measure", "collapsed", "record"]

BASELINE_PATH = Path(__file__).with_name("data") / "bench_baseline.toml"
_SEED = 5


def _best_rate(run: Callable[[], int], repeat: int = 3) -> float:
    best = 0.0
    for _ in range(repeat):
        started = time.perf_counter()
        count = run()
        best = max(best, count / (time.perf_counter() - started))
    return best


def _decode() -> float:
    import msgspec

    from schemas import decode
    from streams.simulate import SimulationConfig, simulate

    messages = [msgspec.json.encode(e) for e in simulate(SimulationConfig(seed=_SEED, target_events=20_000)).events]

    def run() -> int:
        for message in messages:
            decode(message)
        return len(messages)

    return _best_rate(run)


def _simulate() -> float:
    from streams.simulate import SimulationConfig, simulate

    return _best_rate(lambda: sum(1 for _ in simulate(SimulationConfig(seed=_SEED, target_events=10_000)).events))


def _engine() -> float:
    from detectors.engine import Engine
    from detectors.registry import default_detectors
    from schemas import decode
    from streams.simulate import SimulationConfig, simulate

    config = SimulationConfig(seed=_SEED, start=dt.date(2025, 1, 1), months=12, target_events=3_000, cases_per_pattern=1)
    events = sorted((decode(json.dumps(e).encode()) for e in simulate(config).events), key=lambda e: (e.event_time, e.event_id))
    default_detectors()  # imports and model load are not what is measured

    def run() -> int:
        engine = Engine(default_detectors())
        engine.process(events)
        engine.flush()
        return len(events)

    return _best_rate(run, repeat=2)


#: name -> (what it measures, workload); rates are events/s.
GUARDS: dict[str, tuple[str, Callable[[], float]]] = {
    "decode": ("decode + validate, 20k simulated events", _decode),
    "simulate": ("simulator, 10k events in memory", _simulate),
    "engine": ("engine with every default detector, 3k simulated events", _engine),
}


def measure() -> dict[str, float]:
    return {name: round(workload(), 1) for name, (_, workload) in GUARDS.items()}


def load_baseline(path: Path = BASELINE_PATH) -> dict[str, float]:
    return {name: float(v) for name, v in tomllib.loads(path.read_text(encoding="utf-8"))["events_per_second"].items()}


def collapsed(measured: dict[str, float], baseline: dict[str, float], collapse: float = 5.0) -> list[str]:
    """One line per guard that is more than ``collapse`` times slower than its record."""
    problems = []
    for name, recorded in sorted(baseline.items()):
        rate = measured.get(name)
        if rate is None:
            problems.append(f"{name}: not measured")
        elif rate * collapse < recorded:
            problems.append(f"{name}: {rate:,.0f} events/s, {recorded / rate:.1f}x slower than the recorded {recorded:,.0f}")
    return problems


def record(measured: dict[str, float], machine: str, path: Path = BASELINE_PATH) -> None:
    lines = [
        "# Recorded by `chokepoint bench --guard --record`; read by streams/bench_guard.py.",
        f"# Machine: {machine}. Recorded {dt.date.today().isoformat()}.",
        "# The guard fails only when a result is 5x slower than this (a collapse, not noise).",
        "",
        "[events_per_second]",
        *(f"{name} = {rate}" for name, rate in sorted(measured.items())),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
