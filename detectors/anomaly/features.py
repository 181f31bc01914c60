"""Per-party behaviour features over rolling event-time windows, computed incrementally.

``PartyFeatures.update(record)`` attributes one trade record to every party it names, in
the role it plays; ``vector(party, as_of)`` turns what a party did in the last 30 / 90 /
365 days into one fixed-length row of :data:`FEATURE_NAMES`. The model sees the same
rows in training and in the live detector, because both feed records through this one
class in (event time, event id) order.

Who counts what (one record can touch several parties):

* **Orders**: the buyer, the ship-to and the end user (each once) *ordered* the order's
  controlled data-centre accelerators, and their controlled orders count towards the
  payment / installation / rush / bill-ship shares. The seller *sold* it; a payer that
  is none of those *paid* for it.
* **Shipment legs**: the consignee and intermediate consignee *received* the leg's
  controlled data-centre accelerators; the shipper *sent* them (an outbound leg, whose
  destination decides the route shares). A leg reported twice (exporter's and importer's
  feed, same ``shipment_id``) within :data:`LEG_DEDUP_DAYS` counts once.

Volumes are the larger of ordered and received (legs deliver orders: adding them would
count the same chips twice; the larger still sees goods that arrive without an order).

State is bounded: one bucket of integer counters per party per *active* day, buckets
older than the longest window dropped as the party's clock moves on, at most
``max_counterparties`` counterparties and all countries (there are ~250) with the day
each was last seen, and ``evidence_keep`` recent event ids. ``to_state`` is plain,
compact JSON (days as offsets, counters as run-length columns; see ``_encode_party``).

The number of parties is bounded by who traded lately, not by everyone ever seen, so a
history of many years or a worker that runs for years does not grow without end:

* a party whose next record comes more than :data:`RESTART_AFTER_DAYS` after its last
  **starts afresh** (its windows are empty by then; "days since first seen" starts again,
  and the detector forgets what it raised on it);
* a record more than :data:`LATE_DAYS` before the latest day seen is **ignored** (it is
  older than the longest window of anyone active then);
* parties idle for longer than both together are **forgotten** as the clock passes
  (:meth:`PartyFeatures.prune`, weekly). Any record of theirs that is not ignored would
  restart them anyway, so forgetting them never changes a row: when pruning runs cannot
  change a decision.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from bisect import insort
from dataclasses import dataclass
from operator import itemgetter, sub
from typing import Any

import numpy as np

from detectors.buckets import BucketLayout, DayBuckets
from detectors.engine.records import LineRecord, OrderRecord, PartyRef, ShipmentRecord, TradeRecord
from detectors.memo import Interner
from detectors.reference import CountryGroups

__all__ = [
    "FEATURES",
    "FEATURE_NAMES",
    "LOG_FEATURES",
    "BUSINESS_GROUPS",
    "Feature",
    "PartyFeatures",
    "RowInputs",
    "EvidenceSnapshot",
    "day_of",
]

#: Longest window; buckets older than this (relative to the party's latest day) are dropped.
WINDOW_LONG = 365
WINDOW_MID = 90
WINDOW_RECENT = 30
#: A leg reported again with the same ``shipment_id`` within this many days counts once.
LEG_DEDUP_DAYS = 30
#: A party idle for longer than this starts afresh with its next record (module docstring).
RESTART_AFTER_DAYS = 2 * WINDOW_LONG
#: A record older than the latest day seen by more than this is ignored.
LATE_DAYS = WINDOW_LONG
_STATE_FORMAT = 2

#: Business types, grouped: a one-hot column per group (``type_unknown`` = unregistered).
BUSINESS_GROUPS: dict[str, tuple[str, ...]] = {
    "compute": ("cloud_provider", "ai_lab", "university", "hpc_center"),
    "enterprise": ("enterprise",),
    "resale": ("distributor", "reseller", "oem_server"),
    "logistics": ("freight_forwarder", "logistics"),
    "other": ("gaming_retail", "crypto_miner", "government", "other"),
}
_GROUP_OF = {kind: group for group, kinds in BUSINESS_GROUPS.items() for kind in kinds}

# Day bucket layout (all integers).
(
    _DAY,
    _ORDERS,  # orders naming the party as buyer / ship-to / end user
    _CTRL_ORDERS,  # ... of which carry controlled data-centre accelerators
    _ORD_ACC,  # controlled data-centre accelerators ordered
    _ORD_VAL,  # their value (USD)
    _ORD_ALL,  # all accelerators ordered (any class)
    _PAYER3,  # controlled orders paid from a third country outside the group
    _CASH,  # controlled orders paid in cash or crypto
    _DECLINED,  # controlled orders declining installation
    _RUSH,  # controlled orders marked expedited
    _SPLIT,  # controlled orders billed in one country, shipped to another
    _IN_LEGS,  # legs received
    _IN_ACC,  # controlled data-centre accelerators received
    _IN_VAL,  # their declared value (controlled legs only)
    _IN_ALL,  # all accelerators received
    _OUT_LEGS,  # legs sent
    _OUT_CTRL,  # legs sent carrying controlled accelerators
    _OUT_ACC,  # controlled data-centre accelerators sent
    _OUT_TP,  # controlled legs sent to a transshipment point
    _OUT_LIC,  # controlled legs sent to a licence destination without a licence on the leg
    _SALES,  # orders as seller
    _PAID,  # orders paid for as a payer outside the deal's buyer side
) = range(22)
_WIDTH = 22
#: Buckets are kept in flat arrays (``detectors.buckets.DayBuckets``): the day and the counts in 32
#: bits, the US-dollar sums in 64.
_LAYOUT = BucketLayout(_WIDTH, wide=(_ORD_VAL, _IN_VAL), sparse=True)  # a party uses a few counters


@dataclass(frozen=True, slots=True)
class Feature:
    """One column: its name, whether the model sees it on a log scale, and how an analyst reads it."""

    name: str
    log: bool
    kind: str  # count | usd | share | ratio | days | flag
    label: str  # "{value} controlled accelerators in 90 days"


FEATURES: tuple[Feature, ...] = (
    Feature("accelerators_90d", True, "count", "{} controlled accelerators in 90 days"),
    Feature("accelerators_365d", True, "count", "{} controlled accelerators in 365 days"),
    Feature("value_usd_365d", True, "usd", "{} of controlled accelerators in 365 days"),
    Feature("growth_30d", True, "ratio", "last 30 days at {} the trailing monthly average"),
    Feature("datacenter_share_365d", False, "share", "{} of accelerators datacenter-controlled"),
    Feature("orders_365d", True, "count", "{} orders in 365 days"),
    Feature("accelerators_per_order_365d", True, "count", "{} controlled accelerators per order"),
    Feature("counterparties_365d", True, "count", "{} distinct counterparties"),
    Feature("countries_365d", True, "count", "{} distinct countries"),
    Feature("outbound_legs_365d", True, "count", "{} outbound legs in 365 days"),
    Feature("reexport_share_365d", False, "share", "{} of controlled accelerators taken in sent on"),
    Feature("transshipment_point_share_365d", False, "share", "{} of controlled outbound legs to transshipment points"),
    Feature("unlicensed_licence_destination_share_365d", False, "share", "{} of controlled outbound legs to licence destinations without a licence"),
    Feature("third_country_payer_share_365d", False, "share", "{} of controlled orders paid from a third country"),
    Feature("cash_crypto_share_365d", False, "share", "{} of controlled orders paid in cash or crypto"),
    Feature("declined_installation_share_365d", False, "share", "{} of controlled orders declining installation"),
    Feature("expedited_share_365d", False, "share", "{} of controlled orders expedited"),
    Feature("bill_ship_split_share_365d", False, "share", "{} of controlled orders shipped to another country"),
    Feature("days_since_first_seen", True, "days", "first seen {} days ago"),
    Feature("registered", False, "flag", "registered: {}"),
    Feature("capacity_known", False, "flag", "declared capacity known: {}"),
    Feature("capacity_zero", False, "flag", "declared capacity zero: {}"),
    Feature("capacity_use_365d", True, "ratio", "{} of declared capacity taken in 365 days"),
    Feature("no_website", False, "flag", "no website: {}"),
    *(Feature(f"type_{group}", False, "flag", f"business type {group}: {{}}") for group in (*BUSINESS_GROUPS, "unknown")),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
LOG_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.log)
_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}
_UTC = dt.timezone.utc
#: Ratio features are capped here (a party taking 50x its capacity is as odd as 10x).
_RATIO_CAP = 100.0


#: One integer object per day number, shared by every contact, country and evidence entry
#: that keeps it: each record computes its own, and a party keeps dozens (at the first 300k
#: events of the 10M file, 155,672 objects for 15 distinct days).
_same_day = Interner(4096)


def day_of(moment: dt.datetime) -> int:
    """The UTC calendar day of ``moment`` as an ordinal (1 Jan 0001 is day 1)."""
    if moment.tzinfo is _UTC:  # what decoded events carry: no conversion needed
        return moment.toordinal()
    return moment.astimezone(_UTC).date().toordinal()


def _dc_accelerators(lines: Iterable[LineRecord]) -> tuple[int, int]:
    """(controlled data-centre accelerators, all accelerators) of some lines."""
    controlled = total = 0
    for line in lines:
        total += line.accelerators
        if line.controlled and line.datacenter:
            controlled += line.accelerators
    return controlled, total


def _licensed(licence: str | None) -> bool:
    return bool(licence) and licence.strip().upper() != "NLR"


_WINDOWS = (WINDOW_RECENT, WINDOW_MID, WINDOW_LONG)
#: Where a slot kept over the 30 and 90-day windows sits in ``_Party._acc`` (+2 for 90 days).
_ACC_SLOT = {_ORD_ACC: 0, _IN_ACC: 1}
_SALE = ((_SALES, 1),)
_PAYMENT = ((_PAID, 1),)
_DAY_THEN_ID = itemgetter(1, 0)  # a (party id, day) item's age order
_NO_DAY = 1 << 62  # the floor of an empty day map: above every horizon


class _Party:
    """One party's state: first/last day, registry facts, day buckets, contacts, evidence.

    Running totals of the buckets in the windows ending on ``last`` are kept beside them,
    so a row at the party's latest day costs O(features), not O(active days): every
    counter over 365 days, and over 90 and 30 days the accelerators ordered and received
    (all a row reads from the shorter windows). They are derived data: rebuilt from the
    buckets on load.
    """

    __slots__ = (
        "first",
        "last",
        "facts",
        "buckets",
        "contacts",
        "countries",
        "evidence",
        "floors",
        "contacts_by_day",
        "ties",
        "entity",
        "_traits",
        "_starts",
        "_year",
        "_acc",
    )

    def __init__(self, day: int) -> None:
        self.first = day
        self.last = day
        # [registered, business type or "", declared capacity or -1, has website]
        self.facts: list[Any] = [0, "", -1, 0]
        self.buckets = DayBuckets(_LAYOUT)  # oldest first
        self.contacts: dict[str, int] = {}
        self.countries: dict[str, int] = {}
        self.evidence: list[tuple[int, str]] = []  # (day, event_id), oldest first
        # Lower bounds of the days in ``contacts`` and ``countries`` (derived, not saved):
        # while above a window's horizon, everything in them is inside it (see _count_since).
        self.floors = [_NO_DAY, _NO_DAY]
        # Whether ``contacts`` iterates in day order (derived, not saved): then the least
        # recently seen are the first, and evicting one at the cap need not look at all.
        self.contacts_by_day = True
        # The contacts last seen on the oldest day in ``contacts``, as (that day, their ids
        # sorted), for evictions at the cap (derived, not saved): a dense party (a vendor)
        # meets a new contact at nearly every record, all on one day, and finding the least
        # id among them each time cost O(ties). May hold ids seen again since (skipped).
        self.ties: tuple[int, list[str]] | None = None
        # The registry entity ``facts`` were last taken from (derived, not saved): the same
        # entity object gives the same facts, so a touch need not rebuild them.
        self.entity: Any = None
        self._traits: tuple[list[Any], tuple[int, int, int, int]] | None = None  # see traits()
        self._starts = [0, 0, 0]  # first bucket inside the 30, 90 and 365-day windows
        self._year = [0] * _WIDTH  # every counter over 365 days (slot 0 unused)
        self._acc = [0, 0, 0, 0]  # accelerators ordered, received over 30 days; the same over 90

    def advance(self, day: int) -> None:
        """Move the party's clock to ``day`` (>= last): slide the windows, drop old buckets.

        Each bucket leaves each window once, so a day's move costs what leaves, not what stays."""
        if day <= self.last:
            return
        self.last = day
        buckets = self.buckets
        starts = self._starts
        end = len(buckets)
        acc = self._acc
        for w, horizon in ((0, day - WINDOW_RECENT), (1, day - WINDOW_MID)):
            start = starts[w]
            while start < end and buckets.day(start) <= horizon:
                acc[2 * w] -= buckets.get(start, _ORD_ACC)
                acc[2 * w + 1] -= buckets.get(start, _IN_ACC)
                start += 1
            starts[w] = start
        horizon = day - WINDOW_LONG
        drop = starts[2]
        if drop < end and buckets.day(drop) <= horizon:
            year = self._year
            while drop < end and buckets.day(drop) <= horizon:
                year[:] = map(sub, year, buckets.row(drop))
                drop += 1
            year[_DAY] = 0  # the day column is not a counter
            buckets.drop(drop)
            self._starts = [s - drop for s in (starts[0], starts[1], drop)]
        if self.evidence and self.evidence[0][0] <= horizon:
            self.evidence = [e for e in self.evidence if e[0] > horizon]

    def credit(self, day: int, increments: Sequence[tuple[int, int]]) -> None:
        """``add`` each (slot, non-zero amount) of one record: the bucket and the window
        totals are found once for all of them."""
        if not increments:
            return
        if day < self.last:  # a late record: rare, and ``add`` knows which windows cover it
            for slot, amount in increments:
                self.add(day, slot, amount)
            return
        buckets = self.buckets
        cells = buckets.layout.cells
        for slot, _ in increments:
            if cells[slot] is None:  # columns new to the party: take the record's in one move
                buckets.keep([slot for slot, _ in increments])
                break
        i = len(buckets) - 1
        if i < 0 or buckets.day(i) != day:
            i += 1
            buckets.insert(i, day)
        year, acc = self._year, self._acc
        for slot, amount in increments:
            amount = buckets.add(i, slot, amount)  # what fits
            year[slot] += amount
            near = _ACC_SLOT.get(slot)
            if near is not None:
                acc[near] += amount
                acc[near + 2] += amount

    def add(self, day: int, slot: int, amount: int) -> None:
        """Add ``amount`` to counter ``slot`` of ``day`` (normally the party's current day).

        A late record (a day before ``last``: out-of-order delivery across micro-batches)
        lands in its own day's bucket and in the windows that still cover that day; one
        older than the longest window is dropped.
        """
        if not amount:
            return
        buckets = self.buckets
        covered = (True, True, True)  # which of the 30, 90 and 365-day windows count it
        i = len(buckets) - 1
        if i >= 0 and buckets.day(i) == day:
            pass
        elif day >= self.last:
            i += 1
            buckets.insert(i, day)
        else:
            if day <= self.last - WINDOW_LONG:
                return
            i = len(buckets)
            while i > 0 and buckets.day(i - 1) > day:
                i -= 1
            if i > 0 and buckets.day(i - 1) == day:
                i -= 1
            else:
                buckets.insert(i, day)
                # Windows that do not cover ``day`` start one bucket later.
                self._starts = [s + 1 if day <= self.last - window else s for s, window in zip(self._starts, _WINDOWS)]
            covered = tuple(day > self.last - window for window in _WINDOWS)
        amount = buckets.add(i, slot, amount)  # what fits
        if covered[2]:
            self._year[slot] += amount
        near = _ACC_SLOT.get(slot)
        if near is not None:
            for w in (0, 1):
                if covered[w]:
                    self._acc[near + 2 * w] += amount

    def totals(self, today: int) -> tuple[list[int], list[int]]:
        """Counter totals over the 365 days ending on ``today``, and accelerators ordered
        and received over the 30 and 90 days ending then (the layout of ``_acc``)."""
        if today == self.last:
            return self._year, self._acc
        year = [0] * _WIDTH
        acc = [0, 0, 0, 0]
        buckets = self.buckets
        for i in range(len(buckets)):
            row = buckets.row(i)
            day = row[_DAY]
            if today - WINDOW_LONG < day <= today:
                for slot in range(1, _WIDTH):
                    year[slot] += row[slot]
            for w in (0, 1):
                if today - _WINDOWS[w] < day <= today:
                    acc[2 * w] += row[_ORD_ACC]
                    acc[2 * w + 1] += row[_IN_ACC]
        return year, acc

    def traits(self) -> tuple[int, int, int, int]:
        """(registered, business group index, declared capacity or -1, has website) as a
        row takes them from ``facts``; remembered until ``facts`` is replaced."""
        facts = self.facts
        cached = self._traits
        if cached is None or cached[0] is not facts:
            registered, business_type, capacity, website = facts
            group = _GROUP_OF.get(business_type, "other") if registered else "unknown"
            cached = self._traits = (facts, (1 if registered else 0, _GROUP_INDEX[group], capacity, 1 if website else 0))
        return cached[1]

    def _rebuild(self) -> None:
        """Derive the window totals and day floors from the saved fields."""
        self.floors = [min(self.contacts.values(), default=_NO_DAY), min(self.countries.values(), default=_NO_DAY)]
        days = list(self.contacts.values())
        self.contacts_by_day = all(a <= b for a, b in zip(days, days[1:])) and (not days or days[-1] <= self.last)
        buckets = self.buckets
        count = len(buckets)
        for w, window in enumerate(_WINDOWS):
            horizon = self.last - window
            start = 0
            while start < count and buckets.day(start) <= horizon:
                start += 1
            self._starts[w] = start
        self._year, self._acc = [0] * _WIDTH, [0, 0, 0, 0]
        for slot in range(1, _WIDTH):
            self._year[slot] = buckets.column_sum(slot, self._starts[2])
        for w in (0, 1):
            self._acc[2 * w] = buckets.column_sum(_ORD_ACC, self._starts[w])
            self._acc[2 * w + 1] = buckets.column_sum(_IN_ACC, self._starts[w])

    def to_state(self, index: Mapping[str, int], latest: int) -> dict[str, Any]:
        """Compact JSON form; see :func:`_encode_party`."""
        return _encode_party(self, index, latest)

    @classmethod
    def from_state(cls, state: Mapping[str, Any], pids: list[str], latest: int) -> _Party:
        return _decode_party(state, pids, latest)


