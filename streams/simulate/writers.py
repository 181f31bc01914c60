"""Writers for simulator output: JSON Lines (plain or gzip), Parquet, and the truth file.

All output is byte-for-byte reproducible: msgspec encodes dicts in insertion order,
gzip headers carry no timestamp or file name, and nothing reads the clock.

Parquet holds every event type in one file under one unified schema (the union of the
contract's fields; a field an event lacks is null), with nested parties as structs and
lists as lists, as the contract's replay format describes. Reading it back and dropping
the nulls gives the original events.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import polars as pl
import pyarrow.parquet as pq

__all__ = ["write_jsonl", "write_parquet", "write_truth", "read_parquet_events", "PARQUET_SCHEMA", "drop_nulls"]

#: Events encoded per write call; large enough to amortise, small enough to stream.
BATCH_EVENTS = 20_000
#: gzip level for ``.gz`` output: 6 is zlib's balance of size and speed.
GZIP_LEVEL = 6

_PARTY = pl.Struct({"entity_id": pl.String, "name": pl.String, "country": pl.String, "address": pl.String})
_LINE = pl.Struct({
    "sku": pl.String, "product": pl.String, "eccn": pl.String, "hts": pl.String, "quantity": pl.Int64,
    "unit_value_usd": pl.Float64, "accelerators_per_unit": pl.Int64,
})
_ITEM = pl.Struct({
    "sku": pl.String, "product": pl.String, "eccn": pl.String, "hts": pl.String, "quantity": pl.Int64,
    "accelerators_per_unit": pl.Int64, "serials": pl.List(pl.String),
})
_ADDRESS = pl.Struct({"address": pl.String, "city": pl.String, "country": pl.String})

#: The union of contract v1's input fields, envelope first, then by event type.
PARQUET_SCHEMA: dict[str, pl.DataType] = {
    # envelope
    "event_id": pl.String, "event_type": pl.String, "event_time": pl.String, "source": pl.String,
    "schema_version": pl.Int64,
    # order
    "order_id": pl.String, "seller": _PARTY, "buyer": _PARTY, "ship_to": _PARTY, "end_user": _PARTY,
    "declared_end_use": pl.String, "payer": _PARTY, "payment_method": pl.String, "lines": pl.List(_LINE),
    "order_value_usd": pl.Float64, "installation_requested": pl.Boolean, "expedited": pl.Boolean,
    # shipment
    "shipment_id": pl.String, "shipper": _PARTY, "consignee": _PARTY, "consignee_type": pl.String,
    "intermediate_consignee": _PARTY, "freight_forwarder": _PARTY, "origin_country": pl.String,
    "destination_country": pl.String, "transit_countries": pl.List(pl.String), "mode": pl.String,
    "declared_value_usd": pl.Float64, "items": pl.List(_ITEM), "license": pl.String,
    # entity
    "entity_id": pl.String, "name": pl.String, "aliases": pl.List(pl.String), "country": pl.String,
    "address": pl.String, "business_type": pl.String, "parent_id": pl.String, "ownership_pct": pl.Float64,
    "ultimate_parent_id": pl.String, "ultimate_parent_country": pl.String, "incorporated_on": pl.String,
    "declared_capacity_accelerators": pl.Int64, "website": pl.String, "deleted": pl.Boolean,
    # screening_entry
    "entry_id": pl.String, "list": pl.String, "alt_names": pl.List(pl.String), "addresses": pl.List(_ADDRESS),
    "start_date": pl.String, "federal_register_notice": pl.String,
}


def _batches(events: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for event in events:
        batch.append(event)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_jsonl(
    events: Iterable[dict[str, Any]],
    path: str | Path,
    *,
    compresslevel: int = GZIP_LEVEL,
    processes: int | None = None,
) -> int:
    """One event per line; gzip when ``path`` ends in ``.gz``. Returns the number written.

    Given a simulation's ``events`` (an ``EventStream``), the background shards are
    generated in up to ``processes`` worker processes (default: CPU count; 1 = in this
    process). The bytes are the same either way.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    encoder = msgspec.json.Encoder()
    count = 0
    with path.open("wb") as raw:
        sink: io.BufferedIOBase | gzip.GzipFile = raw
        if path.suffix == ".gz":
            # filename="" and mtime=0 keep the gzip header free of run-specific bytes.
            sink = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=compresslevel, mtime=0)
        try:
            encoded = getattr(events, "encoded_chunks", None)
            if encoded is not None and processes != 1:
                for lines in encoded(processes):
                    lines.append(b"")
                    sink.write(b"\n".join(lines))
                    count += len(lines) - 1
            else:
                for batch in _batches(events, BATCH_EVENTS):
                    sink.write(encoder.encode_lines(batch))
                    count += len(batch)
        finally:
            if sink is not raw:
                sink.close()
    return count


def write_parquet(events: Iterable[dict[str, Any]], path: str | Path, *, batch_size: int = 100_000) -> int:
    """All events in one Parquet file under :data:`PARQUET_SCHEMA`. Returns the number written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer: pq.ParquetWriter | None = None
    count = 0
    try:
        for batch in _batches(events, batch_size):
            table = pl.DataFrame(batch, schema=PARQUET_SCHEMA, strict=False).to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table)
            count += len(batch)
        if writer is None:  # no events: still write a valid, empty file with the schema
            table = pl.DataFrame([], schema=PARQUET_SCHEMA).to_arrow()
            writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return count


def drop_nulls(value: Any) -> Any:
    """Remove ``None`` values from dicts, recursively (Parquet's nulls for absent fields)."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def read_parquet_events(path: str | Path) -> Iterator[dict[str, Any]]:
    """Events from a Parquet file written by :func:`write_parquet`, nulls dropped, in file order."""
    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches():
        for row in batch.to_pylist():
            yield drop_nulls(row)


def write_truth(truth: dict[str, Any], path: str | Path) -> None:
    """The ground truth as indented JSON (stable key order, trailing newline)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(msgspec.json.format(msgspec.json.encode(truth), indent=2) + b"\n")
