"""Driving the detection engine over history: the same engine the live worker runs."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from detectors.engine import Engine
from schemas import Alert, DeadLetter, Event
from streams.replay.reader import Admission, ReplayInput, file_records, read_events

__all__ = ["ReplayResult", "run_engine", "replay_files", "replay_input", "involves"]


@dataclass
class ReplayResult:
    alerts: list[Alert]
    deadletters: list[DeadLetter] = field(default_factory=list)
    #: The valid events in event-time order (empty from a replay over several processes).
    events: Sequence[Event] = field(default_factory=list)
    read: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    #: How many valid events were run.
    valid: int = 0


def run_engine(
    events: Sequence[Event],
    engine: Engine | None = None,
    *,
    batch_size: int = 10_000,
    on_batch: Callable[[int], None] | None = None,
    detected_at: dt.datetime | None = None,
) -> Engine:
    """Feed ``events`` in micro-batches of ``batch_size`` and flush; returns the engine."""
    engine = engine or Engine()
    with _state_out_of_collection():
        for start in range(0, len(events), batch_size):
            batch = events[start : start + batch_size]
            engine.process(batch, detected_at)
            gc.freeze()
            if on_batch is not None:
                on_batch(len(batch))
        engine.flush(detected_at)
    return engine


@contextlib.contextmanager
def _state_out_of_collection() -> Iterator[None]:
    """Within: callers ``gc.freeze()`` after each micro-batch; after: everything thawed.

    Detector state lives for the whole replay and holds no reference cycles (a replay of
    100k simulated events with the collector off leaves nothing for it to collect), yet
    the allocation-driven cyclic collector walks all of it again and again: about 15% of
    replay time. Freezing what survived a batch takes it out of the collector's sight
    (reference counting still frees it); young garbage is still collected.
    """
    try:
        yield
    finally:
        gc.unfreeze()


def involves(alert: Alert, entity_id: str) -> bool:
    return alert.subject.entity_id == entity_id or any(p.entity_id == entity_id for p in alert.related or ())


def replay_files(
    paths: Sequence[Path],
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    entity: str | None = None,
    batch_size: int = 10_000,
    on_batch: Callable[[int], None] | None = None,
    on_read: Callable[[int], None] | None = None,
    engine: Engine | Callable[[], Engine] | None = None,
) -> ReplayResult:
    """Read, validate, order and run. ``entity`` keeps the alerts that involve that party
    (as subject or related): the detectors still see all history, since a group total or
    a chain needs the other parties too.

    ``engine``: an engine, or a function that makes a fresh one (default: ``Engine``).
    Given a function, input that is already in event-time order (what producers' exports
    and the simulator write) is run **while it is read**, each event decoded once; at the
    first event out of order the rest is read, everything is sorted and a fresh engine
    runs it all, so the alerts are the same either way. An engine instance cannot be
    started again, so with one the input is always read and sorted first.
    """
    started = time.perf_counter()
    if isinstance(engine, Engine):
        data = read_events(paths, since=since, until=until)
        return replay_input(data, started, entity=entity, batch_size=batch_size, on_batch=on_batch, on_read=on_read, engine=engine)
    make = engine or Engine
    reader = Admission(since=since, until=until)
    records = file_records(paths, reader)
    running = make()
    batch: list[Event] = []
    fed = 0
    with _state_out_of_collection():
        for record in records:
            event = reader.admit(*record)
            if event is None:
                continue
            if not reader.in_order:
                break
            batch.append(event)
            if len(batch) >= batch_size:
                running.process(batch)
                gc.freeze()
                fed += len(batch)
                if on_batch is not None:
                    on_batch(len(batch))
                batch = []
        else:
            if batch:
                running.process(batch)
                if on_batch is not None:
                    on_batch(len(batch))
            running.flush()
            data = reader.finish()
            if on_read is not None:
                on_read(len(data.events))
            return _result(data, running, entity, started)
    for record in records:  # out of order: read the rest, then sort
        reader.admit(*record)
    if on_batch is not None and fed:
        on_batch(-fed)  # the events run so far are run again
    return replay_input(reader.finish(), started, entity=entity, batch_size=batch_size, on_batch=on_batch, on_read=on_read, engine=make())


def replay_input(
    data: ReplayInput,
    started: float,
    *,
    entity: str | None = None,
    batch_size: int = 10_000,
    on_batch: Callable[[int], None] | None = None,
    on_read: Callable[[int], None] | None = None,
    engine: Engine | None = None,
) -> ReplayResult:
    """Run validated, ordered input (from files or from Kafka) through the engine."""
    if on_read is not None:
        on_read(len(data.events))
    engine = run_engine(data.events, engine, batch_size=batch_size, on_batch=on_batch)
    return _result(data, engine, entity, started)


def _result(data: ReplayInput, engine: Engine, entity: str | None, started: float) -> ReplayResult:
    alerts = engine.alerts()
    if entity is not None:
        alerts = [a for a in alerts if involves(a, entity)]
    alerts.sort(key=lambda a: (a.event_time, a.alert_id))
    return ReplayResult(
        alerts=alerts,
        deadletters=data.deadletters,
        events=data.events,
        read=data.read,
        duplicates=engine.duplicates_dropped,
        seconds=time.perf_counter() - started,
        valid=len(data.events),
    )
