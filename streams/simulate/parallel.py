"""Background shards generated in worker processes, merged back into one ordered stream.

Used by ``write_jsonl`` for speed on multi-core machines. Each worker rebuilds the same
simulation from the config (it is deterministic), generates one shard and sends its
events already JSON-encoded, tagged with their sort key; the parent merges the shards and
the fixed events by ``(event_time, event_id)``. The result is byte-identical to
iterating ``Simulation.events`` in one process.
"""

from __future__ import annotations

import bisect
import gc
import multiprocessing as mp
import os
import traceback
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import msgspec

from streams.simulate.config import SimulationConfig

if TYPE_CHECKING:
    from streams.simulate.simulation import Simulation

__all__ = ["encoded_chunks", "encoded_lines", "merge_chunks"]

#: Events per message from a worker; amortises pickling without holding much in flight.
CHUNK_EVENTS = 4096
#: Chunks a worker may queue ahead of the merge.
QUEUE_CHUNKS = 32
_DONE = "done"
_FAILED = "failed"

Keyed = tuple[str, str, bytes]


def _worker(source: Simulation | SimulationConfig, shard: int, queue: Any) -> None:
    try:
        from streams.simulate.simulation import simulate

        # This process only generates: no reference cycles outlive a deal, so the cyclic
        # collector's passes over millions of young dicts are pure overhead here.
        gc.disable()
        simulation = simulate(source) if isinstance(source, SimulationConfig) else source
        encode = msgspec.json.Encoder().encode
        chunk: list[Keyed] = []
        for event in simulation.shard_events(shard):
            chunk.append((event["event_time"], event["event_id"], encode(event)))
            if len(chunk) >= CHUNK_EVENTS:
                queue.put(chunk)
                chunk = []
        if chunk:
            queue.put(chunk)
        queue.put(_DONE)
    except BaseException:  # pragma: no cover - surfaced in the parent
        queue.put((_FAILED, traceback.format_exc()))


def _chunks(queue: Any, shard: int) -> Iterator[list[Keyed]]:
    while True:
        message = queue.get()
        if message == _DONE:
            return
        if isinstance(message, tuple) and message and message[0] == _FAILED:
            raise RuntimeError(f"simulator shard {shard} failed:\n{message[1]}")
        if message:
            yield message


def _fixed_chunks(simulation: Simulation) -> Iterator[list[Keyed]]:
    encode = msgspec.json.Encoder().encode
    chunk = [(e["event_time"], e["event_id"], encode(e)) for e in simulation.fixed_events]
    if chunk:
        yield chunk


#: Sorts after any JSON line (JSON text is ASCII-safe UTF-8 and never starts with 0xff).
_AFTER_ANY_LINE = b"\xff"


def merge_chunks(streams: list[Iterator[list[Keyed]]]) -> Iterator[list[bytes]]:
    """Merge streams of sorted chunks into sorted batches of lines.

    Everything up to the smallest "last key of a loaded chunk" can be released: no stream
    can later produce anything earlier. Those runs are sorted together (Timsort merges
    sorted runs in C), which costs far less than a per-item heap merge in Python.
    """
    buffers: list[list[Keyed] | None] = [next(stream, None) for stream in streams]
    while True:
        live = [buf for buf in buffers if buf]
        if not live:
            return
        bound = min(buf[-1] for buf in live)
        cut_key = (bound[0], bound[1], _AFTER_ANY_LINE)
        released: list[Keyed] = []
        for index, buf in enumerate(buffers):
            if not buf:
                continue
            cut = bisect.bisect_right(buf, cut_key)
            if cut:
                released.extend(buf[:cut])
                rest = buf[cut:]
                buffers[index] = rest if rest else next(streams[index], None)
        released.sort()
        yield [line for _, _, line in released]


def _in_process(simulation: Simulation) -> Iterator[list[bytes]]:
    encode = msgspec.json.Encoder().encode
    chunk: list[bytes] = []
    for event in simulation.events:
        chunk.append(encode(event))
        if len(chunk) >= CHUNK_EVENTS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def encoded_chunks(simulation: Simulation, processes: int | None = None) -> Iterator[list[bytes]]:
    """Batches of encoded events (no newlines), in order."""
    shards = simulation.config.background_shards
    available = processes if processes is not None else (os.cpu_count() or 1)
    if shards < 2 or available < 2:
        yield from _in_process(simulation)
        return
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    context = mp.get_context(method)
    queues = [context.Queue(maxsize=QUEUE_CHUNKS) for _ in range(shards)]
    # A forked child inherits the built simulation; a spawned one rebuilds it from the config.
    source = simulation if method == "fork" else simulation.config
    workers = [
        context.Process(target=_worker, args=(source, shard, queues[shard]), daemon=True,
                        name=f"simulate-shard-{shard}")
        for shard in range(shards)
    ]
    for worker in workers:
        worker.start()
    try:
        streams = [_fixed_chunks(simulation), *(_chunks(queue, shard) for shard, queue in enumerate(queues))]
        yield from merge_chunks(streams)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()


def encoded_lines(simulation: Simulation, processes: int | None = None) -> Iterator[bytes]:
    """Each event as compact JSON (no newline), in order."""
    for chunk in encoded_chunks(simulation, processes):
        yield from chunk