# -- compact state encoding ---------------------------------------------------------------
#
# One party, all keys but "k" omitted when empty (days relative to ``l``, the party's last
# day, itself relative to the features' latest day):
#
#   "l": latest - last          "f": last - first          "k": facts
#   "t": bucket days, newest first: [last - day of the newest, then gaps to each older one]
#   "v": one column per counter slot 1..21 (trailing empty columns dropped), each either
#        a list where a negative number -n stands for n zeros (trailing zeros dropped), or,
#        when the column holds a genuinely negative value, {"p": [plain values]}. The
#        all-accelerator slots are stored as their excess over the controlled slot.
#   "c": contacts sorted by (day, id): [[index into sorted party ids, or the id itself
#        when it is not a tracked party], [last - day]]
#   "n": countries sorted by code: [[codes], [last - day]]
#   "e": evidence, oldest first: [[last - day], [event ids]]
_DIFF_SLOTS = {_ORD_ALL: _ORD_ACC, _IN_ALL: _IN_ACC}


def _encode_column(values: list[int]) -> list[int] | dict[str, list[int]]:
    if any(v < 0 for v in values):
        return {"p": list(values)}
    out: list[int] = []
    run = 0
    for v in values:
        if v == 0:
            run += 1
            continue
        if run:
            out.append(-run)
            run = 0
        out.append(v)
    return out


