"""``chokepoint bench``: benchmarks that print numbers, never timed tests that flake.

Each suite prints markdown rows (what, result, target, pass/miss, min/median/max over
the repeats, machine) ready for ``BENCHMARKS.md``. Inputs are simulator data, so the
numbers describe the traffic the product is built for.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BenchResult", "bench_decode", "bench_simulate", "machine", "run_benchmarks"]


@dataclass(frozen=True)
class BenchResult:
    what: str
    unit: str
    samples: tuple[float, ...]
    target: float | None
    command: str

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def passed(self) -> bool | None:
        return None if self.target is None else self.median >= self.target

    def row(self) -> str:
        mark = {True: "pass", False: "MISS", None: "-"}[self.passed]
        target = f">= {self.target:,.0f}" if self.target is not None else "-"
        spread = " / ".join(f"{s:,.0f}" for s in (min(self.samples), self.median, max(self.samples)))
        return f"| {self.what} | {self.median:,.0f} {self.unit} | {target} | {mark} | {spread} | `{self.command}` |"


def machine() -> str:
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(meminfo.readline().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        memory = "?"
    return f"{os.cpu_count()} cores, {memory}, {platform.processor() or platform.machine()}, Python {platform.python_version()}"


def _timed(run: Callable[[], int], repeat: int) -> tuple[float, ...]:
    """events/s of ``run`` (which returns how many events it handled), ``repeat`` times."""
    samples = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        count = run()
        samples.append(count / (time.perf_counter() - started))
    return tuple(samples)


def bench_decode(events: int = 200_000, repeat: int = 5, seed: int = 1) -> list[BenchResult]:
    """Decode + validate throughput on one core (this loop is single-threaded)."""
    import msgspec

    from schemas import decode
    from streams.simulate import SimulationConfig, simulate

    encoder = msgspec.json.Encoder()
    messages = [encoder.encode(e) for e in simulate(SimulationConfig(seed=seed, target_events=events)).events]
    trade = [m for m in messages if b'"event_type":"order"' in m or b'"event_type":"shipment"' in m]

    def decode_all(batch: list[bytes]) -> Callable[[], int]:
        def run() -> int:
            for message in batch:
                decode(message)
            return len(batch)

        return run

    command = f"chokepoint bench decode --events {events} --repeat {repeat}"
    mean_size = sum(map(len, trade)) / max(len(trade), 1)
    return [
        BenchResult(
            f"decode + validate, orders and shipments (mean {mean_size:,.0f} B), one core",
            "events/s",
            _timed(decode_all(trade), repeat),
            300_000,
            command,
        ),
        BenchResult("decode + validate, all event types, one core", "events/s", _timed(decode_all(messages), repeat), None, command),
    ]


def bench_simulate(events: int = 1_000_000, repeat: int = 1, seed: int = 1) -> list[BenchResult]:
    """End-to-end simulator rate: generate and write JSON Lines."""
    from streams.simulate import SimulationConfig, simulate, write_jsonl

    def run() -> int:
        with tempfile.TemporaryDirectory() as tmp:
            return write_jsonl(simulate(SimulationConfig(seed=seed, target_events=events)).events, Path(tmp) / "sim.jsonl")

    samples = _timed(run, repeat)
    # Target: 1M events in under a minute.
    return [
        BenchResult(
            f"simulator, {events:,} events to JSON Lines",
            "events/s",
            samples,
            events / 60 if events >= 1_000_000 else None,
            f"chokepoint bench simulate --events {events} --repeat {repeat}",
        )
    ]


SUITES: dict[str, Callable[..., list[BenchResult]]] = {"decode": bench_decode, "simulate": bench_simulate}


def run_benchmarks(names: list[str], **options: int) -> list[BenchResult]:
    print(f"machine: {machine()}")
    print("| what | median | target | result | min / median / max | command |")
    print("|---|---|---|---|---|---|")
    results = []
    for name in names or list(SUITES):
        for result in SUITES[name](**{k: v for k, v in options.items() if v is not None}):
            print(result.row(), flush=True)
            results.append(result)
    return results
