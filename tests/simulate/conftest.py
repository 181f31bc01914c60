"""One small simulation shared by the simulator tests (building it takes about a second)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from streams.simulate import Simulation, SimulationConfig, simulate

#: Small but complete: every pattern once, a full year, a few thousand background events.
SMALL = SimulationConfig(seed=11, start=dt.date(2025, 1, 1), months=12, target_events=6_000, cases_per_pattern=1)


@pytest.fixture(scope="session")
def small_simulation() -> Simulation:
    return simulate(SMALL)


@pytest.fixture(scope="session")
def small_events(small_simulation: Simulation) -> list[dict[str, Any]]:
    return list(small_simulation.events)
