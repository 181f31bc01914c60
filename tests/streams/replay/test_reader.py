"""Replay input: every format, event-time order, bad lines to the dead-letter list."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import msgspec

from schemas import Order, decode
from streams.replay.reader import read_events

UTC = dt.timezone.utc


def _write(path, lines: list[bytes]) -> None:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as handle:
        handle.write(b"\n".join(lines) + b"\n")


def test_events_come_out_in_event_time_order_across_files(tmp_path, contract_examples):
    entity, screening, order, shipment = contract_examples
    _write(tmp_path / "a.jsonl", [shipment, order])
    _write(tmp_path / "b.jsonl.gz", [entity, screening])
    result = read_events([tmp_path / "a.jsonl", tmp_path / "b.jsonl.gz"])
    times = [e.event_time for e in result.events]
    assert times == sorted(times)
    assert [e.event_id for e in result.events] == ["scr-000001", "ent-000001", "ord-000001", "shp-000001"]
    assert result.read == 4 and not result.deadletters


def test_ties_keep_input_order(tmp_path, contract_examples):
    order = json.loads(contract_examples[2])
    twins = []
    for suffix in ("z", "a", "m"):
        twins.append(json.dumps({**order, "event_id": f"ord-{suffix}"}).encode())
    _write(tmp_path / "t.jsonl", twins)
    assert [e.event_id for e in read_events([tmp_path / "t.jsonl"]).events] == ["ord-z", "ord-a", "ord-m"]


def test_bad_lines_go_to_the_dead_letter_list_with_position_and_reading_goes_on(tmp_path, contract_examples):
    _write(tmp_path / "mixed.jsonl", [contract_examples[2], b"{broken", b"", contract_examples[3], b"[]"])
    result = read_events([tmp_path / "mixed.jsonl"])
    assert [e.event_id for e in result.events] == ["ord-000001", "shp-000001"]
    assert [(d.topic, d.offset) for d in result.deadletters] == [("mixed.jsonl", 2), ("mixed.jsonl", 5)]
    assert result.deadletters[0].error.startswith("not_json")


def test_time_bounds_keep_reference_records(tmp_path, contract_examples):
    _write(tmp_path / "all.jsonl", contract_examples)
    since = dt.datetime(2025, 3, 10, tzinfo=UTC)
    result = read_events([tmp_path / "all.jsonl"], since=since)
    assert {e.event_type for e in result.events} == {"entity", "screening_entry", "shipment"}
    result = read_events([tmp_path / "all.jsonl"], until=dt.datetime(2025, 3, 5, tzinfo=UTC))
    assert "shipment" not in {e.event_type for e in result.events}
    assert result.skipped_by_time == 1


def test_parquet_is_validated_like_json_lines(tmp_path, contract_examples):
    import polars as pl

    rows = [json.loads(line) for line in contract_examples]
    pl.from_dicts(rows, infer_schema_length=None).write_parquet(tmp_path / "ex.parquet")
    result = read_events([tmp_path / "ex.parquet"])
    assert not result.deadletters, [d.error for d in result.deadletters]
    by_id = {e.event_id: e for e in result.events}
    assert by_id["ord-000001"] == decode(contract_examples[2])
    assert isinstance(by_id["ord-000001"], Order)


def test_events_in_order_index_slice_and_iterate_like_a_list(tmp_path, contract_examples):
    """The sequence answers like the list of decoded events it stands for, for input out
    of event-time order (reads that are not contiguous in the file)."""
    order = json.loads(contract_examples[2])
    base = dt.datetime(2025, 1, 1, tzinfo=UTC)
    lines, expected = [], []
    for i in range(50):
        when = base + dt.timedelta(hours=(i * 37) % 50)  # a permutation of 50 hours
        raw = json.dumps({**order, "event_id": f"ord-{i:03d}", "event_time": when.isoformat().replace("+00:00", "Z")})
        lines.append(raw.encode())
        expected.append((when, f"ord-{i:03d}"))
    _write(tmp_path / "shuffled.jsonl", lines)
    events = read_events([tmp_path / "shuffled.jsonl"]).events
    ids = [event_id for _, event_id in sorted(expected)]
    assert len(events) == 50
    assert [e.event_id for e in events] == ids
    assert [e.event_id for e in events[10:20]] == ids[10:20]
    assert [e.event_id for e in events[45:]] == ids[45:]
    assert events[0].event_id == ids[0] and events[-1].event_id == ids[-1]
    assert events[60:70] == []
    for bad in (50, -51):
        try:
            events[bad]
        except IndexError:
            pass
        else:
            raise AssertionError(f"index {bad} should be out of range")



def _shuffled_orders(contract_examples, count: int, prefix: str) -> tuple[list[bytes], list[tuple[dt.datetime, str]]]:
    order = json.loads(contract_examples[2])
    base = dt.datetime(2025, 1, 1, tzinfo=UTC)
    lines, expected = [], []
    for i in range(count):
        when = base + dt.timedelta(hours=(i * 37) % count, minutes=len(prefix))
        event_id = f"ord-{prefix}{i:03d}"
        lines.append(json.dumps({**order, "event_id": event_id, "event_time": when.isoformat().replace("+00:00", "Z")}).encode())
        expected.append((when, event_id))
    return lines, expected


def test_plain_json_lines_are_read_back_from_the_input_file_and_the_rest_from_a_copy(tmp_path, contract_examples):
    """Events of a plain file are located in it, not copied: only the gzip and Parquet
    events reach the spool. Mixed in one replay, out of order, with CRLF line ends, blank
    and bad lines, every event still reads back as it was, in event-time order."""
    import polars as pl

    plain, expected = _shuffled_orders(contract_examples, 40, "p")
    plain.insert(7, b"{broken")
    (tmp_path / "a.jsonl").write_bytes(b"\r\n".join(plain[:20]) + b"\r\n\r\n" + b"\r\n".join(plain[20:]))
    packed, more = _shuffled_orders(contract_examples, 30, "gz")
    _write(tmp_path / "b.jsonl.gz", packed)
    rows, most = _shuffled_orders(contract_examples, 10, "parq")
    pl.from_dicts([json.loads(r) for r in rows], infer_schema_length=None).write_parquet(tmp_path / "c.parquet")
    again, last = _shuffled_orders(contract_examples, 20, "again")
    _write(tmp_path / "d.jsonl", again)
    result = read_events([tmp_path / "a.jsonl", tmp_path / "b.jsonl.gz", tmp_path / "c.parquet", tmp_path / "d.jsonl"])
    assert [(d.topic, d.offset) for d in result.deadletters] == [("a.jsonl", 8)]
    # the sort is stable: equal times keep input order, files in the order given
    want = [event_id for _, event_id in sorted(expected + more + most + last, key=lambda pair: pair[0])]
    assert [e.event_id for e in result.events] == want
    copied = result.events._store._spool
    assert copied is not None and copied._size == sum(map(len, packed)) + sum(
        len(line) for line in pl.read_parquet(tmp_path / "c.parquet").write_ndjson().encode().splitlines()
    )
    plain_only = read_events([tmp_path / "a.jsonl", tmp_path / "d.jsonl"])
    assert plain_only.events._store._spool is None
    assert [e.event_id for e in plain_only.events] == [i for _, i in sorted(expected + last, key=lambda pair: pair[0])]



def test_one_read_never_runs_from_one_input_file_into_the_next(tmp_path, contract_examples):
    """Events read back together when they lie close in a file; the last line of one file
    (no line end after it) and the first of the next are not close, whatever their order."""
    lines, expected = _shuffled_orders(contract_examples, 40, "s")
    ordered = [line for _, line in sorted(zip(expected, lines))]
    (tmp_path / "first.jsonl").write_bytes(b"\n".join(ordered[:20]))
    (tmp_path / "second.jsonl").write_bytes(b"\n".join(ordered[20:]) + b"\n")
    events = read_events([tmp_path / "first.jsonl", tmp_path / "second.jsonl"]).events
    assert [e.event_id for e in events] == [event_id for _, event_id in sorted(expected)]

def test_an_input_file_replaced_during_a_replay_is_read_as_it_was(tmp_path, contract_examples):
    """The store holds the file it read open: a new file moved over the path (how exports
    are usually rewritten) does not change the events already read."""
    lines, expected = _shuffled_orders(contract_examples, 30, "x")
    path = tmp_path / "h.jsonl"
    _write(path, lines)
    events = read_events([path]).events
    other, _ = _shuffled_orders(contract_examples, 30, "yyy")
    _write(tmp_path / "new.jsonl", other)
    (tmp_path / "new.jsonl").replace(path)
    assert [e.event_id for e in events] == [event_id for _, event_id in sorted(expected)]

def test_replay_runs_ordered_input_while_reading_and_sorts_input_out_of_order(tmp_path):
    """Simulated history replayed in order (one pass, each event decoded once) and shuffled
    (read, sorted, run by a fresh engine) gives the same alerts; an engine instance takes
    the sorting path whatever the input."""
    import random

    from detectors.engine import Engine
    from streams.replay.run import replay_files
    from streams.simulate import SimulationConfig, simulate, write_jsonl

    events = list(simulate(SimulationConfig(seed=11, target_events=3_000)).events)
    write_jsonl(events, tmp_path / "ordered.jsonl")
    shuffled = events[:]
    random.Random(3).shuffle(shuffled)
    write_jsonl(shuffled, tmp_path / "shuffled.jsonl")
    made: list[Engine] = []

    def make() -> Engine:
        made.append(Engine())
        return made[-1]

    def content(result) -> list[bytes]:
        return [msgspec.json.encode(msgspec.structs.replace(a, detected_at=UTC_EPOCH)) for a in result.alerts]

    ordered = replay_files([tmp_path / "ordered.jsonl"], engine=make, batch_size=500)
    assert len(made) == 1 and made[0].events_processed == len(events)
    assert len(ordered.events) == len(events) and ordered.alerts
    out_of_order = replay_files([tmp_path / "shuffled.jsonl"], engine=make, batch_size=500)
    assert len(made) == 3  # the first run was abandoned at the first event out of order
    assert content(out_of_order) == content(ordered)
    given = replay_files([tmp_path / "ordered.jsonl"], engine=Engine(), batch_size=500)
    assert content(given) == content(ordered)


UTC_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