def _decode_column(column: Any, n: int) -> list[int]:
    if isinstance(column, Mapping):
        values = [int(v) for v in column["p"]]
    else:
        values = []
        for v in column:
            v = int(v)
            if v < 0:
                values.extend([0] * -v)
            else:
                values.append(v)
    if len(values) > n:
        raise ValueError("anomaly features: a counter column is longer than its buckets")
    return values + [0] * (n - len(values))


def _encode_party(party: _Party, index: Mapping[str, int], latest: int) -> dict[str, Any]:
    last = party.last
    out: dict[str, Any] = {"l": latest - last, "f": last - party.first, "k": list(party.facts)}
    buckets = party.buckets
    if len(buckets):
        days = buckets.column(_DAY)
        out["t"] = [last - days[-1]] + [days[i] - days[i - 1] for i in range(len(days) - 1, 0, -1)]
        columns: list[Any] = []
        for slot in range(1, _WIDTH):
            base = _DIFF_SLOTS.get(slot)
            if base is None:
                values = buckets.column(slot)
            else:
                values = list(map(sub, buckets.column(slot), buckets.column(base)))
            columns.append(_encode_column(values))
        while columns and not columns[-1]:
            columns.pop()
        out["v"] = columns
    if party.contacts:
        contacts = sorted(party.contacts.items(), key=lambda kv: (kv[1], kv[0]))
        out["c"] = [[index.get(k, k) for k, _ in contacts], [last - d for _, d in contacts]]
    if party.countries:
        countries = sorted(party.countries.items())
        out["n"] = [[k for k, _ in countries], [last - d for _, d in countries]]
    if party.evidence:
        out["e"] = [[last - d for d, _ in party.evidence], [e for _, e in party.evidence]]
    return out


