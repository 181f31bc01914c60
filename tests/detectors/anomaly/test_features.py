"""PartyFeatures: what each role counts, bounded state, exact round-trips."""

from __future__ import annotations

import datetime as dt
import json

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.anomaly.features import FEATURE_NAMES, LATE_DAYS, RESTART_AFTER_DAYS, PartyFeatures, day_of
from detectors.anomaly.train import iter_records
from detectors.engine import Reference
from tests.detectors.anomaly import _build
from tests.detectors.anomaly._build import ODD, T0, VENDOR, market

COL = {name: i for i, name in enumerate(FEATURE_NAMES)}


@pytest.fixture(scope="module")
def records():
    return list(iter_records(market(seed=3, buyers=8, days=200), Reference()))


def _fed(records) -> PartyFeatures:
    features = PartyFeatures()
    for record in records:
        features.update(record)
    return features


def test_roles_and_shares_of_the_odd_party(records):
    features = _fed(records)
    end = records[-1].time
    raw = features.raw(ODD, end)
    assert raw is not None
    assert raw["accelerators_90d"] > 3000
    assert raw["unlicensed_licence_destination_share_365d"] == 1.0  # every controlled leg out went to CN, NLR
    assert raw["transshipment_point_share_365d"] == 1.0  # CN is on the FinCEN/BIS list
    assert raw["reexport_share_365d"] == 1.0
    assert raw["declined_installation_share_365d"] == 1.0
    assert raw["cash_crypto_share_365d"] == 1.0
    assert raw["third_country_payer_share_365d"] == 1.0
    assert raw["expedited_share_365d"] == 1.0
    assert raw["capacity_known"] == 0.0 and raw["registered"] == 1.0 and raw["type_enterprise"] == 1.0
    ordinary = features.raw("ent-cloud-00", end)
    assert ordinary["unlicensed_licence_destination_share_365d"] == 0.0
    assert ordinary["outbound_legs_365d"] == 0.0
    assert ordinary["capacity_known"] == 1.0 and ordinary["type_compute"] == 1.0
    assert 0 < ordinary["capacity_use_365d"] < 1
    # The vendor sells and ships, it never orders: no intake, so no accelerators of its own.
    vendor = features.raw(VENDOR["entity_id"], end)
    assert vendor["accelerators_365d"] == 0 and vendor["outbound_legs_365d"] > 0


def test_windows_slide_with_time(records):
    features = _fed(records)
    end = records[-1].time
    now = features.vector(ODD, end)
    later = features.vector(ODD, end + dt.timedelta(days=120))
    much_later = features.vector(ODD, end + dt.timedelta(days=400))
    assert later[COL["accelerators_90d"]] == 0 < later[COL["accelerators_365d"]] == now[COL["accelerators_365d"]]
    assert much_later[COL["accelerators_365d"]] == 0
    assert much_later[COL["days_since_first_seen"]] > now[COL["days_since_first_seen"]]


def test_a_leg_reported_twice_counts_once(records):
    features = _fed(records)
    shipment = [r for r in records if r.event_id.startswith("shp-odd-in")][-1]
    before = features.to_state()
    assert features.update(shipment) == ()
    assert features.to_state() == before


