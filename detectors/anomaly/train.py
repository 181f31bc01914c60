"""Training: events -> the engine's trade records -> per-party snapshots -> ``AnomalyModel``.

The records come from the very pipeline the engine runs (``detectors.engine.Reference``:
registry and screening records applied in time order, parties resolved, lines
classified), and the snapshots from the very feature code the detector runs, so the
model is trained on the rows it will score.

Snapshots: after each record, every party it touched that is *eligible* (the detector's
activity floor: ``min_accelerators`` controlled accelerators taken or ``min_events``
orders and legs taken in 365 days) has its row taken; one row per party per
``snapshot_days`` period is kept (the last one of the period), plus one per doubling of
age in the party's first four weeks. That weights parties by how long they are active,
not by how many documents they generate, so a few very busy distributors do not define
"normal", while a young party is compared with other parties at the same age.
The training data is history as it is, cases and all (unsupervised; an isolation forest
tolerates a little contamination).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from detectors.anomaly.features import FEATURE_NAMES, PartyFeatures, day_of
from detectors.anomaly.model import AnomalyModel
from detectors.engine import Reference
from detectors.engine.records import TradeRecord
from schemas import Entity, Event, Order, ScreeningEntry, Shipment, decode_object

__all__ = [
    "TrainingData",
    "DEFAULT_PARAMS",
    "iter_records",
    "snapshots",
    "train",
    "train_command",
    "eligibility",
]

#: Model parameters of the shipped artefact (``train`` defaults).
DEFAULT_PARAMS: dict[str, Any] = {"n_estimators": 100, "max_samples": 256, "contamination": 0.01, "max_features": 1.0}
#: Simulator size for ``train_command --simulate`` (about a year of a mid-size market).
DEFAULT_SIMULATE_EVENTS = 100_000


@dataclass
class TrainingData:
    """Snapshot rows and what they came from (goes into the artefact's metadata)."""

    X: np.ndarray
    parties: list[str]
    events: int = 0
    trade_records: int = 0
    first_time: dt.datetime | None = None
    last_time: dt.datetime | None = None
    eligibility: dict[str, int] = field(default_factory=dict)
    snapshot_days: int = 14

    @property
    def n_parties(self) -> int:
        return len(set(self.parties))

    def fingerprint(self) -> str:
        digest = hashlib.blake2b(digest_size=16)
        digest.update(np.ascontiguousarray(self.X, dtype=np.float64).tobytes())
        digest.update("\x1f".join(self.parties).encode())
        digest.update(json.dumps(list(FEATURE_NAMES)).encode())
        return digest.hexdigest()


def eligibility(reference: Reference | None = None) -> dict[str, int]:
    """The activity floor from ``[anomaly]`` thresholds (also what the detector scores)."""
    ref = reference or Reference()
    try:
        t = ref.thresholds["anomaly"]
    except KeyError:
        t = {}
    return {"min_accelerators": int(t.get("min_accelerators", 64)), "min_events": int(t.get("min_events", 12))}


def _as_event(item: Any) -> Event:
    if isinstance(item, (Order, Shipment, Entity, ScreeningEntry)):
        return item
    if isinstance(item, (bytes, bytearray, str)):
        from schemas import decode

        event = decode(item)
    else:
        event = decode_object(item)
    if not isinstance(event, (Order, Shipment, Entity, ScreeningEntry)):
        raise ValueError(f"invalid event: {event}")
    return event


def iter_records(events: Iterable[Any], reference: Reference | None = None) -> Iterator[TradeRecord]:
    """Trade records in (event time, event id) order, duplicates dropped, registry and
    screening records applied to ``reference`` as they come (as ``Engine`` does)."""
    ref = reference or Reference()
    decoded: dict[str, Event] = {}
    for item in events:
        event = _as_event(item)
        decoded.setdefault(event.event_id, event)
    for event in sorted(decoded.values(), key=lambda e: (e.event_time, e.event_id)):
        if isinstance(event, Entity):
            ref.registry.apply(event)
        elif isinstance(event, ScreeningEntry):
            ref.screening.apply(event)
        elif isinstance(event, Order):
            yield ref.order(event)
        elif isinstance(event, Shipment):
            yield ref.shipment(event)


def _period(today: int, first_day: int, snapshot_days: int) -> int:
    """Which snapshot slot a row falls in: ages 0, 1, 2-3, 4-7, 8-15, 16-27 days each get
    their own slot (a party is young only once, yet scored at every early record), then
    one slot per ``snapshot_days`` of calendar time."""
    age = today - first_day
    if 0 <= age < 28:
        return -1 - age.bit_length()
    return today // snapshot_days


def snapshots(
    events: Iterable[Any],
    *,
    reference: Reference | None = None,
    snapshot_days: int = 14,
    min_accelerators: int | None = None,
    min_events: int | None = None,
) -> TrainingData:
    """Per-party snapshot rows (see the module docstring)."""
    ref = reference or Reference()
    floor = eligibility(ref)
    if min_accelerators is not None:
        floor["min_accelerators"] = min_accelerators
    if min_events is not None:
        floor["min_events"] = min_events
    features = PartyFeatures(ref.countries)
    kept: dict[tuple[str, int], np.ndarray] = {}
    count = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    events = list(events)
    for record in iter_records(events, ref):
        count += 1
        first = first or record.time
        last = record.time
        today = day_of(record.time)
        for party in features.update(record):
            accelerators, n_events = features.activity(party, today)
            if accelerators < floor["min_accelerators"] and n_events < floor["min_events"]:
                continue
            row = features.vector(party, today)
            if row is not None:
                kept[(party, _period(today, features.first_day(party), snapshot_days))] = row
    keys = sorted(kept)
    X = np.vstack([kept[k] for k in keys]) if keys else np.zeros((0, len(FEATURE_NAMES)))
    return TrainingData(
        X=X,
        parties=[k[0] for k in keys],
        events=len(events),
        trade_records=count,
        first_time=first,
        last_time=last,
        eligibility=floor,
        snapshot_days=snapshot_days,
    )


def train(
    events: Iterable[Any] | TrainingData,
    *,
    seed: int,
    n_estimators: int = DEFAULT_PARAMS["n_estimators"],
    max_samples: int | float | str = DEFAULT_PARAMS["max_samples"],
    contamination: float | str = DEFAULT_PARAMS["contamination"],
    max_features: float = DEFAULT_PARAMS["max_features"],
    reference: Reference | None = None,
    snapshot_days: int = 14,
) -> AnomalyModel:
    """Fit an ``AnomalyModel`` on per-party snapshots of ``events`` (contract dicts or
    decoded events). The returned model carries ``training_`` (a ``TrainingData``)."""
    data = events if isinstance(events, TrainingData) else snapshots(events, reference=reference, snapshot_days=snapshot_days)
    if data.X.shape[0] < 2:
        raise ValueError("not enough eligible party snapshots to train on")
    model = AnomalyModel(
        n_estimators=n_estimators,
        max_samples=max_samples,
        contamination=contamination,
        max_features=max_features,
        random_state=seed,
    ).fit(data.X, FEATURE_NAMES)
    model.training_ = data
    return model


def train_command(
    inputs: list[Path] | None,
    simulate_seed: int | None,
    out: Path,
    seed: int,
    *,
    target_events: int = DEFAULT_SIMULATE_EVENTS,
) -> dict[str, Any]:
    """``chokepoint train``: train on replay files or on a simulation, save the artefact
    to ``out`` (a directory), and return its metadata.

    Exactly one of ``inputs`` (JSON Lines / Parquet files, validated as replay does) and
    ``simulate_seed`` (a fresh ``streams.simulate`` world of ``target_events`` events).
    """
    from detectors.anomaly.artefact import save

    if bool(inputs) == (simulate_seed is not None):
        raise ValueError("give either input files or a simulator seed, not both or neither")
    source: dict[str, Any]
    if inputs:
        from streams.replay import read_events

        read = read_events([Path(p) for p in inputs])
        events: list[Any] = list(read.events)
        source = {"inputs": [str(p) for p in inputs], "invalid_records": len(read.deadletters)}
    else:
        from streams.simulate import SimulationConfig, simulate

        sim = simulate(SimulationConfig(seed=int(simulate_seed), target_events=target_events))
        events = list(sim.events)
        source = {"simulate_seed": int(simulate_seed), "target_events": target_events}
    model = train(events, seed=seed)
    return save(model, Path(out), source=source)


def main(argv: list[str] | None = None) -> int:
    """``python -m detectors.anomaly.train``: the same as ``chokepoint train``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m detectors.anomaly.train", description=train_command.__doc__)
    parser.add_argument("inputs", nargs="*", type=Path, help="JSON Lines / Parquet event files")
    parser.add_argument("--simulate-seed", type=int, default=None, help="train on a fresh simulation with this seed")
    parser.add_argument("--events", type=int, default=DEFAULT_SIMULATE_EVENTS, help="simulation size (events)")
    parser.add_argument("--seed", type=int, default=0, help="model random_state")
    parser.add_argument("--out", type=Path, required=True, help="artefact directory")
    args = parser.parse_args(argv)
    metadata = train_command(args.inputs or None, args.simulate_seed, args.out, args.seed, target_events=args.events)
    print(json.dumps({k: metadata[k] for k in ("model_version", "parties", "events", "snapshots", "training_score_quantiles")}, indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
