"""The compact snapshot layout (``snapshot``): every codec is an exact inverse, and a state
written and read back is the same state, indexes included."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from detectors.transshipment import TransshipmentDetector
from detectors.transshipment.snapshot import Strings, Table, expand_serial_runs, serial_runs
from detectors.transshipment.state import STATE_FORMAT, State
from tests.detectors.transshipment.builders import REF, VENDOR, day, engine_order, item, party, shipment

SERIAL = st.one_of(
    st.text("AB-09", min_size=1, max_size=6),
    st.builds(lambda p, n, w: f"{p}{n:0{w}d}", st.sampled_from(("", "SN", "X-")), st.integers(0, 1200),
              st.integers(1, 5)),
)


@given(st.lists(SERIAL, max_size=40))
def test_serial_runs_are_lossless(serials):
    for order in (serials, sorted(set(serials))):
        assert expand_serial_runs(serial_runs(order)) == tuple(order)


def test_hostile_serials_are_written_as_themselves_and_a_bad_run_is_refused():
    """A digit tail of thousands of digits is text, not a number (int() would raise); a
    snapshot whose run starts at a serial without a successor is refused, not asserted."""
    serials = ["9" * 5000, "9" * 5000 + "A", "SN99"]
    assert serial_runs(serials) == serials and expand_serial_runs(serials) == tuple(serials)
    with pytest.raises(ValueError, match="no successor"):
        expand_serial_runs(["SN99", 1])


def test_consecutive_serials_are_one_run():
    lot = [f"SN{n:06d}" for n in range(98, 164)]
    assert serial_runs(lot) == ["SN000098", 65]
    assert serial_runs(["A9", "A10", "B09", "B10", "Z"]) == ["A9", "A10", "B09", 1, "Z"]  # 9 -> 10 changes width
    assert serial_runs(["0999", "1000", "1001"]) == ["0999", 2]


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(-3, 3, allow_nan=False), st.text(max_size=3))


@given(st.lists(st.tuples(st.one_of(st.none(), st.text(max_size=3)), st.lists(st.text(max_size=3), max_size=3),
                          st.integers(0, 10**17), VALUES, st.floats(0, 1e9, allow_nan=False),
                          st.lists(st.tuples(st.text(max_size=3), st.integers(0, 9)), max_size=3),
                          st.lists(st.text(max_size=3), max_size=3)), max_size=30))
def test_table_columns_are_lossless(rows):
    rows = [(s, tuple(ss), t, v, f, tuple(p), tuple(x)) for s, ss, t, v, f, p, x in rows]
    table = Table(("s", "str"), ("ss", "strs"), ("t", "time"), ("v", "raw"), ("f", "float"), ("p", "pairs"),
                  ("x", "texts"))
    strings = Strings()
    raw = json.loads(json.dumps(table.encode(rows, strings)))
    back = table.decode(raw, Strings(json.loads(json.dumps(strings.table))))
    assert back == rows
    for got, want in zip(back, rows):  # 1, 1.0 and True are different JSON
        assert type(got[3]) is type(want[3]) and type(got[4]) is float


def _busy_detector() -> TransshipmentDetector:
    hub = party("hub-sg", "SG", business_type="reseller")
    final = party("final-hk", "HK")
    records = []
    for n in range(6):
        units = [f"U{n:03d}{i:03d}" for i in range(40)] + [f"odd-{n}"]
        goods = [item("HGX-H100-8GPU", 5, units)]
        records.append(shipment(f"in-{n}", day(3 * n), VENDOR, hub, goods, consignee_type="direct_consumer",
                                licence="NLR"))
        records.append(shipment(f"out-{n}", day(3 * n + 2), hub, final, goods))
        records.append(shipment(f"plain-{n}", day(3 * n + 1), VENDOR, hub, [item("H100-SXM5-80GB", 8)]))
    detector = TransshipmentDetector()
    detector.observe(engine_order(records), REF)
    return detector


def _same_state(a: State, b: State) -> None:
    for name in ("watermark", "last_prune", "parties", "legs", "orders", "hops", "purchases", "addresses",
                 "report_leg", "by_serial", "inbound", "outbound", "match_in", "match_out", "day_in", "day_out",
                 "orders_by_number", "orders_to", "purchase_groups"):
        assert getattr(a, name) == getattr(b, name), name
    assert {k: sorted(v) for k, v in a.hops_into.items()} == {k: sorted(v) for k, v in b.hops_into.items()}


def test_state_round_trips_exactly_with_serials_as_printed():
    detector = _busy_detector()
    snapshot = detector.to_state()
    assert snapshot["format"] == STATE_FORMAT == 2
    text = json.dumps(snapshot)
    assert "U000001" not in text and "U000000" in text  # a lot is one run, first serial printed
    restored = TransshipmentDetector()
    restored.load_state(json.loads(text))
    _same_state(detector.state, restored.state)
    assert restored.to_state() == snapshot
    assert any("odd-3" in leg.serials and "U003039" in leg.serials for leg in restored.state.legs.values())


def test_old_format_is_refused():
    detector = TransshipmentDetector()
    snapshot = detector.to_state()
    snapshot["format"] = 1
    try:
        detector.load_state(snapshot)
    except ValueError as error:
        assert "format" in str(error)
    else:
        raise AssertionError("format 1 accepted")


def test_snapshot_is_smaller_than_rows():
    """The point of the layout: far below a row-per-leg snapshot of the same facts."""
    state = _busy_detector().state
    rows = [leg.to_json() for leg in state.legs.values()]
    assert len(json.dumps(state.to_json(), separators=(",", ":"))) < 0.5 * len(json.dumps(rows, separators=(",", ":")))


def test_a_column_keeps_nan_and_none_apart():
    """msgspec writes NaN as null: the column is then keyed by the standard library's JSON."""
    rows = [(None,)] * 5 + [(float("nan"),), (float("inf"),)]
    table = Table(("v", "raw"))
    back = table.decode(table.encode(rows, Strings()), Strings())
    assert [v is None for (v,) in back] == [True] * 5 + [False, False]
    assert back[5][0] != back[5][0] and back[6][0] == float("inf")