def test_late_record_lands_in_its_own_day(records):
    """Out-of-order delivery across micro-batches: the same totals as in-order."""
    in_order = _fed(records)
    shuffled = list(records)
    late = shuffled.pop(len(shuffled) // 2)
    features = _fed(shuffled)
    features.update(late)
    end = records[-1].time
    for party in in_order.parties():
        assert np.array_equal(in_order.vector(party, end), features.vector(party, end)), party


def test_state_is_bounded_and_json(records):
    features = PartyFeatures(max_counterparties=4, evidence_keep=3)
    for record in records:
        features.update(record)
    state = json.loads(json.dumps(features.to_state()))
    for party in state["parties"].values():
        contacts, evidence = party.get("c", ([], [])), party.get("e", ([], []))
        assert len(contacts[0]) == len(contacts[1]) <= 4
        assert len(evidence[0]) == len(evidence[1]) <= 3
        assert len(party.get("t", ())) <= 365
    sizes = features.state_bytes()
    assert 0 < sizes["mean_bytes_per_party"] <= sizes["max_bytes_per_party"] < 20_000


def test_idle_parties_are_pruned(records):
    features = _fed(records)
    n = len(features)
    idle = RESTART_AFTER_DAYS + LATE_DAYS
    last = max(day_of(r.time) for r in records)
    kept = n - features.prune(last + idle)
    assert 0 < kept < n  # the parties seen on the last day are idle for exactly that long: kept
    assert features.prune(last + idle + 1) == kept
    assert len(features) == 0


def _moved(records, days: int, suffix: str, party: str | None = None):
    """``records`` (of ``party`` only, if given) ``days`` later, under new event ids."""
    events = []
    for record in records:
        event = record.event
        if party is not None and party not in json.dumps(msgspec.to_builtins(event)):
            continue
        events.append(
            msgspec.structs.replace(event, event_id=f"{event.event_id}-{suffix}", event_time=event.event_time + dt.timedelta(days=days))
        )
    return list(iter_records(events, Reference()))


def test_a_party_back_after_the_restart_gap_starts_afresh(records):
    """Back after more than ``RESTART_AFTER_DAYS``: its row is a new party's; back sooner:
    its history counts."""
    last = max(day_of(r.time) for r in records if ODD in json.dumps(msgspec.to_builtins(r.event)))
    first = min(day_of(r.time) for r in records if ODD in json.dumps(msgspec.to_builtins(r.event)))
    for gap, afresh in ((RESTART_AFTER_DAYS + 1, True), (RESTART_AFTER_DAYS - 1, False)):
        back = _moved(records, last - first + gap, "back", ODD)
        features = _fed(records + back)
        seen = features.raw(ODD, back[-1].time)
        if afresh:
            alone = _fed(back).raw(ODD, back[-1].time)
            assert seen == alone
        else:
            assert seen["days_since_first_seen"] >= last - first + gap


def test_a_record_older_than_the_late_bound_is_ignored(records):
    features = _fed(records)
    newest = _moved([records[-1]], 2 * LATE_DAYS, "newest")[0]
    assert features.update(newest)
    order = next(r for r in records if r.event_id.startswith("ord-odd"))
    shift = day_of(newest.time) - LATE_DAYS - day_of(order.time)
    before = features.to_state()
    assert features.update(_moved([order], shift - 1, "too-late")[0]) == ()
    assert features.to_state() == before
    assert features.update(_moved([order], shift, "late")[0])  # exactly LATE_DAYS behind: counted


def test_forgetting_idle_parties_never_changes_a_row(records):
    """Parties idle past ``RESTART_AFTER_DAYS + LATE_DAYS`` are forgotten as the clock
    passes; a late record of one of them would restart it anyway. Late records that come
    sooner after a party's last day find it kept. Every row equals one from features that
    never forget (and some parties were forgotten: the test is not vacuous)."""

    class Keeping(PartyFeatures):
        def prune(self, as_of) -> int:
            return 0

    forgotten: list[str] = []
    last = max(day_of(r.time) for r in records)
    # The clock jumps past the restart gap but not past gap + lateness: nobody may be forgotten
    # yet, since a record late by up to LATE_DAYS would still find its party.
    clock = [next(r for r in reversed(records) if r.event_id.startswith("ord-odd"))]  # moves the clock
    jump = _moved(clock, last - day_of(clock[0].time) + RESTART_AFTER_DAYS + 60, "jump")
    odd_late = _moved(records, RESTART_AFTER_DAYS + 60 - LATE_DAYS + 10, "late", ODD)
    # then past both: everyone idle since the first year is forgotten, and a late record
    # of one of them (as late as may be) starts it afresh
    far = _moved(clock, last - day_of(clock[0].time) + RESTART_AFTER_DAYS + LATE_DAYS + 200, "far")
    cloud_last = max(day_of(r.time) for r in records if "ent-cloud-00" in json.dumps(msgspec.to_builtins(r.event)))
    cloud_back = _moved(records, last + RESTART_AFTER_DAYS + 200 + 5 - cloud_last, "back", "ent-cloud-00")
    stream = records + jump + odd_late + far + cloud_back
    pruning, keeping = PartyFeatures(), Keeping()
    pruning.on_forget = forgotten.append
    rows_pruning, rows_keeping = [], []
    for record in stream:
        for features, rows in ((pruning, rows_pruning), (keeping, rows_keeping)):
            touched = features.update(record)
            rows.append([(p, features.raw(p, record.time)) for p in touched])
    assert rows_pruning == rows_keeping
    assert len(pruning) < len(keeping) and "ent-cloud-00" in forgotten
    assert any(rows_pruning[-len(cloud_back) :])  # some of its records were not too late
    assert pruning.first_day("ent-cloud-00") > last + RESTART_AFTER_DAYS


@settings(max_examples=30, deadline=None)
@given(cut=st.floats(min_value=0.0, max_value=1.0))
def test_state_round_trip_continues_exactly(records, cut):
    split = int(cut * len(records))
    reference = _fed(records)
    first = _fed(records[:split])
    resumed = PartyFeatures()
    resumed.load_state(json.loads(json.dumps(first.to_state())))
    for record in records[split:]:
        resumed.update(record)
    assert resumed.to_state() == reference.to_state()
    end = day_of(records[-1].time)
    for party in reference.parties():
        assert np.array_equal(resumed.vector(party, end), reference.vector(party, end))


def test_unknown_party_and_bad_state():
    features = PartyFeatures()
    assert features.vector("nobody", T0) is None
    assert features.activity("nobody", T0) == (0, 0)
    with pytest.raises(ValueError):
        features.load_state({"format": 99})


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16), max_counterparties=st.sampled_from([2, 4, 64]), reload=st.booleans())
def test_contact_and_country_counts_match_a_full_count(records, seed, max_counterparties, reload):
    """The day floors behind the counts' shortcut stay true lower bounds through late
    records, evictions and a state reload: every count equals counting the days one by one."""
    import random

    from detectors.anomaly import features as F

    rng = random.Random(seed)
    shuffled = list(records)
    for _ in range(len(shuffled) // 10):  # some records arrive late
        i = rng.randrange(len(shuffled))
        shuffled.insert(min(len(shuffled), i + rng.randint(1, 40)), shuffled.pop(i))
    features = PartyFeatures(max_counterparties=max_counterparties)
    for n, record in enumerate(shuffled):
        features.update(record)
        if reload and n == len(shuffled) // 2:
            reloaded = PartyFeatures(max_counterparties=max_counterparties)
            reloaded.load_state(json.loads(json.dumps(features.to_state())))
            features = reloaded
    last = max(day_of(r.time) for r in records)
    for pid in features.parties():
        state = features._parties[pid]
        for today in (state.last, state.last - 20, last + 200, last + 400):
            horizon = today - F.WINDOW_LONG
            for days, floor in ((state.contacts, state.floors[0]), (state.countries, state.floors[1])):
                assert F._count_since(days, floor, horizon, today, state.last) == sum(
                    1 for d in days.values() if horizon < d <= today
                ), (pid, today)


def test_rows_of_a_batch_equal_rows_one_at_a_time(records):
    """The detector turns a micro-batch of row inputs into rows in one columnar call; each
    row must be, bit for bit, the one ``vector`` gives, whatever the batch, late days and
    days ahead of a party's latest included."""
    features = PartyFeatures()
    inputs, singles = [], []
    for record in records:
        today = day_of(record.time)
        for party in features.update(record):
            for day in (today, today - 3, today + 50, today + 400):
                inputs.append(features.row_inputs(party, day))
                singles.append(features.vector(party, day))
    batch = PartyFeatures.rows(inputs)
    assert batch.shape == (len(singles), len(FEATURE_NAMES))
    assert batch.tobytes() == np.vstack(singles).tobytes()
    assert features.row_inputs("nobody", records[-1].time) is None
    assert PartyFeatures.rows([]).shape == (0, len(FEATURE_NAMES))


def test_judged_rows_are_the_activity_floor_row_inputs_and_evidence(records):
    """``judged`` (the detector's one pass) agrees with ``activity``, ``row_inputs`` and
    ``evidence_snapshot`` asked one by one, late days included."""
    features = PartyFeatures()
    for record in records:
        touched = features.update(record)
        today = day_of(record.time)
        for day in (today, today - 40):
            expected = []
            for party in touched:
                accelerators, events = features.activity(party, day)
                if accelerators >= 64 or events >= 12:
                    expected.append((party, features.row_inputs(party, day), features.evidence_snapshot(party, day)))
            assert features.judged(touched, day, 64, 12) == expected


def test_facts_follow_the_registry_entity_a_record_carries():
    """Facts are rebuilt only when a record carries another registry entity object: a
    registry update (a new object) must still reach the row."""
    events = market(seed=4, buyers=2, days=120, odd=False)
    change = T0 + dt.timedelta(days=60)
    update = _build.entity("ent-cloud-00", "Cloud 00 Ltd", "JP", "distributor", None, change)
    events.append({**update, "event_id": "ent-ent-cloud-00-v2"})
    events.sort(key=lambda e: (e["event_time"], e["event_id"]))
    features = PartyFeatures()
    rows = []
    for record in iter_records(events, Reference()):
        if "ent-cloud-00" in features.update(record):
            rows.append((record.time, features.raw("ent-cloud-00", record.time)))
    before = [raw for t, raw in rows if t < change]
    after = [raw for t, raw in rows if t > change]
    assert before and after
    assert all(raw["capacity_known"] == 1.0 and raw["type_compute"] == 1.0 for raw in before)
    assert all(raw["capacity_known"] == 0.0 and raw["type_resale"] == 1.0 for raw in after)


def test_the_least_recent_counterparty_is_evicted_at_the_cap():
    """At the cap the oldest contact goes (ties: the smallest id); contacts older than a
    year go first, all of them; late records (out of day order) change none of that; the
    day floor stays a lower bound throughout."""
    from detectors.anomaly.features import _Party

    features = PartyFeatures(max_counterparties=3)
    party = _Party(900)

    def contact(other: str, day: int, today: int | None = None) -> dict[str, int]:
        party.last = max(party.last, today or day)  # as ``_touch`` leaves it
        features._contact(party, other, day)
        assert party.floors[0] <= min(party.contacts.values())
        return dict(sorted(party.contacts.items()))

    assert contact("old2", 900) == {"old2": 900}
    assert contact("old1", 900) == {"old1": 900, "old2": 900}
    contact("b", 1000)
    # A late record (day 1100 seen on 1265): the oldest goes, ties by id.
    assert contact("x", 1100, today=1265) == {"b": 1000, "old2": 900, "x": 1100}
    assert contact("b", 1200, today=1265) == {"b": 1200, "old2": 900, "x": 1100}  # seen again: no eviction
    assert not party.contacts_by_day  # b's new day is out of order
    # 900 is now more than a year ago: dropped first, and then no one else need go.
    assert contact("y", 1266) == {"b": 1200, "x": 1100, "y": 1266}
    assert contact("z", 1267) == {"b": 1200, "y": 1266, "z": 1267}  # x, the oldest, not b
    assert contact("w", 1267) == {"w": 1267, "y": 1266, "z": 1267}
    assert contact("v", 1267) == {"v": 1267, "w": 1267, "z": 1267}
    assert contact("u", 1267) == {"v": 1267, "w": 1267, "z": 1267}  # a tie: the smallest id, just seen


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cap=st.sampled_from([1, 3, 5]))
def test_evictions_at_the_cap_are_a_full_scans(seed, cap):
    """The cached ties of the oldest day (a dense party evicts at every new contact) pick
    what a scan of every contact would: the oldest by (day, id), after dropping all
    older than a year; through same-day ties, contacts seen again, late days and a reload."""
    import random

    from detectors.anomaly.features import WINDOW_LONG, _Party

    rng = random.Random(seed)
    features = PartyFeatures(max_counterparties=cap)
    party = _Party(1000)
    expected: dict[str, int] = {}
    day = 1000
    for step in range(300):
        day += rng.choice((0, 0, 0, 1, 2, WINDOW_LONG // 2))
        seen_on = day - rng.randint(1, 30) if rng.random() < 0.1 else day  # a late record
        other = f"p{rng.randrange(12):02d}"
        party.last = max(party.last, day)  # as ``_touch`` leaves it
        features._contact(party, other, seen_on)
        before = expected.get(other)
        if before is None or seen_on > before:
            expected[other] = seen_on
            if before is None and len(expected) > cap:
                for key in [k for k, d in expected.items() if d <= seen_on - WINDOW_LONG]:
                    del expected[key]
                if len(expected) > cap:
                    del expected[min(expected, key=lambda k: (expected[k], k))]
        assert party.contacts == expected, step
        if step == 150:  # derived fields rebuilt from the saved ones, ties forgotten
            party = _Party.from_state(party.to_state({}, day), [], day)


def test_legs_are_pruned_as_a_full_scan_would(records):
    """The leg index prunes by day; the result must be the full scan's, also for a leg
    counted again (reported once more after the dedup window) and after a reload."""
    import msgspec

    from detectors.anomaly.features import LEG_DEDUP_DAYS
    from detectors.engine.records import ShipmentRecord

    class Scanning(PartyFeatures):
        def _prune_legs(self, day: int) -> None:
            horizon = day - 2 * LEG_DEDUP_DAYS
            for key in [k for k, d in self._legs.items() if d < horizon]:
                del self._legs[key]

    stream = list(records)
    legs = [r for r in records if isinstance(r, ShipmentRecord)]
    for n, leg in enumerate(legs[:: max(1, len(legs) // 8)]):  # reported again 40 days on
        again = msgspec.structs.replace(leg.event, event_id=f"again-{n}", event_time=leg.time + dt.timedelta(days=40))
        stream.append(msgspec.structs.replace(leg, event=again))
    stream.sort(key=lambda r: (r.time, r.event_id))
    indexed, scanning = PartyFeatures(), Scanning()
    for n, record in enumerate(stream):
        indexed.update(record)
        scanning.update(record)
        assert indexed._legs == scanning._legs
        if n == len(stream) // 2:
            reloaded = PartyFeatures()
            reloaded.load_state(json.loads(json.dumps(indexed.to_state())))
            indexed = reloaded
    assert indexed.to_state() == scanning.to_state()


def test_an_evidence_snapshot_keeps_what_it_saw(records):
    """Snapshots copy nothing; trimming to ``evidence_keep`` and expiry must leave every
    earlier snapshot's ids as they were when it was taken."""
    features = PartyFeatures(evidence_keep=3)
    taken = []
    for record in records:
        today = day_of(record.time)
        for party in features.update(record):
            snapshot = features.evidence_snapshot(party, today)
            taken.append((snapshot, features.evidence_ids(snapshot)))
    assert any(len(ids) == 3 for _, ids in taken)
    assert all(features.evidence_ids(snapshot) == ids for snapshot, ids in taken)
