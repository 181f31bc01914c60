"""The detector's bookkeeping shortcuts against the plain computations they replace.

Running totals against summing the buckets, the expiry queues against pruning every
party on every new day, the group memo against the registry it memoises, the order
check against sorting. Each test can fail: it compares with the slow way, or shows what
a stale memo would answer.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.over_ordering import OverOrderingDetector, PartyWindow, day_of
from detectors.over_ordering.expiry import DueQueue
from detectors.over_ordering.groups import GroupBook
from detectors.parties import Registry
from detectors.thresholds import Thresholds
from tests.detectors.over_ordering.builders import T0, assert_agrees_with_twin, entity, late_batches, line, order, party, records_of, reference
from tests.detectors.over_ordering.scenarios import WORLD, scenarios

# -- running totals --------------------------------------------------------------------------

_DAYS = st.integers(100, 160)
_STEP = st.one_of(
    st.tuples(st.just("add"), _DAYS, st.integers(1, 500), st.integers(0, 10**9), st.booleans()),
    st.tuples(st.just("prune"), _DAYS),
    st.tuples(st.just("ask"), _DAYS, st.one_of(st.none(), _DAYS)),
    st.tuples(st.just("reload")),
)


def _summed(window: PartyWindow, since: int, until: int | None) -> tuple[int, int, int, int]:
    """``intake`` the slow way: every bucket in the span, added up."""
    rows = [b for b in window.rows() if b[0] >= since and (until is None or b[0] < until)]
    return tuple(sum(b[i] for b in rows) for i in range(1, 5))  # type: ignore[return-value]


@settings(max_examples=300, deadline=None)
@given(st.lists(_STEP, max_size=60))
def test_intake_equals_summing_the_buckets(steps):
    """Adds in and out of day order (late records), prunes, snapshots: every answer is the
    sum of the buckets it covers."""
    window = PartyWindow(first_day=100, last_day=100)
    for step in steps:
        if step[0] == "add":
            _, day, accelerators, value, received = step
            window.add(day, accelerators, value, received=received)
        elif step[0] == "prune":
            window.prune(step[1])
        elif step[0] == "reload":
            window = PartyWindow.from_state(json.loads(json.dumps(window.to_state())))
        else:
            _, since, until = step
            assert tuple(window.intake(since, until)) == _summed(window, since, until)
        days = [b[0] for b in window.rows()]
        assert days == sorted(set(days))
        for since in (0, 120, 140, 200):
            assert tuple(window.intake(since)) == _summed(window, since, None)


def test_an_amount_stops_at_its_limit_with_its_running_totals():
    """Dollars at 2^63-1, accelerators at 2^31-1 a party-day; the intake sums what the
    buckets hold, also where that outgrows the 64-bit running totals."""
    window = PartyWindow(first_day=100, last_day=100)
    window.add(100, 8, 2**63 - 10, received=False)
    assert window.intake(0).ordered_value == 2**63 - 10  # running totals now kept
    window.add(100, 2**40, 10**30, received=False)
    window.add(99, 1, 10**30, received=False)  # a late day: a bucket before the last
    assert window.rows() == [[99, 1, 2**63 - 1, 0, 0], [100, 2**31 - 1, 2**63 - 1, 0, 0]]
    assert window.intake(100).ordered_value == 2**63 - 1 and window.intake(0).ordered_value == 2**64 - 2
    assert window.intake(0).ordered_accelerators == 2**31


def test_a_malformed_snapshot_bucket_is_refused():
    for rows in ([[100, 1, 2, 3]], [[100, 1, 2**64, 0, 0]]):
        with pytest.raises(ValueError):
            PartyWindow.from_state({"f": 100, "l": 100, "d": rows})


# -- expiry queues ---------------------------------------------------------------------------


def test_a_key_is_due_at_the_lowest_day_it_was_scheduled_for():
    queue = DueQueue()
    queue.schedule("a", 10)
    queue.schedule("a", 7)
    queue.schedule("a", 12)  # later: changes nothing
    queue.schedule("b", 9)
    assert queue.pop_before(7) == []
    assert queue.pop_before(8) == ["a"]
    assert queue.pop_before(100) == ["b"]  # the stale ("a", 10) entry is skipped
    queue.schedule("a", 20)  # popped keys can be scheduled again
    assert queue.pop_before(21) == ["a"]


class _PruneEveryParty(OverOrderingDetector):
    """The expiry the queues replace: every party and every leg looked at on every new day."""

    def _new_day(self, day, limits):
        self._latest_day = day
        horizon = day - limits.window_days + 1
        for party_id in [p for p, w in self._parties.items() if w.last_day < horizon]:
            del self._parties[party_id]
        for window in self._parties.values():
            window.prune(horizon)
        leg_horizon = day - limits.leg_dedup_days + 1
        self._legs = {k: v for k, v in self._legs.items() if v >= leg_horizon}


_SHORT = Thresholds.load().with_overrides(
    over_ordering={"window_days": 12, "leg_dedup_days": 4, "evidence_per_party": 3, "burst_window_days": 3,
                   "burst_min_history_days": 4, "burst_min_value_usd": 1_000_000}
)


@settings(max_examples=100, deadline=None)
@given(scenarios(max_events=60), st.randoms(use_true_random=False), st.integers(1, 12))
def test_expiry_queues_drop_what_pruning_every_party_drops(events, rng: random.Random, batch):
    """Short windows, so parties and legs expire many times in 80 days; batches fed out of
    order, so late records land in windows (and before days already pruned)."""
    ref = reference(*WORLD, thresholds=_SHORT)
    records = records_of(ref, events)
    batches = late_batches(records, batch, rng)
    late = records_of(reference(*WORLD, thresholds=_SHORT), [order(T0 + dt.timedelta(days=200), party(WORLD[1]))])
    assert_agrees_with_twin(OverOrderingDetector(), _PruneEveryParty(), batches, ref, late)


# -- group memo --------------------------------------------------------------------------------


def test_group_memo_follows_the_registry_content():
    registry = Registry()
    for e in (entity("g-top", "Top Holdings", "SG", "enterprise"),
              entity("g-a", "A Cloud", "SG", capacity=100, parent="g-top"),
              entity("g-b", "B Cloud", "MY", capacity=200, parent="g-top", address="2 Other Road")):
        registry.apply(e)
    book = GroupBook()
    book.sync(registry)
    group = book.group_of("g-a", registry)
    assert group is not None and group.head_id == "g-top" and group.capacity == 300
    assert [m.entity_id for m in group.members] == ["g-a", "g-b", "g-top"]

    registry.apply(entity("g-b", "B Cloud", "MY", capacity=50, parent="g-top", address="2 Other Road",
                          when=T0, event_id="ent-b-cut"))
    assert book.group_of("g-a", registry).capacity == 300  # memoised until the next sync
    book.sync(registry)
    assert book.group_of("g-a", registry).capacity == 150
    registry.apply(entity("g-b", "B Cloud", "MY", "distributor", capacity=50, parent="g-top",
                          when=T0 + dt.timedelta(days=1), event_id="ent-b-resells"))
    book.sync(registry)
    assert [m.entity_id for m in book.group_of("g-a", registry).members] == ["g-a", "g-top"]


def test_an_entity_alone_or_unknown_has_no_group():
    registry = Registry()
    registry.apply(entity("solo", "Solo Cloud", "SG", capacity=100))
    book = GroupBook()
    book.sync(registry)
    assert book.group_of("solo", registry) is None
    assert book.group_of("nobody", registry) is None


# -- record order and days ---------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(scenarios(max_events=30), st.randoms(use_true_random=False))
def test_observe_sorts_records_it_is_given_out_of_order(events, rng: random.Random):
    ref = reference(*WORLD)
    records = records_of(ref, events)
    shuffled = list(records)
    rng.shuffle(shuffled)
    assert OverOrderingDetector().observe(shuffled, ref) == OverOrderingDetector().observe(records, ref)


def test_day_of_is_the_utc_date_whatever_the_offset():
    utc = dt.datetime(2025, 3, 3, 23, 30, tzinfo=dt.timezone.utc)
    assert day_of(utc) == dt.date(2025, 3, 3).toordinal()
    tokyo = utc.astimezone(dt.timezone(dt.timedelta(hours=9)))  # 4 March, local
    assert day_of(tokyo) == day_of(utc)
