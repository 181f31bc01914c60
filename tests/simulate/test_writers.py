"""JSON Lines, gzip and Parquet output, and the parallel fast path."""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path
from typing import Any

from streams.simulate import (
    Simulation,
    read_parquet_events,
    simulate,
    write_jsonl,
    write_parquet,
    write_truth,
)
from streams.simulate.writers import drop_nulls
from tests.simulate.conftest import SMALL


def test_jsonl_round_trips(tmp_path: Path, small_simulation: Simulation, small_events: list[dict[str, Any]]) -> None:
    path = tmp_path / "events.jsonl"
    assert write_jsonl(small_simulation.events, path, processes=1) == len(small_events)
    lines = path.read_bytes().splitlines()
    assert [json.loads(line) for line in lines] == small_events


def test_gzip_is_deterministic(tmp_path: Path, small_events: list[dict[str, Any]]) -> None:
    write_jsonl(small_events, tmp_path / "a.jsonl.gz")
    write_jsonl(small_events, tmp_path / "b.jsonl.gz")
    write_jsonl(small_events, tmp_path / "plain.jsonl")
    assert (tmp_path / "a.jsonl.gz").read_bytes() == (tmp_path / "b.jsonl.gz").read_bytes()
    assert gzip.decompress((tmp_path / "a.jsonl.gz").read_bytes()) == (tmp_path / "plain.jsonl").read_bytes()


def test_parallel_workers_write_the_same_bytes(tmp_path: Path) -> None:
    sim = simulate(dataclasses.replace(SMALL, target_events=4_000))
    write_jsonl(sim.events, tmp_path / "serial.jsonl", processes=1)
    write_jsonl(sim.events, tmp_path / "parallel.jsonl", processes=2)
    assert (tmp_path / "serial.jsonl").read_bytes() == (tmp_path / "parallel.jsonl").read_bytes()


def test_plain_iterables_are_accepted(tmp_path: Path, small_events: list[dict[str, Any]]) -> None:
    assert write_jsonl(iter(small_events[:10]), tmp_path / "few.jsonl") == 10


def test_parquet_round_trips(tmp_path: Path, small_events: list[dict[str, Any]]) -> None:
    path = tmp_path / "events.parquet"
    assert write_parquet(small_events, path, batch_size=2_500) == len(small_events)
    back = list(read_parquet_events(path))
    assert back == [drop_nulls(e) for e in small_events]


def test_parquet_schema_is_unified_and_nested(tmp_path: Path, small_events: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "events.parquet"
    write_parquet(small_events, path)
    schema = pq.read_schema(path)
    assert pa.types.is_struct(schema.field("buyer").type)
    def is_list(name: str) -> bool:
        kind = schema.field(name).type
        return pa.types.is_list(kind) or pa.types.is_large_list(kind)

    assert is_list("items") and is_list("transit_countries") and is_list("lines")
    assert {"order_id", "shipment_id", "entity_id", "entry_id"} <= set(schema.names)


def test_empty_parquet(tmp_path: Path) -> None:
    assert write_parquet([], tmp_path / "empty.parquet") == 0
    assert list(read_parquet_events(tmp_path / "empty.parquet")) == []


def test_truth_file(tmp_path: Path, small_simulation: Simulation) -> None:
    path = tmp_path / "truth.json"
    write_truth(small_simulation.truth, path)
    assert json.loads(path.read_text()) == json.loads(json.dumps(small_simulation.truth))
    assert path.read_bytes().endswith(b"\n")


def test_merge_chunks_equals_a_sort() -> None:
    import random

    from streams.simulate.parallel import merge_chunks

    rng = random.Random(4)
    keyed = sorted((f"2025-01-{rng.randint(1, 28):02d}T00:00:00Z", f"id-{n:05d}", f"line {n}".encode()) for n in range(3000))
    streams: list[list[list[tuple[str, str, bytes]]]] = [[], [], []]
    shares = [sorted(rng.sample(keyed, 700)) for _ in range(2)]
    used = {k for share in shares for k in share}
    shares.append([k for k in keyed if k not in used])
    for stream, share in zip(streams, shares):
        position = 0
        while position < len(share):
            size = rng.randint(1, 90)
            stream.append(share[position:position + size])
            position += size
    merged = [line for batch in merge_chunks([iter(s) for s in streams]) for line in batch]
    assert merged == [line for _, _, line in sorted(k for share in shares for k in share)]
