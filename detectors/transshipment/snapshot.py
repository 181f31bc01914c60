"""The compact snapshot layout of ``State`` (``STATE_FORMAT`` 2): plain JSON, lossless.

A snapshot is most of what a shard weighs, so it is written for size, not for reading:

* **columns, not rows**: each kind of fact (parties, legs, orders, hops, purchases,
  addresses) is one object of equally long lists, so no key name is repeated per fact;
* **one string table**: every party id, country, address, event id, family name and
  leg key is written once in ``strings`` and referred to by its index (``null`` stays
  ``null``), so a party id that appears on a thousand legs costs a few bytes each time;
* **times as deltas**: facts are written in time order and each time column holds the
  first time and then differences (exact integers);
* **serials as runs**: a leg's serials are its sorted printed strings, and lots are
  usually numbered consecutively, so ``["SN0100", 63]`` stands for ``SN0100`` and the 63
  serials after it (same prefix, same digit width, each one more). The printed strings
  are kept exactly, not hashed: alerts quote them (``sample_serials``, summaries), and a
  hash cannot be printed back. Serials that do not run are written as themselves;
* **derived values are not written**: a leg's key is its shipment id, origin and
  destination unless it says otherwise.

``encode(state)`` and ``decode(raw)`` are exact inverses on the facts; indexes are rebuilt
by ``State.from_json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec

from detectors.transshipment.serials import Serials, next_serial

__all__ = ["Strings", "Table", "serial_runs", "expand_serial_runs", "leg_key"]

def leg_key(shipment_id: str, origin: str, dest: str) -> str:
    """How ingest names a physical leg (``ingest.leg_from_shipment``)."""
    return f"{shipment_id}|{origin}>{dest}"


def serial_runs(serials: Sequence[str]) -> list[str | int]:
    """``serials`` (in their order) as strings, each followed by how many consecutive serials
    come after it when that is more than none: ``["A07", "B1", 2]`` = A07, B1, B2, B3."""
    out: list[str | int] = []
    index = 0
    while index < len(serials):
        start = serials[index]
        run, expected = 0, next_serial(start)
        while index + run + 1 < len(serials) and expected is not None and serials[index + run + 1] == expected:
            run += 1
            expected = next_serial(expected)
        out.append(start)
        if run:
            out.append(run)
        index += run + 1
    return out


def expand_serial_runs(encoded: Iterable[str | int]) -> tuple[str, ...]:
    """The inverse of ``serial_runs``."""
    out: list[str] = []
    for item in encoded:
        if isinstance(item, int):
            serial = out[-1]
            for _ in range(item):
                following = next_serial(serial)
                if following is None:
                    raise ValueError(f"transshipment snapshot: a run of serials starts at {serial!r}, which has no successor")
                out.append(following)
                serial = following
        else:
            out.append(item)
    return tuple(out)


class Strings:
    """The snapshot's string table, while writing (``ref``) or after reading (``get``)."""

    def __init__(self, table: list[str] | None = None) -> None:
        self.table: list[str] = list(table or ())
        self._index: dict[str, int] = {s: i for i, s in enumerate(self.table)}

    def ref(self, value: str | None) -> int | None:
        if value is None:
            return None
        found = self._index.get(value)
        if found is None:
            found = self._index[value] = len(self.table)
            self.table.append(value)
        return found

    def refs(self, values: Iterable[str]) -> list[int]:
        return [self.ref(v) for v in values]  # type: ignore[misc]

    def get(self, index: int | None) -> str | None:
        return None if index is None else self.table[index]

    def gets(self, indexes: Iterable[int]) -> tuple[str, ...]:
        return tuple(self.table[i] for i in indexes)


def _deltas(values: list[int]) -> list[int]:
    return [v - values[i - 1] if i else v for i, v in enumerate(values)]


def _undeltas(values: list[int]) -> list[int]:
    out: list[int] = []
    total = 0
    for value in values:
        total += value
        out.append(total)
    return out


