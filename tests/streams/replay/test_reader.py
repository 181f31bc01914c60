"""Replay input: every format, event-time order, bad lines to the dead-letter list."""

from __future__ import annotations

import datetime as dt
import gzip
import json

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