def _decode_party(state: Mapping[str, Any], pids: list[str], latest: int) -> _Party:
    last = latest - int(state["l"])
    party = _Party(last - int(state["f"]))
    party.last = last
    party.facts = list(state["k"])
    gaps = [int(x) for x in state.get("t", ())]
    days: list[int] = []
    if gaps:
        day = last - gaps[0]
        days.append(day)
        for gap in gaps[1:]:
            day -= gap
            days.append(day)
        days.reverse()
    n = len(days)
    columns = list(state.get("v", ()))
    if len(columns) > _WIDTH - 1:
        raise ValueError("anomaly features: too many counter columns")
    values = [days] + [_decode_column(column, n) for column in columns]
    values += [[0] * n] * (_WIDTH - len(values))
    for slot, base in _DIFF_SLOTS.items():
        values[slot] = list(map(sum, zip(values[slot], values[base])))
    party.buckets = DayBuckets.from_columns(_LAYOUT, values)
    ids, offsets = state.get("c", ((), ()))
    party.contacts = {(pids[k] if isinstance(k, int) else str(k)): last - int(o) for k, o in zip(ids, offsets, strict=True)}
    codes, offsets = state.get("n", ((), ()))
    party.countries = {str(k): last - int(o) for k, o in zip(codes, offsets, strict=True)}
    offsets, events = state.get("e", ((), ()))
    party.evidence = [(_same_day(last - int(o)), str(e)) for o, e in zip(offsets, events, strict=True)]
    party._rebuild()
    return party