class Table:
    """Column codecs: ``(name, kind)`` pairs, where kind is

    ``raw`` (JSON as is), ``str`` (one string or ``None``, via the table), ``strs`` (a
    tuple of strings; one string without its list), ``texts`` (the same, strings written out: for
    strings that appear once, such as event ids), ``time`` (integers, written as deltas), ``bool`` (0/1), ``float`` (whole numbers without ``.0``), ``pairs``
    (``((name, count), ...)``, names via the table, flattened), ``rows`` (a tuple of
    tuples, written as lists) and ``serials`` (runs, see ``serial_runs``).
    """

    def __init__(self, *columns: tuple[str, str]) -> None:
        self.columns = columns

    def encode(self, rows: Sequence[Sequence[Any]], strings: Strings) -> dict[str, Any]:
        out: dict[str, Any] = {"n": len(rows)}
        for position, (name, kind) in enumerate(self.columns):
            values = [row[position] for row in rows]
            if kind == "time" and all(v % _US_PER_S == 0 for v in values):
                out[name] = {"s": _deltas([v // _US_PER_S for v in values])}  # whole seconds
            else:
                out[name] = _sparse(_ENCODERS[kind](values, strings))
        return out

    def decode(self, raw: dict[str, Any], strings: Strings) -> list[tuple[Any, ...]]:
        columns = []
        for name, kind in self.columns:
            column = raw[name]
            if kind == "time" and isinstance(column, dict) and "s" in column:
                columns.append([v * _US_PER_S for v in _undeltas(column["s"])])
            else:
                columns.append(_DECODERS[kind](_dense(column, raw["n"]), strings))
        return list(zip(*columns)) if columns else []


_US_PER_S = 1_000_000


_json = msgspec.json.Encoder()


def _size(value: Any) -> int:
    return len(_json.encode(value))


def _texts(values: list[Any]) -> list[bytes | str]:
    """Each value's JSON, as the key that tells values apart (1, 1.0 and true differ).

    msgspec's encoder, about 10x the standard library's per call; it writes NaN and
    infinity as ``null``, which would merge them with ``None``, so a column holding one
    is keyed by the standard library's ``NaN``/``Infinity`` instead.
    """
    if any(type(value) is float and not math.isfinite(value) for value in values):
        return [json.dumps(value, separators=(",", ":")) for value in values]
    encode = _json.encode
    return [encode(value) for value in values]


def _sparse(values: list[Any]) -> Any:
    """A column mostly of one value as ``{"d": value, "at": [row gaps], "v": [others]}``,
    when that is shorter than the list."""
    if not values:
        return values
    texts = _texts(values)
    counts: dict[bytes | str, int] = {}
    for text in texts:
        counts[text] = counts.get(text, 0) + 1
    common = max(counts, key=lambda text: counts[text])  # ties: the first written
    default = values[texts.index(common)]
    at = [i for i, text in enumerate(texts) if text != common]
    packed = {"d": default, "at": _deltas(at), "v": [values[i] for i in at]}
    return packed if _size(packed) < _size(values) else values


def _dense(column: Any, rows: int) -> list[Any]:
    if isinstance(column, list):
        return column
    values = [column["d"]] * rows
    for index, value in zip(_undeltas(column["at"]), column["v"]):
        values[index] = value
    return values


_ENCODERS: dict[str, Callable[[list[Any], Strings], list[Any]]] = {
    "raw": lambda values, strings: values,
    "str": lambda values, strings: [strings.ref(v) for v in values],
    "strs": lambda values, strings: [strings.ref(v[0]) if len(v) == 1 else strings.refs(v) for v in values],
    "texts": lambda values, strings: [v[0] if len(v) == 1 else list(v) for v in values],
    "time": lambda values, strings: _deltas(values),
    "bool": lambda values, strings: [int(v) for v in values],
    "float": lambda values, strings: [int(v) if v.is_integer() and abs(v) < 2**53 else v for v in values],
    "pairs": lambda values, strings: [[x for name, count in v for x in (strings.ref(name), count)] for v in values],
    "rows": lambda values, strings: [[list(entry) for entry in v] for v in values],
    "serials": lambda values, strings: [serial_runs(list(v)) for v in values],
}

_DECODERS: dict[str, Callable[[list[Any], Strings], list[Any]]] = {
    "raw": lambda values, strings: values,
    "str": lambda values, strings: [strings.get(v) for v in values],
    "strs": lambda values, strings: [(strings.table[v],) if isinstance(v, int) else strings.gets(v) for v in values],
    "texts": lambda values, strings: [(v,) if isinstance(v, str) else tuple(v) for v in values],
    "time": lambda values, strings: _undeltas(values),
    "bool": lambda values, strings: [bool(v) for v in values],
    "float": lambda values, strings: [float(v) for v in values],
    "pairs": lambda values, strings: [tuple((strings.table[v[i]], v[i + 1]) for i in range(0, len(v), 2))
                                      for v in values],
    "rows": lambda values, strings: [tuple(tuple(entry) for entry in v) for v in values],
    "serials": lambda values, strings: [Serials.of(expand_serial_runs(v)) for v in values],
}
