"""``simulate``: build the world, inject the cases, and stream everything in time order.

The registry, the screening list and the cases are small and built up front; the
background trade is generated lazily while iterating, so a million events never sit in
memory at once. Iterating ``Simulation.events`` twice regenerates the same events.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from streams.simulate.cases import PATTERNS, build_cases
from streams.simulate.cases.base import CaseRecord
from streams.simulate.config import SimulationConfig
from streams.simulate.refs import References, load_references
from streams.simulate.traffic import BackgroundTraffic
from streams.simulate.world import World, build_world

__all__ = ["Simulation", "EventStream", "simulate", "event_sort_key"]


def event_sort_key(event: dict[str, Any]) -> tuple[str, str]:
    """Time order, ties broken by ``event_id`` (unique), so the order is total and stable.

    ``event_time`` strings all have the fixed ``YYYY-MM-DDTHH:MM:SSZ`` form, so comparing
    the text compares the instants.
    """
    return event["event_time"], event["event_id"]


class EventStream:
    """The simulation's events: iterable any number of times, each pass regenerating the
    same sorted stream. Writers that recognise it can generate the background shards in
    parallel processes (:meth:`encoded_lines`) and get the very same bytes."""

    __slots__ = ("simulation",)

    def __init__(self, simulation: Simulation) -> None:
        self.simulation = simulation

    def __iter__(self) -> Iterator[dict[str, Any]]:
        sim = self.simulation
        return heapq.merge(sim.fixed_events, *(sim.shard_events(s) for s in range(sim.config.background_shards)),
                           key=event_sort_key)

    def encoded_lines(self, processes: int | None = None) -> Iterator[bytes]:
        """Each event as compact JSON (no newline), in order; shards run in worker
        processes when ``processes`` (default: CPU count) allows more than one."""
        from streams.simulate.parallel import encoded_lines

        return encoded_lines(self.simulation, processes)

    def encoded_chunks(self, processes: int | None = None) -> Iterator[list[bytes]]:
        """As :meth:`encoded_lines`, in batches (what the JSON Lines writer consumes)."""
        from streams.simulate.parallel import encoded_chunks

        return encoded_chunks(self.simulation, processes)


@dataclass(slots=True)
class Simulation:
    """A built world plus its injected cases; ``events`` streams every event in order."""

    config: SimulationConfig
    refs: References
    world: World
    cases: list[CaseRecord]
    fixed_events: list[dict[str, Any]]
    background_target: int

    @property
    def events(self) -> EventStream:
        """All events (registry, screening, cases, background), sorted; re-iterable."""
        return EventStream(self)

    def shard_events(self, shard: int) -> Iterator[dict[str, Any]]:
        """One background shard's events, sorted."""
        shards = self.config.background_shards
        share = self.background_target // shards + (1 if shard < self.background_target % shards else 0)
        return iter(BackgroundTraffic(self.world, self.refs, self.config, share, shard=shard, shards=shards))

    @property
    def truth(self) -> dict[str, Any]:
        """The ground truth, JSON-ready; deterministic for a given config."""
        refs = self.refs
        return {
            "seed": self.config.seed,
            "config": self.config.to_dict(),
            "catalogue_version": refs.catalogue.version,
            "country_groups_version": refs.countries.version,
            "red_flags_version": refs.red_flags.version,
            "screening_version": refs.screening.version,
            "world_profile_version": refs.profile.version,
            "period": {"start": self.config.start.isoformat(), "end": self.config.end.isoformat()},
            "patterns": [{"typology": p.typology, "pattern": p.name} for p in PATTERNS],
            "cases": [case.to_dict() for case in self.cases],
            "lookalikes": self.world.lookalikes,
        }


def simulate(config: SimulationConfig | None = None) -> Simulation:
    """Build a simulation; nothing is generated for the background until ``events`` is iterated."""
    config = config or SimulationConfig()
    refs = load_references(config)
    world = build_world(config, refs, config.target_events)
    cases, case_events = build_cases(world, refs, config)
    fixed = world.registry_events()
    fixed.extend(dict(entry) for entry in refs.screening.entries)
    fixed.extend(case_events)
    fixed.sort(key=event_sort_key)
    background_target = max(0, config.target_events - len(fixed))
    return Simulation(config=config, refs=refs, world=world, cases=cases, fixed_events=fixed,
                      background_target=background_target)
