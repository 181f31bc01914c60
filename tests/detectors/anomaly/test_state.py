"""The compact state encoding: exact, deterministic round-trips; old formats refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.anomaly import features as F
from detectors.buckets import DayBuckets
from detectors.anomaly.detector import AnomalyDetector
from detectors.anomaly.features import PartyFeatures, _decode_column, _encode_column, _Party
from detectors.anomaly.train import iter_records
from detectors.engine import Reference
from tests.detectors.anomaly._build import market

DAY0 = 740_000  # an ordinal day in 2027


def _json(state) -> str:
    return json.dumps(state, separators=(",", ":"))


def _reload(features: PartyFeatures) -> PartyFeatures:
    loaded = PartyFeatures(features.countries)
    loaded.load_state(json.loads(_json(features.to_state())))
    return loaded


def _bucket(day: int, **slots: int) -> list[int]:
    bucket = [day] + [0] * (F._WIDTH - 1)
    for name, value in slots.items():
        bucket[getattr(F, name)] = value
    return bucket


def _party(first: int, last: int, buckets, contacts=None, countries=None, evidence=None, facts=None) -> _Party:
    party = _Party(first)
    party.last = last
    party.facts = facts or [1, "cloud_provider", 512, 1]
    party.buckets = DayBuckets.from_rows(F._LAYOUT, [list(b) for b in buckets])
    party.contacts = dict(contacts or {})
    party.countries = dict(countries or {})
    party.evidence = [tuple(e) for e in (evidence or [])]
    party._rebuild()
    return party


def _crafted() -> PartyFeatures:
    """Parties exercising every corner of the encoding."""
    features = PartyFeatures()
    features._latest_day = DAY0 + 400
    features._parties = {
        # Zero runs at the start, the middle and the end of columns; diff slots; late gaps.
        "ent-b": _party(
            DAY0,
            DAY0 + 300,
            [
                _bucket(DAY0 + 10, _SALES=1),
                _bucket(DAY0 + 11, _ORDERS=2, _CTRL_ORDERS=1, _ORD_ACC=64, _ORD_VAL=1_500_000, _ORD_ALL=64),
                _bucket(DAY0 + 40, _ORDERS=1, _ORD_ALL=8),
                _bucket(DAY0 + 41),
                _bucket(DAY0 + 42, _IN_LEGS=1, _IN_ACC=16, _IN_VAL=400_000, _IN_ALL=20, _CASH=1),
                _bucket(DAY0 + 299, _OUT_LEGS=3, _OUT_CTRL=2, _OUT_ACC=16, _OUT_TP=1, _OUT_LIC=2),
                _bucket(DAY0 + 300, _PAID=1),
            ],
            contacts={"ent-a": DAY0 + 300, "ent-outsider": DAY0 + 42, "ent-c": DAY0 + 42, "ent-zz-gone": DAY0 + 11},
            countries={"US": DAY0 + 300, "CN": DAY0 + 299, "MY": DAY0 + 10},
            evidence=[[DAY0 + 11, "ord-1"], [DAY0 + 42, "shp-2"], [DAY0 + 40, "ord-late"], [DAY0 + 299, "shp-3"]],
        ),
        # Genuinely negative counters (a column falls back to a plain list), including a
        # diff slot whose excess over the controlled count is negative.
        "ent-a": _party(
            DAY0 + 350,
            DAY0 + 400,
            [
                _bucket(DAY0 + 350, _ORD_VAL=-5, _ORDERS=1, _ORD_ACC=10, _ORD_ALL=3),
                _bucket(DAY0 + 399, _ORD_VAL=0, _ORDERS=1, _ORD_ACC=0, _ORD_ALL=0),
                _bucket(DAY0 + 400, _ORD_VAL=7, _ORDERS=0, _IN_ACC=-2),
            ],
            contacts={"ent-b": DAY0 + 400, "ent-c": DAY0 + 400},
            countries={"US": DAY0 + 400},
            evidence=[[DAY0 + 400, "ord-9"]],
            facts=[0, "", -1, 0],
        ),
        # Empty: no buckets, contacts, countries or evidence.
        "ent-c": _party(DAY0 + 5, DAY0 + 390, []),
        # Only a trailing-zero bucket and a first day after the bucket (late record).
        "ent-d": _party(DAY0 + 380, DAY0 + 381, [_bucket(DAY0 + 379), _bucket(DAY0 + 381, _ORDERS=1)]),
    }
    features._legs = {"shp-2": DAY0 + 42, "shp-3": DAY0 + 299, "shp-9": DAY0 + 299, "shp-1": DAY0 + 370}
    return features


def _same_memory(a: PartyFeatures, b: PartyFeatures) -> None:
    assert a._latest_day == b._latest_day
    assert a._legs == b._legs
    assert sorted(a._parties) == sorted(b._parties)
    for pid, x in a._parties.items():
        y = b._parties[pid]
        assert (x.first, x.last, x.facts) == (y.first, y.last, y.facts), pid
        assert x.buckets == y.buckets, pid
        assert x.contacts == y.contacts and x.countries == y.countries, pid
        assert x.evidence == y.evidence, pid
        assert x._starts == y._starts and x._year == y._year and x._acc == y._acc, pid


def test_crafted_state_round_trips_exactly():
    features = _crafted()
    loaded = _reload(features)
    _same_memory(features, loaded)
    assert _json(loaded.to_state()) == _json(features.to_state())
    for pid in features.parties():
        for day in (DAY0 + 42, DAY0 + 300, DAY0 + 400, DAY0 + 800):
            assert np.array_equal(features.vector(pid, day), loaded.vector(pid, day)), (pid, day)
            assert features.activity(pid, day) == loaded.activity(pid, day)
            assert features.evidence(pid, day) == loaded.evidence(pid, day)


def test_encoding_details():
    state = _crafted().to_state()
    assert state["format"] == F._STATE_FORMAT == 2
    assert list(state["parties"]) == ["ent-a", "ent-b", "ent-c", "ent-d"]
    b = state["parties"]["ent-b"]
    assert b["l"] == 100 and b["f"] == 300
    assert b["t"] == [0, 1, 257, 1, 1, 29, 1]
    columns = b["v"]
    assert columns[F._ORDERS - 1] == [-1, 2, 1]  # trailing zeros dropped
    assert columns[F._ORD_ALL - 1] == [-2, 8]  # excess over controlled: 64 - 64, then 8
    assert columns[F._SALES - 1] == [1]  # trailing zeros dropped
    assert len(columns) == F._PAID  # last slot set: nothing dropped
    # Contacts by (day, id): tracked parties by index, the others by id.
    assert b["c"] == [["ent-zz-gone", 2, "ent-outsider", 0], [289, 258, 258, 0]]
    assert b["n"] == [["CN", "MY", "US"], [1, 290, 0]]
    assert b["e"] == [[289, 258, 260, 1], ["ord-1", "shp-2", "ord-late", "shp-3"]]
    a = state["parties"]["ent-a"]
    assert a["v"][F._ORD_VAL - 1] == {"p": [-5, 0, 7]}
    assert a["v"][F._ORD_ALL - 1] == {"p": [-7, 0, 0]}
    assert a["v"][F._IN_ACC - 1] == {"p": [0, 0, -2]}
    c = state["parties"]["ent-c"]
    assert c == {"l": 10, "f": 385, "k": [1, "cloud_provider", 512, 1]}
    d = state["parties"]["ent-d"]
    assert d["t"] == [0, 2] and d["v"] == [[-1, 1]]
    assert state["legs"] == [[DAY0 + 42, ["shp-2"]], [DAY0 + 299, ["shp-3", "shp-9"]], [DAY0 + 370, ["shp-1"]]]


def test_zero_runs_decode_to_the_right_length():
    assert _encode_column([0, 0, 5, 0, 0, 0, 2, 0]) == [-2, 5, -3, 2]
    assert _decode_column([-2, 5, -3, 2], 8) == [0, 0, 5, 0, 0, 0, 2, 0]
    assert _decode_column([], 3) == [0, 0, 0]
    assert _decode_column({"p": [1, -1]}, 2) == [1, -1]
    with pytest.raises(ValueError):
        _decode_column([-3, 1], 3)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(st.just(0), st.integers(min_value=-3, max_value=10**9)), max_size=40))
def test_columns_round_trip(values):
    encoded = json.loads(json.dumps(_encode_column(values)))
    assert _decode_column(encoded, len(values)) == values


def test_same_state_gives_the_same_json():
    one = _crafted()
    two = _crafted()
    # Same content, other insertion orders.
    two._parties = dict(reversed(list(two._parties.items())))
    for party in two._parties.values():
        party.contacts = dict(reversed(list(party.contacts.items())))
        party.countries = dict(reversed(list(party.countries.items())))
    two._legs = dict(reversed(list(two._legs.items())))
    assert _json(one.to_state()) == _json(two.to_state())


def test_empty_features_round_trip():
    features = PartyFeatures()
    state = json.loads(_json(features.to_state()))
    assert state == {"format": 2, "latest_day": 0, "parties": {}, "legs": []}
    loaded = _reload(features)
    assert len(loaded) == 0 and loaded.to_state() == features.to_state()


def test_older_format_is_refused():
    features = _crafted()
    old = features.to_state()
    old["format"] = 1
    with pytest.raises(ValueError, match="format 1"):
        PartyFeatures().load_state(old)
    detector = AnomalyDetector()
    state = detector.to_state()
    assert state["format"] == 2
    with pytest.raises(ValueError, match="format 1"):
        detector.load_state({**state, "format": 1})
    with pytest.raises(ValueError, match="format 1"):
        detector.load_state({**state, "features": old})


@pytest.fixture(scope="module")
def records():
    return list(iter_records(market(seed=5, buyers=10, days=240), Reference()))


def test_market_state_round_trips_and_scores_the_same_rows(records):
    detector = AnomalyDetector()
    ref = Reference()
    half = len(records) // 2
    detector.observe(records[:half], ref)
    text = _json(detector.to_state())
    resumed = AnomalyDetector()
    resumed.load_state(json.loads(text))
    assert _json(resumed.to_state()) == text
    _same_memory(detector._features, resumed._features)
    days = sorted({F.day_of(r.time) for r in records[half : half + 50]})
    pids = detector._features.parties()
    assert pids
    for day in days[:: max(1, len(days) // 5)]:
        rows_a = np.vstack([detector._features.vector(p, day) for p in pids])
        rows_b = np.vstack([resumed._features.vector(p, day) for p in pids])
        assert np.array_equal(rows_a, rows_b)
        assert np.array_equal(detector.model.score_many(rows_a), resumed.model.score_many(rows_b))
    # And both go on to the same findings and state.
    assert detector.observe(records[half:], ref) == resumed.observe(records[half:], ref)
    assert _json(detector.to_state()) == _json(resumed.to_state())


_MOVES = st.lists(st.tuples(st.integers(0, 500), st.sampled_from((F._ORDERS, F._ORD_ACC, F._IN_ACC, F._OUT_LEGS)),
                            st.integers(1, 10**6), st.booleans()), min_size=1, max_size=40)


@settings(max_examples=150)
@given(_MOVES)
def test_day_buckets_and_window_totals_match_a_recount(moves):
    """Records in any day order (late ones land inside the buckets, or are dropped past
    365 days), through ``credit`` or ``add``, the party's clock moved as ``_touch`` moves
    it: the buckets stay one per day in day order, and the running window totals equal
    those counted afresh from the buckets."""
    party = _Party(moves[0][0])
    kept: dict[int, dict[int, int]] = {}
    for day, slot, amount, one_by_one in moves:
        if day > party.last:
            party.advance(day)
        if day > party.last - F.WINDOW_LONG:
            kept.setdefault(day, {}).setdefault(slot, 0)
            kept[day][slot] += amount
        if one_by_one:
            party.add(day, slot, amount)
        else:
            party.credit(day, [(slot, amount)])
    kept = {d: c for d, c in kept.items() if d > party.last - F.WINDOW_LONG}
    rows = [row for row in party.buckets.rows() if row[F._DAY] > party.last - F.WINDOW_LONG]
    assert [row[F._DAY] for row in rows] == sorted(kept)
    for row in rows:
        assert {slot: value for slot, value in enumerate(row) if slot and value} == kept[row[F._DAY]]
    fresh = _party(party.first, party.last, rows)
    assert (party._year, party._acc) == (fresh._year, fresh._acc)
    assert party.totals(party.last) == fresh.totals(fresh.last)


def test_a_counter_stops_at_its_limit_with_its_totals():
    """Dollars at 2^63-1, counts at 2^31-1: the bucket and the running totals alike."""
    party = _Party(100)
    party.credit(100, [(F._ORD_VAL, 2**63 - 6), (F._ORD_ACC, 2**31 - 3)])
    party.credit(100, [(F._ORD_VAL, 10**30), (F._ORD_ACC, 10**12)])
    party.add(100, F._ORD_VAL, 7)
    party.add(100, F._ORD_ACC, 7)
    assert party.buckets.get(0, F._ORD_VAL) == 2**63 - 1 == party._year[F._ORD_VAL]
    assert party.buckets.get(0, F._ORD_ACC) == 2**31 - 1 == party._year[F._ORD_ACC] == party._acc[0]
