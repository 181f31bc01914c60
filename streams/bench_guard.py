"""The regression guard: small benchmarks that fail only on a collapse, never on noise.

``chokepoint bench --guard`` (and ``tests/streams/test_bench_guard.py`` in CI) measures a
few small, fixed workloads, takes the best of three runs, and compares each with the
rate recorded in ``data/bench_baseline.toml`` on the reference machine. Only a result
``collapse`` times slower than the record fails (default 5x): a noisy or busy CI machine
passes, an accidental quadratic loop or a per-event import does not.
``chokepoint bench --guard --record`` rewrites the record on the current machine.

**Machine speed is measured in the same run.** The guard also times
``streams.bench.interpreter_rate`` (plain Python, none of the project's code) and scales
each record by how fast that runs now against when the record was made: what is compared
is the project's speed against the interpreter's own, so neither a slow CI machine nor
the day the record was made can turn the guard red. The same commit ran these workloads
2.1-3x slower on 2026-12-07 than on 12-06, on the same kind of machine: half the 5x
margin gone with nothing wrong in the code.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

__all__ = ["BASELINE_PATH", "GUARDS", "MACHINE", "measure", "collapsed", "record"]

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


#: The baseline's key for the machine's own speed (``streams.bench.interpreter_rate``),
#: recorded beside the guards.
MACHINE = "interpreter"

#: name -> (what it measures, workload); rates are events/s.
GUARDS: dict[str, tuple[str, Callable[[], float]]] = {
    "decode": ("decode + validate, 20k simulated events", _decode),
    "simulate": ("simulator, 10k events in memory", _simulate),
    "engine": ("engine with every default detector, 3k simulated events", _engine),
}


def measure() -> dict[str, float]:
    """Every guard's rate, and the machine's (``MACHINE``), timed before and after them
    with the faster kept: a best of runs, as each workload's rate is, and measured the same
    way when the record is made, so the two compare like with like."""
    from streams.bench import interpreter_rate

    before = interpreter_rate()
    measured = {name: round(workload(), 1) for name, (_, workload) in GUARDS.items()}
    measured[MACHINE] = round(max(before, interpreter_rate()), 1)
    return measured


def load_baseline(path: Path = BASELINE_PATH) -> dict[str, float]:
    return {name: float(v) for name, v in tomllib.loads(path.read_text(encoding="utf-8"))["events_per_second"].items()}


def machine_speed(measured: dict[str, float], baseline: dict[str, float]) -> float:
    """This machine's speed now against the record's: the factor each record is scaled by.
    1 when either side lacks the machine's measure (a record from before it)."""
    now, then = measured.get(MACHINE), baseline.get(MACHINE)
    if not now or not then:
        return 1.0
    return now / then


def collapsed(measured: dict[str, float], baseline: dict[str, float], collapse: float = 5.0) -> list[str]:
    """One line per guard more than ``collapse`` times slower than its record, the record
    scaled to this machine's speed (``machine_speed``)."""
    speed = machine_speed(measured, baseline)
    problems = []
    for name, recorded in sorted(baseline.items()):
        if name == MACHINE:
            continue
        rate = measured.get(name)
        expected = recorded * speed
        if rate is None:
            problems.append(f"{name}: not measured")
        elif rate * collapse < expected:
            on = f", {speed:.2f}x the record's machine speed here" if speed != 1.0 else ""
            problems.append(f"{name}: {rate:,.0f} events/s, {expected / rate:.1f}x slower than the recorded {recorded:,.0f}{on}")
    return problems


def record(measured: dict[str, float], machine: str, path: Path = BASELINE_PATH) -> None:
    lines = [
        "# Recorded by `chokepoint bench --guard --record`; read by streams/bench_guard.py.",
        f"# Machine: {machine}. Recorded {dt.date.today().isoformat()}.",
        "# The guard fails only when a result is 5x slower than this (a collapse, not noise),",
        f"# each scaled by how fast this machine's '{MACHINE}' workload runs then against now.",
        "",
        "[events_per_second]",
        *(f"{name} = {rate}" for name, rate in sorted(measured.items())),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
