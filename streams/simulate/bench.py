"""Simulator throughput: build, generate and write JSON Lines, then print events/s.

    python -m streams.simulate.bench --events 1000000

Reports wall time and CPU time (this process plus worker processes): on a shared or
busy machine wall time says little, and CPU time per event is what the code controls.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from streams.simulate.config import SimulationConfig
from streams.simulate.simulation import simulate
from streams.simulate.writers import write_jsonl

__all__ = ["BenchResult", "run_bench", "main"]


@dataclass(frozen=True, slots=True)
class BenchResult:
    events: int
    wall_seconds: float
    cpu_seconds: float
    bytes_written: int

    @property
    def events_per_second(self) -> float:
        return self.events / self.wall_seconds

    def __str__(self) -> str:
        return (f"{self.events:,} events in {self.wall_seconds:.1f} s wall ({self.events_per_second:,.0f} events/s), "
                f"{self.cpu_seconds:.1f} s CPU ({self.cpu_seconds / self.events * 1e6:.0f} us/event), "
                f"{self.bytes_written / 1e6:,.0f} MB")


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_bench(events: int = 1_000_000, seed: int = 1, out: Path | None = None,
              processes: int | None = None) -> BenchResult:
    """Build a simulation of ``events`` events and write it to ``out`` (a temp file by default)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = out or Path(tmp) / "sim.jsonl"
        cpu0, wall0 = _cpu(), time.perf_counter()
        simulation = simulate(SimulationConfig(seed=seed, target_events=events))
        count = write_jsonl(simulation.events, path, processes=processes)
        wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0
        return BenchResult(events=count, wall_seconds=wall, cpu_seconds=cpu, bytes_written=path.stat().st_size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="keep the output here (default: a temporary file)")
    parser.add_argument("--processes", type=int, help="worker processes (default: CPU count; 1 = single process)")
    args = parser.parse_args(argv)
    print(run_bench(args.events, args.seed, args.out, args.processes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
