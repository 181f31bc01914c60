"""A seeded, deterministic simulator of the AI-chip trade, with injected diversion cases.

Pure generation: no Kafka here. ``simulate(config)`` returns a :class:`Simulation` whose
``events`` are plain dicts, each exactly a contract-v1 event (entity, screening_entry,
order, shipment), sorted by ``event_time`` with ties broken by ``event_id``; its
``truth`` lists every injected case and every legitimate look-alike.

    >>> sim = simulate(SimulationConfig(seed=7, target_events=100_000))
    >>> count = write_jsonl(sim.events, "out/sim.jsonl.gz")
    >>> write_truth(sim.truth, "out/truth.json")

The same config gives byte-identical files.
"""

from streams.simulate.cases import PATTERNS, TYPOLOGIES
from streams.simulate.config import SimulationConfig
from streams.simulate.simulation import Simulation, event_sort_key, simulate
from streams.simulate.writers import read_parquet_events, write_jsonl, write_parquet, write_truth

__all__ = [
    "SimulationConfig",
    "Simulation",
    "simulate",
    "event_sort_key",
    "write_jsonl",
    "write_parquet",
    "write_truth",
    "read_parquet_events",
    "PATTERNS",
    "TYPOLOGIES",
]