class PartyFeatures:
    """Incremental per-party behaviour: ``update`` each record in order, ``vector`` on demand."""

    def __init__(
        self,
        countries: CountryGroups | None = None,
        *,
        max_counterparties: int = 64,
        evidence_keep: int = 10,
    ) -> None:
        self.countries = countries or CountryGroups.load()
        self.max_counterparties = max_counterparties
        self.evidence_keep = evidence_keep
        #: Called with the id of each party that starts afresh or is forgotten: what a
        #: caller keeps per party (the detector's raised scores) must go with it.
        self.on_forget: Callable[[str], None] | None = None
        self._parties: dict[str, _Party] = {}
        self._legs: dict[str, int] = {}  # shipment_id -> day first counted
        self._legs_by_day: dict[int, list[str]] = {}  # the same, by day (derived): what to prune
        self._latest_day = 0
        self._tp = frozenset(self.countries.transshipment_points)
        self._licence_cache: dict[str, bool] = {}

    # -- updates -------------------------------------------------------------------------

    def update(self, record: TradeRecord) -> tuple[str, ...]:
        """Attribute ``record`` to the parties it names; returns their ids (document order, once each)."""
        day = _same_day(day_of(record.event.event_time))
        if day > self._latest_day:
            if day // 7 != self._latest_day // 7:
                self._prune_legs(day)
                self.prune(day)
            self._latest_day = day
        elif day < self._latest_day - LATE_DAYS:
            return ()
        if isinstance(record, OrderRecord):
            return self._order(record, day)
        if isinstance(record, ShipmentRecord):
            return self._shipment(record, day)
        return ()

    def _order(self, order: OrderRecord, day: int) -> tuple[str, ...]:
        event = order.event
        controlled = total = 0
        values: list[float] = []  # what ``OrderRecord.controlled_value_usd`` sums, in its order
        for line in order.lines:
            total += line.accelerators
            if line.controlled and line.datacenter:
                controlled += line.accelerators
                values.append(line.quantity * (line.unit_value_usd or 0.0))
        side: dict[str, PartyRef] = {}
        for ref in (order.buyer, order.ship_to, order.end_user):
            if ref is not None and ref.entity_id not in side:
                side[ref.entity_id] = ref
        seller, payer = order.seller, order.payer
        # What the order adds to each buyer-side party's day (the same for each of them).
        increments = [(_ORDERS, 1)]
        if total:
            increments.append((_ORD_ALL, total))
        if controlled > 0:
            increments += ((_CTRL_ORDERS, 1), (_ORD_ACC, controlled))
            value = int(round(sum(values)))
            if value:
                increments.append((_ORD_VAL, value))
            deal_countries = {ref.country for ref in side.values()}
            if (
                payer is not None
                and payer.entity_id not in side
                and payer.country not in deal_countries
                and not _same_group(payer, side.values())
            ):
                increments.append((_PAYER3, 1))
            if event.payment_method in ("cash", "crypto"):
                increments.append((_CASH, 1))
            if event.installation_requested is False:
                increments.append((_DECLINED, 1))
            if event.expedited:
                increments.append((_RUSH, 1))
            if order.buyer.country != order.ship_to.country:
                increments.append((_SPLIT, 1))
        contact, country = self._contact, self._country
        touched: list[str] = []
        for pid, ref in side.items():
            party = self._touch(ref, day)
            party.credit(day, increments)
            # Contacts in this order: which one is evicted at the cap depends on it.
            contact(party, seller.entity_id, day)
            if payer is not None and payer.entity_id != pid:
                contact(party, payer.entity_id, day)
                country(party, payer.country, day)
            for other in side:
                if other != pid:
                    contact(party, other, day)
            country(party, seller.country, day)
            country(party, order.ship_to.country, day)
            if controlled > 0:
                self._evidence(party, day, event.event_id)
            touched.append(pid)
        if seller.entity_id not in side:
            party = self._touch(seller, day)
            party.credit(day, _SALE)
            contact(party, order.buyer.entity_id, day)
            country(party, order.ship_to.country, day)
            touched.append(seller.entity_id)
        if payer is not None and payer.entity_id not in side and payer.entity_id != seller.entity_id:
            party = self._touch(payer, day)
            party.credit(day, _PAYMENT)
            contact(party, order.buyer.entity_id, day)
            country(party, order.buyer.country, day)
            if controlled > 0:
                self._evidence(party, day, event.event_id)
            touched.append(payer.entity_id)
        return tuple(touched)

    def _shipment(self, leg: ShipmentRecord, day: int) -> tuple[str, ...]:
        event = leg.event
        seen = self._legs.get(event.shipment_id)
        if seen is not None and day - seen <= LEG_DEDUP_DAYS:
            return ()  # the same leg, reported by a second feed
        self._legs[event.shipment_id] = day
        self._legs_by_day.setdefault(day, []).append(event.shipment_id)
        controlled, total = _dc_accelerators(leg.items)
        value = int(round(event.declared_value_usd)) if controlled > 0 else 0
        destination = event.destination_country
        touched: list[str] = []
        shipper = leg.shipper
        receivers: dict[str, PartyRef] = {}
        for ref in (leg.consignee, leg.intermediate_consignee):
            if ref is not None and ref.entity_id != shipper.entity_id and ref.entity_id not in receivers:
                receivers[ref.entity_id] = ref
        incoming = [(_IN_LEGS, 1)]
        if controlled:
            incoming.append((_IN_ACC, controlled))
        if value:
            incoming.append((_IN_VAL, value))
        if total:
            incoming.append((_IN_ALL, total))
        for pid, ref in receivers.items():
            party = self._touch(ref, day)
            party.credit(day, incoming)
            self._contact(party, shipper.entity_id, day)
            self._country(party, event.origin_country, day)
            if controlled > 0:
                self._evidence(party, day, event.event_id)
            touched.append(pid)
        outgoing = [(_OUT_LEGS, 1)]
        if controlled > 0:
            outgoing += ((_OUT_CTRL, 1), (_OUT_ACC, controlled))
            if destination in self._tp:
                outgoing.append((_OUT_TP, 1))
            if self._needs_licence(destination) and not _licensed(event.license):
                outgoing.append((_OUT_LIC, 1))
        party = self._touch(shipper, day)
        party.credit(day, outgoing)
        for pid in receivers:
            self._contact(party, pid, day)
        self._country(party, destination, day)
        if controlled > 0 and receivers:
            self._evidence(party, day, event.event_id)
        touched.append(shipper.entity_id)
        return tuple(touched)

    def _needs_licence(self, country: str) -> bool:
        cached = self._licence_cache.get(country)
        if cached is None:
            cached = self._licence_cache[country] = self.countries.requires_licence(country)
        return cached

    def _touch(self, ref: PartyRef, day: int) -> _Party:
        party = self._parties.get(ref.entity_id)
        if party is None:
            party = self._parties[ref.entity_id] = _Party(day)
        elif day > party.last:
            if day - party.last > RESTART_AFTER_DAYS:
                party = self._parties[ref.entity_id] = _Party(day)
                if self.on_forget is not None:
                    self.on_forget(ref.entity_id)
            else:
                party.advance(day)
        if day < party.first:
            party.first = day
        entity = ref.entity
        if entity is not None:
            if entity is not party.entity:  # entities are frozen: the same one, the same facts
                capacity = entity.declared_capacity_accelerators
                party.facts = [1, entity.business_type, -1 if capacity is None else int(capacity), 1 if entity.website else 0]
                party.entity = entity
        elif not party.facts[0]:
            party.facts = [0, "", -1, 0]
        return party

    def _contact(self, party: _Party, other: str, day: int) -> None:
        contacts = party.contacts
        seen = contacts.get(other)
        if seen is not None and day <= seen:
            return
        # No contact's day is after the party's ``last``: one seen on that day goes last in
        # day order. A late record's day may belong anywhere: the order is lost.
        if day < party.last:
            party.contacts_by_day = False
            party.ties = None
        elif seen is not None:
            del contacts[other]  # re-inserted last
        contacts[other] = day
        if seen is not None:
            return
        ties = party.ties
        if ties is not None and day <= ties[0]:
            if day == ties[0]:
                insort(ties[1], other)  # a new tie of the oldest day (all seen today, often)
            else:
                party.ties = None  # a new oldest day
        if day < party.floors[0]:
            party.floors[0] = day
        if len(contacts) > self.max_counterparties:
            self._evict_contacts(party, day)

    def _evict_contacts(self, party: _Party, day: int) -> None:
        """Over the cap: drop every contact older than the longest window, then, if still
        over, the least recently seen (ties: smallest id), deterministic."""
        if not party.contacts_by_day:
            party.contacts = dict(sorted(party.contacts.items(), key=_DAY_THEN_ID))
            party.contacts_by_day = True
        contacts = party.contacts
        horizon = day - WINDOW_LONG
        oldest, oldest_day = next(iter(contacts.items()))
        while oldest_day <= horizon:  # never the contact just seen, on ``day``
            del contacts[oldest]
            oldest, oldest_day = next(iter(contacts.items()))
        if len(contacts) > self.max_counterparties:
            ties = party.ties
            if ties is None or ties[0] != oldest_day:
                tied = []
                for key, seen in contacts.items():
                    if seen != oldest_day:
                        break
                    tied.append(key)
                tied.sort()
                ties = party.ties = (oldest_day, tied)
            tied = ties[1]
            key = tied.pop(0)
            while contacts.get(key) != oldest_day:  # seen again since: no longer a tie
                key = tied.pop(0)
            del contacts[key]
        party.floors[0] = next(iter(contacts.values()))  # the oldest left: a lower bound

    @staticmethod
    def _country(party: _Party, country: str, day: int) -> None:
        seen = party.countries.get(country)
        if seen is None or day > seen:
            party.countries[country] = day
            if seen is None and day < party.floors[1]:
                party.floors[1] = day

    def _evidence(self, party: _Party, day: int, event_id: str) -> None:
        evidence = party.evidence
        if evidence and evidence[-1][1] == event_id:
            return
        evidence.append((day, event_id))
        if len(evidence) > self.evidence_keep:
            # A new list, not a trim in place: a snapshot holds on to the old one.
            party.evidence = evidence[len(evidence) - self.evidence_keep :]

    def _prune_legs(self, day: int) -> None:
        # Twice the dedup window: a record arriving up to LEG_DEDUP_DAYS late still finds
        # every leg it could duplicate, so when pruning runs never changes a decision.
        horizon = day - 2 * LEG_DEDUP_DAYS
        for old in [d for d in self._legs_by_day if d < horizon]:
            for key in self._legs_by_day.pop(old):
                if self._legs.get(key) == old:  # not counted again since
                    del self._legs[key]

    def prune(self, as_of: dt.datetime | int) -> int:
        """Forget the parties idle at ``as_of`` for longer than ``RESTART_AFTER_DAYS`` plus
        ``LATE_DAYS``; returns how many. ``update`` calls it weekly, by event time.

        Invisible to every row: a record of such a party that is not ignored as late
        (``update``) comes after ``as_of - LATE_DAYS``, more than ``RESTART_AFTER_DAYS``
        after the party's last day, so the party would start afresh with it anyway.
        """
        today = as_of if isinstance(as_of, int) else day_of(as_of)
        idle = RESTART_AFTER_DAYS + LATE_DAYS
        gone = [pid for pid, p in self._parties.items() if today - p.last > idle]
        for pid in gone:
            del self._parties[pid]
            if self.on_forget is not None:
                self.on_forget(pid)
        return len(gone)

    # -- reading -------------------------------------------------------------------------

    def __contains__(self, party: object) -> bool:
        return party in self._parties

    def __len__(self) -> int:
        return len(self._parties)

    def parties(self) -> list[str]:
        return sorted(self._parties)

    def first_day(self, party: str) -> int:
        """Day ordinal the party was first seen (``KeyError`` for an unknown party)."""
        return self._parties[party].first

    def evidence(self, party: str, as_of: dt.datetime | int | None = None) -> tuple[str, ...]:
        """The party's most recent contributing event ids (bounded), oldest first."""
        state = self._parties.get(party)
        if state is None:
            return ()
        if as_of is None:
            return tuple(e for _, e in state.evidence)
        return self.evidence_ids(self.evidence_snapshot(party, as_of))

    def evidence_snapshot(self, party: str, as_of: dt.datetime | int) -> EvidenceSnapshot:
        """``evidence(party, as_of)`` put off, turned into ids by :meth:`evidence_ids` only
        for the rows that raise a finding: the entries list and how many it holds now.

        Nothing is copied. A party's evidence list only ever grows at its end (trimming
        and expiry build a new list) and its entries are never changed, so its first
        ``count`` entries stay what they are now."""
        state = self._parties.get(party)
        horizon = (as_of if isinstance(as_of, int) else day_of(as_of)) - WINDOW_LONG
        entries = state.evidence if state is not None else []
        return horizon, entries, len(entries)

    @staticmethod
    def evidence_ids(snapshot: EvidenceSnapshot) -> tuple[str, ...]:
        horizon, entries, count = snapshot
        return tuple(e for d, e in entries[:count] if d > horizon)

    def activity(self, party: str, as_of: dt.datetime | int) -> tuple[int, int]:
        """What the party *took* in the last 365 days: (controlled data-centre accelerators
        ordered or received, the larger; orders and legs naming it as buyer, ship-to, end
        user or consignee). Selling, shipping out and paying for others do not count: the
        features describe an acquirer, so a vendor or a payer alone is not judged."""
        state = self._parties.get(party)
        if state is None:
            return 0, 0
        today = as_of if isinstance(as_of, int) else day_of(as_of)
        year = state.totals(today)[0]
        return max(year[_ORD_ACC], year[_IN_ACC]), year[_ORDERS] + year[_IN_LEGS]

    def judged(
        self, parties: Iterable[str], today: int, min_accelerators: int, min_events: int
    ) -> list[tuple[str, RowInputs, EvidenceSnapshot]]:
        """The parties with enough activity to judge at ``today`` (``activity`` reaching
        ``min_accelerators`` accelerators or ``min_events`` events), each with its
        ``row_inputs`` and ``evidence_snapshot`` then: what the detector scores after a
        record, in one pass over each party's totals."""
        out = []
        horizon = today - WINDOW_LONG
        for pid in parties:
            state = self._parties.get(pid)
            if state is None:
                continue
            year, acc = state.totals(today)
            if max(year[_ORD_ACC], year[_IN_ACC]) < min_accelerators and year[_ORDERS] + year[_IN_LEGS] < min_events:
                continue
            evidence = state.evidence
            out.append((pid, _row_inputs(state, today, year, acc), (horizon, evidence, len(evidence))))
        return out

    def vector(self, party: str, as_of: dt.datetime | int) -> np.ndarray | None:
        """The party's row of :data:`FEATURE_NAMES` at ``as_of`` (None for an unknown party)."""
        state = self._parties.get(party)
        if state is None:
            return None
        today = as_of if isinstance(as_of, int) else day_of(as_of)
        return _vector(state, today)

    def row_inputs(self, party: str, as_of: dt.datetime | int) -> RowInputs | None:
        """What the party's row at ``as_of`` is computed from, for :meth:`rows` (None: unknown party).

        Cheap and copied: collect them record by record, turn them into rows in one batch."""
        state = self._parties.get(party)
        if state is None:
            return None
        today = as_of if isinstance(as_of, int) else day_of(as_of)
        return _row_inputs(state, today, *state.totals(today))

    @staticmethod
    def rows(inputs: Sequence[RowInputs] | np.ndarray) -> np.ndarray:
        """Rows of :data:`FEATURE_NAMES` for ``row_inputs`` results, one per input, in order
        (or for a matrix of them, one per matrix row)."""
        return _rows(inputs)

    def raw(self, party: str, as_of: dt.datetime | int) -> dict[str, float] | None:
        row = self.vector(party, as_of)
        return None if row is None else dict(zip(FEATURE_NAMES, (float(v) for v in row)))

    # -- state ---------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """Compact, deterministic JSON (the same state gives the same JSON); see :func:`_encode_party`.

        ``parties`` is keyed by party id in sorted order (contacts refer to a tracked party
        by its position in that order); ``legs`` is ``[[day, [shipment ids, sorted]], ...]``
        by day.
        """
        pids = sorted(self._parties)
        index = {pid: i for i, pid in enumerate(pids)}
        latest = self._latest_day
        by_day: dict[int, list[str]] = {}
        for key, day in self._legs.items():
            by_day.setdefault(day, []).append(key)
        return {
            "format": _STATE_FORMAT,
            "latest_day": latest,
            "parties": {pid: self._parties[pid].to_state(index, latest) for pid in pids},
            "legs": [[day, sorted(keys)] for day, keys in sorted(by_day.items())],
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        if not state:
            self._parties, self._legs, self._legs_by_day, self._latest_day = {}, {}, {}, 0
            return
        if state.get("format") != _STATE_FORMAT:
            raise ValueError(
                f"anomaly features: unknown state format {state.get('format')!r} (expected {_STATE_FORMAT}); "
                "state from an older release cannot be loaded: replay to rebuild it"
            )
        latest = int(state["latest_day"])
        pids = sorted(str(pid) for pid in state["parties"])
        parties = {str(pid): _Party.from_state(p, pids, latest) for pid, p in state["parties"].items()}
        legs = {str(key): int(day) for day, keys in state["legs"] for key in keys}
        by_day: dict[int, list[str]] = {}
        for key, day in legs.items():
            by_day.setdefault(day, []).append(key)
        self._latest_day, self._parties, self._legs, self._legs_by_day = latest, parties, legs, by_day

    def state_bytes(self) -> dict[str, float]:
        """JSON bytes of the state per party: mean, max and the shared leg index."""
        state = self.to_state()
        sizes = [len(json.dumps(p, separators=(",", ":"))) for p in state["parties"].values()]
        return {
            "parties": len(sizes),
            "mean_bytes_per_party": (sum(sizes) / len(sizes)) if sizes else 0.0,
            "max_bytes_per_party": max(sizes, default=0),
            "leg_index_bytes": len(json.dumps(state["legs"], separators=(",", ":"))),
        }


def _same_group(payer: PartyRef, others: Iterable[PartyRef]) -> bool:
    """Payer and a deal party share an ultimate parent (a group treasury paying is normal)."""
    entity = payer.entity
    if entity is None:
        return False
    payer_top = entity.ultimate_parent_id or payer.entity_id
    for other in others:
        top = (other.entity.ultimate_parent_id if other.entity is not None else None) or other.entity_id
        if top == payer_top or top == payer.entity_id or other.entity_id == payer_top:
            return True
    return False


def _count_since(days: Mapping[str, int], floor: int, horizon: int, today: int, last: int) -> int:
    """How many of ``days`` fall in (horizon, today].

    No day is after the party's ``last``, and none before ``floor``: at the party's latest
    day with the floor inside the window (the usual case) that is all of them, without
    looking. Otherwise (a late record's row, or an old entry still kept) count them.
    """
    if today >= last and floor > horizon:
        return len(days)
    return sum(1 for d in days.values() if horizon < d <= today)


#: What a row is computed from (see ``_row_inputs``): the year totals of ``_ROW_SLOTS``,
#: then the ``_SCALARS``; copied out of the party's state, all integers.
RowInputs = tuple
#: (365-day horizon, a party's evidence list, its length then): ``PartyFeatures.evidence_snapshot``.
EvidenceSnapshot = tuple[int, list[list[Any]], int]
#: The counter slots a row reads from the year totals.
_ROW_SLOTS = (
    _ORDERS, _CTRL_ORDERS, _ORD_ACC, _ORD_VAL, _ORD_ALL, _PAYER3, _CASH, _DECLINED, _RUSH, _SPLIT,
    _IN_ACC, _IN_VAL, _IN_ALL, _OUT_LEGS, _OUT_CTRL, _OUT_ACC, _OUT_TP, _OUT_LIC,
)  # fmt: skip
_year_inputs = itemgetter(*_ROW_SLOTS)
_SCALARS = ("acc_mid", "acc_recent", "age", "registered", "group", "capacity", "website", "contacts", "countries")
#: Column of each row input in the matrix ``_rows`` builds: counter slots, then scalars by name.
_COLUMN = {**{slot: i for i, slot in enumerate(_ROW_SLOTS)}, **{name: len(_ROW_SLOTS) + i for i, name in enumerate(_SCALARS)}}


def _row_inputs(state: _Party, today: int, year: list[int], acc: list[int]) -> RowInputs:
    """The figures a feature row is computed from, as of ``today`` (``year``, ``acc``:
    ``state.totals(today)``), copied: the party's totals move on with its next record,
    the row must not."""
    horizon = today - WINDOW_LONG
    return _year_inputs(year) + (
        max(acc[2], acc[3]),
        max(acc[0], acc[1]),
        today - state.first,
        *state.traits(),
        _count_since(state.contacts, state.floors[0], horizon, today, state.last),
        _count_since(state.countries, state.floors[1], horizon, today, state.last),
    )


_GROUPS = (*BUSINESS_GROUPS, "unknown")
_GROUP_INDEX = {group: i for i, group in enumerate(_GROUPS)}


def _share_of(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole where whole > 0, else 0 (elementwise, the same doubles as ``_share``)."""
    return np.divide(part, whole, out=np.zeros(len(part)), where=whole > 0)


def _rows(inputs: Sequence[RowInputs] | np.ndarray) -> np.ndarray:
    """Feature rows (one per input, columns in :data:`FEATURE_NAMES` order), computed a
    column at a time: the only definition of the features. Row ``i`` depends on
    ``inputs[i]`` alone, so a batch gives the rows one call each would.

    The inputs are integers well inside a double's exact range, so every figure is
    taken as a double once and all the arithmetic below is on doubles."""
    n = len(inputs)
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)))
    matrix = np.asarray(inputs, dtype=np.float64)

    def column(key: int | str) -> np.ndarray:
        return matrix[:, _COLUMN[key]]

    acc_mid, acc_recent, age = column("acc_mid"), column("acc_recent"), column("age")
    registered, group, capacity, website = column("registered"), column("group"), column("capacity"), column("website")
    acc_year = np.maximum(column(_ORD_ACC), column(_IN_ACC))
    value_year = np.maximum(column(_ORD_VAL), column(_IN_VAL))
    all_year = np.maximum(column(_ORD_ALL), column(_IN_ALL))
    # Growth: last 30 days against the party's own trailing monthly average (needs a month of history).
    span = np.minimum(WINDOW_LONG - WINDOW_RECENT, age - WINDOW_RECENT + 1)
    grown = span >= WINDOW_RECENT
    baseline = (acc_year - acc_recent) * WINDOW_RECENT / np.where(grown, span, 1)
    growth = np.where(grown, (acc_recent + 1.0) / (baseline + 1.0), 1.0)
    ctrl_orders, out_ctrl = column(_CTRL_ORDERS), column(_OUT_CTRL)
    has_capacity = capacity > 0
    per_capacity = np.divide(acc_year, capacity, out=np.zeros(n), where=has_capacity)
    columns = [
        acc_mid,
        acc_year,
        value_year,
        np.minimum(growth, _RATIO_CAP),
        _share_of(acc_year, all_year),
        column(_ORDERS),
        _share_of(column(_ORD_ACC), ctrl_orders),
        column("contacts"),
        column("countries"),
        column(_OUT_LEGS),
        np.minimum(_share_of(column(_OUT_ACC), acc_year), 1.0),
        _share_of(column(_OUT_TP), out_ctrl),
        _share_of(column(_OUT_LIC), out_ctrl),
        _share_of(column(_PAYER3), ctrl_orders),
        _share_of(column(_CASH), ctrl_orders),
        _share_of(column(_DECLINED), ctrl_orders),
        _share_of(column(_RUSH), ctrl_orders),
        _share_of(column(_SPLIT), ctrl_orders),
        np.maximum(age, 0),
        registered,
        (capacity >= 0).astype(np.float64),
        (capacity == 0).astype(np.float64),
        np.where(has_capacity, np.minimum(per_capacity, _RATIO_CAP), 0.0),
        ((registered != 0) & (website == 0)).astype(np.float64),
        *((group == g).astype(np.float64) for g in range(len(_GROUPS))),
    ]
    return np.column_stack(columns)


def _vector(state: _Party, today: int) -> np.ndarray:
    return _rows([_row_inputs(state, today, *state.totals(today))])[0]
