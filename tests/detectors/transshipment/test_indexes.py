"""The derived indexes give what a full scan of the party's legs gives."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from detectors.transshipment.serials import EMPTY
from detectors.transshipment.state import Leg, OrderInfo, Purchase, State, family_names

FAMILIES = ("A100", "H100-SXM5", "H20", "L40S")
PARTIES = ("p1", "p2", "p3")


def _leg(n: int, t: int, shipper: str, consignee: str, families: dict[str, int], export: bool) -> Leg:
    return Leg(key=f"s{n}|US>{'SG' if export else 'US'}", ids=(f"e{n}",), t=t, shipment_id=f"s{n}", order_id=None,
               shippers=(shipper,), consignees=(consignee,), shipper_country="US", consignee_country="SG",
               consignee_type="reseller", origin="US", dest="SG" if export else "US", transit=(), licence=None,
               value=1000.0, accelerators=sum(families.values()), families=tuple(sorted(families.items())), units=1,
               serials=EMPTY, h200_class=False, scopes=(), misdescribed=(), shipper_addr=None, consignee_addr=None,
               others=())


LEG = st.tuples(st.integers(0, 50), st.sampled_from(PARTIES), st.sampled_from(PARTIES),
                st.dictionaries(st.sampled_from(FAMILIES), st.integers(0, 300), min_size=1, max_size=2), st.booleans())


def _within(a: float, b: float, tolerance: float) -> bool:  # pass_through._within
    return abs(a - b) <= tolerance * max(a, b)


@given(st.lists(LEG, max_size=60), st.lists(st.integers(0, 59), max_size=20), LEG,
       st.sampled_from((0.0, 0.05, 0.2, 0.5, 0.99)), st.integers(0, 50), st.integers(0, 50))
def test_match_index_finds_every_leg_a_full_scan_would_match(raw, merged, query, tolerance, since, until):
    state = State()
    legs = [_leg(n, t, s, c, f, e) for n, (t, s, c, f, e) in enumerate(raw)]
    for leg in legs:
        state.put_leg(leg)
    for n in merged:  # a later report changes a leg's families and quantity: re-indexed
        if n < len(legs):
            state.put_leg(_leg(n, legs[n].t, legs[n].shippers[0], legs[n].consignees[0], {"H20": 64}, legs[n].is_export))
    state.prune(10)  # and pruning removes index entries
    rebuilt = State()  # ... exactly those of the forgotten legs
    for leg in sorted(state.legs.values(), key=lambda leg: (leg.t, leg.key)):
        rebuilt.put_leg(leg)
    for name in ("match_in", "match_out", "inbound", "outbound", "day_in", "day_out"):
        assert getattr(state, name) == getattr(rebuilt, name), name
    target = _leg(999, query[0], query[1], query[2], query[3], query[4])
    if target.accelerators <= 0:
        return
    for index, full, party, exports_only in ((state.match_in, state.inbound, target.shippers[0], False),
                                             (state.match_out, state.outbound, target.consignees[0], True)):
        scan = [leg for leg in state.window(full, party, since, until)
                if leg.accelerators > 0 and (leg.is_export or not exports_only)
                and family_names(leg) == family_names(target) and _within(leg.accelerators, target.accelerators,
                                                                           tolerance)]
        found = state.match_window(index, party, family_names(target), target.accelerators, tolerance, since, until)
        assert found is not None
        assert {leg.key for leg in scan} <= {leg.key for leg in found}
        assert found == sorted(found, key=lambda leg: (leg.t, leg.key))
        assert all(since <= leg.t <= until and family_names(leg) == family_names(target) for leg in found)
        assert all(leg.key in state.legs and state.legs[leg.key] == leg for leg in found)
    assert state.match_window(state.match_in, "p1", ("H20",), 8, 1.0, 0, 50) is None  # any quantity: full scan


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 9)), max_size=30), st.integers(0, 30), st.integers(0, 30))
def test_purchases_between_is_the_filtered_list(entries, since, until):
    state = State()
    for t, n in entries:
        state.add_purchase("addr:X", Purchase(t, f"o{n}-{t}", "b", "g", 1))
    expected = [p for p in state.purchases.get("addr:X", ()) if since <= p.t <= until]
    assert state.purchases_between("addr:X", since, until) == expected


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 9), st.sampled_from("abcd"), st.sampled_from("XY")),
                max_size=40),
       st.integers(0, 30), st.integers(0, 30), st.integers(0, 31), st.sets(st.sampled_from("abcd")))
def test_groups_between_are_the_groups_of_the_purchases_in_the_window(entries, since, until, before, excluded):
    """Consolidation's bound: through late purchases and a prune, the groups of the
    purchases a scan finds in the window, and the same after a snapshot round trip."""
    state = State()
    for t, n, group, point in entries:
        state.add_purchase(f"addr:{point}", Purchase(t, f"o{n}-{t}-{group}", f"b{n}", group, 1))
    state.prune(before)
    restored = State.from_json(json.loads(json.dumps(state.to_json())))
    for point in ("addr:X", "addr:Y"):
        scan = {p.group for p in state.purchases_between(point, since, until) if p.group not in excluded}
        assert state.groups_between(point, since, until, excluded) == scan
        assert restored.groups_between(point, since, until, excluded) == scan
    assert state.purchase_groups.keys() == state.purchases.keys()


@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from(("SO-1", "SO-2", "SO-3"))), max_size=30),
       st.integers(0, 31))
def test_orders_numbered_are_the_kept_orders_with_that_number(orders, before):
    """One id stored as it is, several as a list: through a prune and a snapshot round
    trip, the same answer as a scan of the kept orders."""
    state = State()
    for n, (t, number) in enumerate(orders):
        state.put_order(OrderInfo(f"ord-{n}", t, number, "buyer", "site", 8, True))
    state.prune(before)
    restored = State.from_json(json.loads(json.dumps(state.to_json())))
    for number in ("SO-1", "SO-2", "SO-3"):
        scan = sorted(o.id for o in state.orders.values() if o.order_id == number)
        assert sorted(state.orders_numbered(number)) == scan == sorted(restored.orders_numbered(number))
    assert all(type(ids) is str or len(ids) > 1 for ids in state.orders_by_number.values())


def test_leg_lists_stay_sorted_through_merges_and_prunes():
    state = State()
    for n, t in enumerate((5, 3, 9, 3, 7)):
        state.put_leg(_leg(n, t, "p1", "p2", {"H20": 8}, True))
    state.put_leg(_leg(1, 3, "p1", "p2", {"H20": 100}, True))
    assert state.outbound["p1"] == sorted(state.outbound["p1"])
    assert [k for _, k in state.outbound["p1"]] == ["s1|US>SG", "s3|US>SG", "s0|US>SG", "s4|US>SG", "s2|US>SG"]
    state.prune(6)
    assert state.outbound["p1"] == [(7, "s4|US>SG"), (9, "s2|US>SG")]
    assert all(entry[1] in state.legs for entries in state.match_out.values() for entry in entries)


def test_match_index_keeps_quantities_at_the_tolerance_edges():
    """Every quantity a full scan accepts, including exactly at the edge (80 and 125 for 100
    at 20%), is among the candidates."""
    state = State()
    for quantity in range(1, 1200):
        state.put_leg(_leg(quantity, 0, "p1", "p2", {"H20": quantity}, True))
    for tolerance in (0.0, 0.05, 0.2, 0.5, 0.9):
        for target in (1, 2, 3, 7, 64, 80, 100, 125, 127, 128, 255, 256, 600):
            found = state.match_window(state.match_in, "p2", ("H20",), target, tolerance, 0, 0)
            expected = {q for q in range(1, 1200) if _within(q, target, tolerance)}
            assert expected <= {leg.accelerators for leg in found}, (tolerance, target)
            low, high = target * (1 - tolerance) / 1.25, target / (1 - tolerance) * 1.25  # a band, not all
            assert all(low <= leg.accelerators <= high for leg in found), (tolerance, target)


DAY = 86_400_000_000


@given(st.lists(st.tuples(st.integers(0, 12 * DAY), st.sampled_from(PARTIES), st.sampled_from(PARTIES),
                          st.dictionaries(st.sampled_from(FAMILIES), st.integers(0, 90), min_size=1, max_size=2),
                          st.booleans()), max_size=40),
       st.lists(st.integers(0, 39), max_size=10), st.integers(0, 12 * DAY), st.integers(0, 12 * DAY),
       st.lists(st.sampled_from(PARTIES), min_size=1, max_size=2, unique=True))
def test_ratio_bounds_hold_what_a_scan_counts(raw, merged, since, until, parties):
    state = State()
    legs = [_leg(n, t, s, c, f, e) for n, (t, s, c, f, e) in enumerate(raw)]
    for leg in legs:
        state.put_leg(leg)
    for n in merged:
        if n < len(legs):
            state.put_leg(_leg(n, legs[n].t, legs[n].shippers[0], legs[n].consignees[0], {"H20": 70}, legs[n].is_export))
    state.prune(2 * DAY)
    received = {leg.key: leg for p in parties for leg in state.window(state.inbound, p, since, until)
                if leg.accelerators > 0}
    exported = {leg.key: leg for p in parties for leg in state.window(state.outbound, p, since, until)
                if leg.accelerators > 0 and leg.is_export}
    most_in, least_in, most_out = (state.most_received(parties, since, until),
                                   state.least_received(parties, since, until),
                                   state.most_exported(parties, since, until))
    total_in = sum(leg.accelerators for leg in received.values())
    assert least_in <= total_in <= most_in
    assert sum(count for leg in exported.values() for _, count in leg.families) <= most_out
    whole_days = [leg for leg in state.window(state.inbound, parties[0], since, until) if leg.accelerators > 0
                  and leg.t // DAY * DAY >= since and (leg.t // DAY + 1) * DAY - 1 <= until]
    assert least_in >= sum(leg.accelerators for leg in whole_days)
