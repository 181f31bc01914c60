"""What the transshipment detector remembers, and the indexes over it.

Only facts are stored: parties, physical legs (several feeds' reports of one consignment
merged), orders, the pass-through hops found between legs, and purchases converging on a
delivery point. Indexes (by serial, by party, by order) are derived and rebuilt on
``load_state``, so a snapshot holds each fact once.

Memory bound: everything older than ``memory_days`` (default: twice the longest window)
behind the latest event time is pruned, and every lookup ignores facts older than that
behind the record being processed. So pruning never changes a decision, whatever the batch
boundaries, and state holds at most ``memory_days`` of legs and orders.

Facts (parties, legs, orders, purchases) are frozen msgspec Structs: a replay builds tens
of thousands, and a Struct is built several times faster than a frozen dataclass. They
hold only strings, numbers and tuples of them (a leg's serials are runs of numbers,
``serials.Serials``), so they cannot be part of a reference cycle and are left out of the
garbage collector's traversals (``gc=False``).
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import operator
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from detectors.transshipment.serials import SerialIndex, Serials
from detectors.transshipment.snapshot import Strings, Table, leg_key
from detectors.transshipment.timeline import US_PER_DAY

__all__ = ["PartyInfo", "Leg", "OrderInfo", "Hop", "Purchase", "State", "STATE_FORMAT"]

#: Bumped when the snapshot layout changes; ``load_state`` refuses other formats.
STATE_FORMAT = 2  # 2: columns, a string table, time deltas, serial runs (``snapshot``)


def _tuple(value: Iterable[Any]) -> tuple:
    return tuple(tuple(v) if isinstance(v, list) else v for v in value)


class PartyInfo(msgspec.Struct, frozen=True, gc=False):
    """A party as the alert shows it (registry name when known) plus what roles it can play."""

    id: str
    name: str
    country: str
    registered: bool
    business_type: str | None
    group: str  # ultimate parent (or parent, or itself): who counts as "related"
    t: int  # business time of the document this view comes from

    def rank(self) -> tuple:
        """Which of two views of a party wins: the later document, then the richer record."""
        return (self.t, self.registered, self.business_type or "", self.name, self.country, self.group)

    def to_json(self) -> list:
        return [self.id, self.name, self.country, self.registered, self.business_type, self.group, self.t]

    @classmethod
    def from_json(cls, raw: list) -> PartyInfo:
        return cls(*raw)


class Leg(msgspec.Struct, frozen=True, gc=False):
    """One physical consignment across one border, merged over every feed that reported it.

    ``key`` is (shipment id, origin, destination): a vendor's ERP and the destination's
    customs feed report the same air waybill, and must count as one leg, not as a unit
    exported twice. Merged values are unions, minima and maxima, so the merge does not
    depend on which report came first.
    """

    key: str
    ids: tuple[str, ...]
    t: int
    shipment_id: str
    order_id: str | None
    shippers: tuple[str, ...]
    consignees: tuple[str, ...]
    shipper_country: str
    consignee_country: str
    consignee_type: str
    origin: str
    dest: str
    transit: tuple[str, ...]
    licence: str | None
    value: float
    accelerators: int  # controlled accelerators
    families: tuple[tuple[str, int], ...]  # (family, controlled accelerators), sorted
    units: int
    serials: Serials  # as runs: lots are numbered consecutively (``serials``)
    h200_class: bool
    scopes: tuple[str, ...]  # licence scopes of the controlled items ("advanced_computing", ...)
    misdescribed: tuple[tuple[str, str, int, float, str], ...]  # (product, hts, quantity, unit value, reason)
    shipper_addr: str | None
    consignee_addr: str | None
    others: tuple[str, ...]  # intermediate consignee, freight forwarder

    @property
    def is_export(self) -> bool:
        return self.origin != self.dest

    @property
    def family_map(self) -> dict[str, int]:
        return dict(self.families)

    def to_json(self) -> list[Any]:
        """Positional (field order), to keep snapshots small: legs are most of the state."""
        out: list[Any] = []
        for name in _LEG_FIELDS:
            value = getattr(self, name)
            if name in ("families", "misdescribed"):
                value = [list(entry) for entry in value]
            elif isinstance(value, (tuple, Serials)):
                value = list(value)
            out.append(value)
        return out

    @classmethod
    def from_json(cls, raw: list[Any]) -> Leg:
        values = [_tuple(v) if isinstance(v, list) else v for v in raw]
        values[_SERIALS_AT] = Serials.of(values[_SERIALS_AT])
        return cls(*values)


_LEG_FIELDS = Leg.__struct_fields__
_SERIALS_AT = _LEG_FIELDS.index("serials")


class OrderInfo(msgspec.Struct, frozen=True, gc=False):
    """An order as the consolidation and misdescription patterns need it."""

    id: str  # event id
    t: int
    order_id: str
    buyer: str
    ship_to: str
    accelerators: int
    domestic: bool  # delivered in the buyer's own country ("for domestic use")

    def to_json(self) -> list:
        return [self.id, self.t, self.order_id, self.buyer, self.ship_to, self.accelerators, self.domestic]

    @classmethod
    def from_json(cls, raw: list) -> OrderInfo:
        return cls(*raw)


@dataclass(frozen=True, slots=True)
class Hop:
    """Goods entering a party on ``inbound`` and leaving it on ``outbound``.

    ``severity`` is ``None`` for ordinary trade (a distributor's regional re-export, a
    forwarder routing one order): such hops are remembered, so they are not re-assessed,
    but they neither alert nor link chains.
    """

    inbound: str
    outbound: str
    party: str
    kind: str  # "serial" | "match"
    shared: int  # serials in common, or matched accelerators
    dwell_days: float
    severity: str | None
    flags: tuple[str, ...]
    facts: dict[str, Any]
    t: int  # completion: when the later of the two legs happened

    @property
    def linked(self) -> bool:
        return self.severity is not None

    def to_json(self) -> list:
        return [self.inbound, self.outbound, self.party, self.kind, self.shared, self.dwell_days, self.severity,
                list(self.flags), dict(self.facts), self.t]

    @classmethod
    def from_json(cls, raw: list) -> Hop:
        values = list(raw)
        values[7] = tuple(values[7])
        return cls(*values)


class Purchase(msgspec.Struct, frozen=True, gc=False):
    """A purchase delivered to a convergence point (a ship-to party or a normalised address)."""

    t: int
    id: str  # event id
    buyer: str
    group: str
    accelerators: int

    def to_json(self) -> list:
        return [self.t, self.id, self.buyer, self.group, self.accelerators]

    @classmethod
    def from_json(cls, raw: list) -> Purchase:
        return cls(*raw)


@dataclass
class State:
    watermark: int | None = None
    last_prune: int | None = None
    parties: dict[str, PartyInfo] = field(default_factory=dict)
    legs: dict[str, Leg] = field(default_factory=dict)
    orders: dict[str, OrderInfo] = field(default_factory=dict)
    hops: dict[str, dict[str, Hop]] = field(default_factory=dict)  # inbound leg -> outbound leg -> hop
    purchases: dict[str, list[Purchase]] = field(default_factory=dict)  # convergence key -> purchases, by time
    addresses: dict[str, dict[str, int]] = field(default_factory=dict)  # party -> normalised address -> last seen
    # -- derived indexes ---------------------------------------------------------------
    report_leg: dict[str, str] = field(default_factory=dict)  # event id -> leg key
    # Leg lists hold sorted (t, key) pairs, so windows and neighbours are plain bisects.
    # Which legs carry a serial: their serial runs by numbering and block (``serials``).
    by_serial: SerialIndex = field(default_factory=SerialIndex)
    inbound: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # consignee -> legs
    outbound: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # shipper -> legs
    misdescribed_out: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # shipper -> misdescribed legs
    # Pass-through candidates (``match_bucket``): (party, family names, quantity bucket) ->
    # legs with controlled accelerators, received by the party (``match_in``) or
    # exported by it (``match_out``).
    match_in: dict[tuple, list[tuple[int, str]]] = field(default_factory=dict)
    match_out: dict[tuple, list[tuple[int, str]]] = field(default_factory=dict)
    # Ratio bounds (``most_received`` ...): party -> day -> controlled accelerators it received
    # (``day_in``), and family counts of its exports (``day_out``), over kept legs.
    day_in: dict[str, dict[int, int]] = field(default_factory=dict)
    day_out: dict[str, dict[int, int]] = field(default_factory=dict)
    # ... and party -> day -> its exports to where they must not go (a licence destination
    # without a licence: ``Destination.forbidden``) under the country groups of
    # ``forbidden_under``, (groups, their version); kept once ``follow_countries`` is called.
    day_forbidden: dict[str, dict[int, int]] = field(default_factory=dict)
    forbidden_under: tuple[Any, str] | None = None
    # Consolidation's bound: convergence key -> buyer group -> the times of its purchases
    # there, sorted. An export counts the groups with a purchase in its window from these
    # (``groups_between``) and reads the purchases themselves only when enough could be
    # unrelated buyers: a busy distributor's address holds thousands, from a few groups.
    purchase_groups: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    hops_into: dict[str, list[str]] = field(default_factory=dict)  # outbound leg -> inbound legs of its hops
    # order_id -> event ids: one id as it is (nearly every order number names one order), a
    # list when several do. Read it through ``orders_numbered``.
    orders_by_number: dict[str, str | list[str]] = field(default_factory=dict)
    orders_to: dict[str, list[str]] = field(default_factory=dict)  # ship-to party -> event ids by (t, id)
    # What ``prune`` forgets first: heaps of (t, leg key) and (t, order event id), so a prune
    # reads only the facts it removes. A merge that moves a leg earlier pushes its new time;
    # the entry left behind no longer matches the leg's time and is skipped when it surfaces.
    leg_times: list[tuple[int, str]] = field(default_factory=list)
    order_times: list[tuple[int, str]] = field(default_factory=list)

    # -- time ----------------------------------------------------------------------------
    def horizon(self, now: int, memory_us: int) -> int:
        """The oldest business time a lookup made at ``now`` may see."""
        return now - memory_us

    def leg_order(self, key: str) -> tuple[int, str]:
        return (self.legs[key].t, key)

    def window(self, index: dict[Any, list[tuple[int, str]]], party: Any, since: int, until: int) -> list[Leg]:
        """Legs of ``party`` in ``index`` (``inbound`` / ``outbound`` / ``match_*``) with
        ``since <= t <= until``, in (t, key) order."""
        keys = index.get(party)
        if not keys:
            return []
        low = bisect.bisect_left(keys, (since, ""))
        high = bisect.bisect_right(keys, (until, "\U0010ffff"))
        legs = self.legs
        return [legs[k] for _, k in keys[low:high]]

    def window_size(self, index: dict[Any, list[tuple[int, str]]], party: Any, since: int, until: int) -> int:
        """How many legs ``window`` would return."""
        keys = index.get(party)
        if not keys:
            return 0
        return bisect.bisect_right(keys, (until, "\U0010ffff")) - bisect.bisect_left(keys, (since, ""))

    # -- parties -------------------------------------------------------------------------
    def note_party(self, info: PartyInfo) -> None:
        current = self.parties.get(info.id)
        # ``rank`` starts with the time: a later document wins without comparing the rest.
        if current is None or info.t > current.t or info.t == current.t and info.rank() > current.rank():
            self.parties[info.id] = info

    def party(self, party_id: str) -> PartyInfo:
        found = self.parties.get(party_id)
        if found is None:  # pruned, or only ever seen in a snapshot from elsewhere
            return PartyInfo(party_id, party_id, "", False, None, party_id, 0)
        return found

    def note_address(self, party_id: str, address: str | None, t: int) -> None:
        if address:
            known = self.addresses.setdefault(party_id, {})
            known[address] = max(known.get(address, t), t)

    def addresses_of(self, party_id: str, since: int) -> list[str]:
        return sorted(a for a, t in self.addresses.get(party_id, {}).items() if t >= since)

    def canonical(self, ids: Iterable[str]) -> str:
        """One id for a set of ids naming the same party: registered first, then the smallest."""
        return min(ids, key=lambda i: (not self.party(i).registered, i))

    # -- legs ----------------------------------------------------------------------------
    def put_leg(self, leg: Leg) -> Leg | None:
        """Store ``leg`` (new, or a merge of an existing one); returns the previous version."""
        previous = self.legs.get(leg.key)
        if previous is not None:
            self._unindex_leg(previous)
        self.legs[leg.key] = leg
        self._index_leg(leg)
        if previous is None or previous.t != leg.t:
            heapq.heappush(self.leg_times, (leg.t, leg.key))
        return previous

    def _index_leg(self, leg: Leg) -> None:
        entry = (leg.t, leg.key)
        for event_id in leg.ids:
            self.report_leg[event_id] = leg.key
        if leg.serials:
            self.by_serial.add(leg.serials, entry)
        for party in leg.consignees:
            _sorted_insert(self.inbound, party, entry)
        for party in leg.shippers:
            _sorted_insert(self.outbound, party, entry)
            if leg.misdescribed:
                _sorted_insert(self.misdescribed_out, party, entry)
        for index, name in self._match_entries(leg):
            _sorted_insert(index, name, entry)
        self._count_day(leg, 1)

    def _unindex_leg(self, leg: Leg) -> None:
        entry = (leg.t, leg.key)
        self.by_serial.remove(leg.serials, entry)
        for party in leg.consignees:
            _remove_sorted(self.inbound, party, entry)
        for party in leg.shippers:
            _remove_sorted(self.outbound, party, entry)
            if leg.misdescribed:
                _remove_sorted(self.misdescribed_out, party, entry)
        for index, name in self._match_entries(leg):
            _remove_sorted(index, name, entry)
        self._count_day(leg, -1)

    def serial_legs(self, serial: str) -> list[tuple[int, str]]:
        """The serial's legs as sorted (t, key) pairs."""
        return self.by_serial.legs(serial)

    def serials_on_other_legs(self, leg: Leg) -> list[str]:
        """Those of the indexed ``leg``'s serials that other legs carry too, in string
        order: the only ones with neighbours."""
        return self.by_serial.on_other_legs(leg.serials, (leg.t, leg.key))

    def _count_day(self, leg: Leg, sign: int) -> None:
        if leg.accelerators <= 0:
            return  # the ratio counts only legs with controlled accelerators
        day = leg.t // US_PER_DAY
        _add_to_day(self.day_in, leg.consignees, day, sign * leg.accelerators)
        if leg.is_export:
            _add_to_day(self.day_out, leg.shippers, day, sign * sum(count for _, count in leg.families))
            self._count_forbidden(leg, sign)

    def _count_forbidden(self, leg: Leg, sign: int) -> None:
        """``day_forbidden`` for one leg, under the groups followed (none: not kept)."""
        under = self.forbidden_under
        if (under is not None and leg.accelerators > 0 and leg.is_export
                and _classify_destination(leg, under[0]).forbidden):
            _add_to_day(self.day_forbidden, leg.shippers, leg.t // US_PER_DAY, sign)

    def follow_countries(self, countries: Any) -> None:
        """Count forbidden exports (``most_forbidden_exports``) under ``countries``: from
        now on, and over the legs kept, again whenever the groups or their version change."""
        under = self.forbidden_under
        if under is not None and under[0] is countries and under[1] == countries.version:
            return
        self.forbidden_under = (countries, countries.version)
        self.day_forbidden = {}
        for leg in self.legs.values():
            self._count_forbidden(leg, 1)

    # Bounds on what ``ratio`` counts over the parties' legs with ``since <= t <= until``, read
    # from per-day sums (cost: days in the window, not legs); ``ratio`` asks for each only
    # when the ones before have not settled the question.
    def most_received(self, parties: Iterable[str], since: int, until: int) -> int:
        """The most accelerators received: every leg of every day the window touches."""
        return _days_total(self.day_in, parties, since // US_PER_DAY, until // US_PER_DAY)

    def least_received(self, parties: Iterable[str], since: int, until: int) -> int:
        """The fewest received: one party's legs on days wholly inside the window."""
        first, last = since // US_PER_DAY, until // US_PER_DAY
        inner_first = first if since == first * US_PER_DAY else first + 1
        inner_last = last if until == (last + 1) * US_PER_DAY - 1 else last - 1
        return max((_days_sum(received, inner_first, inner_last) for party in parties
                    if (received := self.day_in.get(party))), default=0)

    def most_exported(self, parties: Iterable[str], since: int, until: int) -> int:
        """The most re-exported: family counts of every export on every day the window touches."""
        return _days_total(self.day_out, parties, since // US_PER_DAY, until // US_PER_DAY)

    def most_forbidden_exports(self, parties: Iterable[str], since: int, until: int) -> int:
        """The most exports with controlled accelerators to where they must not go, on every
        day the window touches, under the groups ``follow_countries`` was last given."""
        return _days_total(self.day_forbidden, parties, since // US_PER_DAY, until // US_PER_DAY)

    def _match_entries(self, leg: Leg) -> list[tuple[dict[tuple, list[tuple[int, str]]], tuple]]:
        """Where ``leg`` is a pass-through candidate: as received by each consignee, and as
        exported by each shipper (exports only)."""
        if leg.accelerators <= 0:
            return []  # never matched (``pass_through._eligible``)
        names, bucket = family_names(leg), match_bucket(leg.accelerators)
        found: list[tuple[dict[tuple, list[tuple[int, str]]], tuple]] = [
            (self.match_in, (party, names, bucket)) for party in leg.consignees
        ]
        if leg.is_export:
            found += [(self.match_out, (party, names, bucket)) for party in leg.shippers]
        return found

    def match_window(self, index: dict[tuple, list[tuple[int, str]]], party: str, names: tuple[str, ...],
                     accelerators: int, tolerance: float, since: int, until: int) -> list[Leg] | None:
        """Candidates of ``party`` with family names ``names`` in ``since <= t <= until`` whose
        controlled accelerators can be within ``tolerance`` of ``accelerators``, in (t, key)
        order: a superset of the legs ``pass_through`` can match, found without looking at
        the party's other legs. ``None`` when the tolerance admits any quantity (>= 1)."""
        if tolerance >= 1:
            return None
        if tolerance < 0:
            return []  # nothing is within a negative tolerance
        low = match_bucket_of(accelerators * (1 - tolerance)) - 1  # one bucket of slack for rounding
        high = match_bucket_of(accelerators / (1 - tolerance)) + 1
        found: list[Leg] = []
        for bucket in range(low, high + 1):
            found.extend(self.window(index, (party, names, bucket), since, until))
        if high > low:
            found.sort(key=lambda leg: (leg.t, leg.key))
        return found

    def neighbours(self, serial: str, key: str) -> tuple[str | None, str | None]:
        """The legs just before and just after ``key`` in the serial's history."""
        keys = self.serial_legs(serial)
        position = bisect.bisect_left(keys, self.leg_order(key))
        before = keys[position - 1][1] if position > 0 else None
        after = keys[position + 1][1] if position + 1 < len(keys) else None
        return before, after

    # -- hops ----------------------------------------------------------------------------
    def hop(self, inbound: str, outbound: str) -> Hop | None:
        return self.hops.get(inbound, {}).get(outbound)

    def put_hop(self, hop: Hop) -> None:
        targets = self.hops.setdefault(hop.inbound, {})
        if hop.outbound not in targets:
            self.hops_into.setdefault(hop.outbound, []).append(hop.inbound)
        targets[hop.outbound] = hop

    def hops_from(self, leg: str) -> list[Hop]:
        """Hops whose goods arrived on ``leg``."""
        return list(self.hops.get(leg, {}).values())

    def hops_onto(self, leg: str) -> list[Hop]:
        """Hops whose goods left on ``leg``."""
        return [h for inbound in self.hops_into.get(leg, ()) if (h := self.hop(inbound, leg)) is not None]

    # -- orders and purchases --------------------------------------------------------------
    def put_order(self, order: OrderInfo) -> None:
        self.orders[order.id] = order
        self._index_order(order)
        heapq.heappush(self.order_times, (order.t, order.id))

    def _index_order(self, order: OrderInfo) -> None:
        by_number = self.orders_by_number
        found = by_number.get(order.order_id)
        if found is None:
            by_number[order.order_id] = order.id
        elif type(found) is str:
            by_number[order.order_id] = [found, order.id]
        else:
            found.append(order.id)
        keys = self.orders_to.setdefault(order.ship_to, [])
        keys.append(order.id)
        if len(keys) > 1 and (self.orders[keys[-2]].t, keys[-2]) > (order.t, order.id):
            keys.sort(key=lambda k: (self.orders[k].t, k))

    def orders_numbered(self, order_id: str) -> list[str]:
        """Event ids of the orders kept under ``order_id``."""
        found = self.orders_by_number.get(order_id)
        if found is None:
            return []
        return [found] if type(found) is str else found

    def _unnumber(self, order: OrderInfo) -> None:
        by_number = self.orders_by_number
        found = by_number.get(order.order_id)
        if found is None:
            return
        if type(found) is str:
            if found == order.id:
                del by_number[order.order_id]
            return
        if order.id in found:
            found.remove(order.id)
            if len(found) == 1:
                by_number[order.order_id] = found[0]  # as if it had been alone

    def add_purchase(self, point: str, purchase: Purchase) -> None:
        entries = self.purchases.setdefault(point, [])
        entries.append(purchase)  # each record is ingested once, so no duplicates to check
        if len(entries) > 1 and (entries[-2].t, entries[-2].id) > (purchase.t, purchase.id):
            entries.sort(key=lambda p: (p.t, p.id))
        bisect.insort(self.purchase_groups.setdefault(point, {}).setdefault(purchase.group, []), purchase.t)

    def groups_between(self, point: str, since: int, until: int, excluded: Container[str]) -> set[str]:
        """Buyer groups, other than ``excluded``, with a purchase at ``point`` with
        ``since <= t <= until``: at most one buyer each, so a bound on the unrelated buyers."""
        found = set()
        for group, times in self.purchase_groups.get(point, {}).items():
            if group not in excluded:
                i = bisect.bisect_left(times, since)
                if i < len(times) and times[i] <= until:
                    found.add(group)
        return found

    def purchases_between(self, point: str, since: int, until: int) -> list[Purchase]:
        """Purchases at ``point`` with ``since <= t <= until``, in (t, id) order (how they are kept)."""
        entries = self.purchases.get(point)
        if not entries:
            return []
        low = bisect.bisect_left(entries, since, key=_purchase_time)
        high = bisect.bisect_right(entries, until, key=_purchase_time)
        return entries[low:high]

    # -- pruning ---------------------------------------------------------------------------
    def prune(self, before: int) -> None:
        """Forget legs, hops, orders, purchases and parties older than ``before``."""
        touched_parties: set[str] = set()
        touched_matches: set[tuple] = set()
        for leg in _pop_before(self.leg_times, before, self.legs):
            del self.legs[leg.key]
            for event_id in leg.ids:
                self.report_leg.pop(event_id, None)
            entry = (leg.t, leg.key)
            self.by_serial.remove(leg.serials, entry)
            for index, name in self._match_entries(leg):
                touched_matches.add((index is self.match_in, name))
            self._count_day(leg, -1)
            touched_parties.update(leg.consignees)
            touched_parties.update(leg.shippers)
            for outbound in self.hops.pop(leg.key, {}):
                _remove(self.hops_into, outbound, leg.key)
            for inbound in self.hops_into.pop(leg.key, ()):
                targets = self.hops.get(inbound)
                if targets is not None:
                    targets.pop(leg.key, None)
                    if not targets:
                        del self.hops[inbound]
        # Every leg before ``before`` is gone, so each touched list loses exactly its
        # leading entries: one slice each, not a removal (and a shift of the rest) per leg.
        oldest_kept = (before, "")
        lists = [(index, party) for index in (self.inbound, self.outbound, self.misdescribed_out)
                 for party in touched_parties]
        lists += [(self.match_in if received else self.match_out, name) for received, name in touched_matches]
        for index, name in lists:
            keys = index.get(name)
            if keys is not None:
                del keys[:bisect.bisect_left(keys, oldest_kept)]  # sorted: the forgotten legs lead
                if not keys:
                    del index[name]
        for order in _pop_before(self.order_times, before, self.orders):
            del self.orders[order.id]
            self._unnumber(order)
            _remove(self.orders_to, order.ship_to, order.id)
        for point, entries in list(self.purchases.items()):
            if entries[0].t >= before:
                continue  # kept by (t, id): nothing old here
            old = 1
            while old < len(entries) and entries[old].t < before:
                old += 1  # reads only what it removes (and one more)
            groups = self.purchase_groups[point]
            for group in {p.group for p in entries[:old]}:
                times = groups[group]
                del times[:bisect.bisect_left(times, before)]
                if not times:
                    del groups[group]
            del entries[:old]
            if not entries:
                del self.purchases[point]
                del self.purchase_groups[point]
        for party_id in [p for p, info in self.parties.items() if info.t < before]:
            del self.parties[party_id]
        for party_id, known in list(self.addresses.items()):
            if min(known.values()) >= before:
                continue  # the common case: every address seen lately
            kept = {a: t for a, t in known.items() if t >= before}
            if kept:
                self.addresses[party_id] = kept
            else:
                del self.addresses[party_id]
        self.last_prune = before

    # -- snapshots -------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """A canonical snapshot (``snapshot`` describes the layout): the same facts give the
        same JSON, whatever order they came in."""
        strings = Strings()
        hops = [h for targets in self.hops.values() for h in targets.values()]
        legs = []
        for leg in sorted(self.legs.values(), key=lambda leg: (leg.t, leg.key)):
            row = leg.to_json()
            if leg.shipper_country is None or leg.consignee_country is None:
                raise ValueError(f"leg {leg.key}: party countries are required (contract v1)")
            if leg.key == leg_key(leg.shipment_id, leg.origin, leg.dest):
                row[_KEY_AT] = None  # derived again on load
            if leg.shipper_country == leg.origin:
                row[_SHIPPER_COUNTRY_AT] = None  # "as origin"
            if leg.consignee_country == leg.dest:
                row[_CONSIGNEE_COUNTRY_AT] = None  # "as destination"
            legs.append(row)
        orders = sorted(self.orders.values(), key=lambda o: (o.t, o.id))
        order_row = {o.id: i for i, o in enumerate(orders)}
        purchases, of_orders = [], []
        for point in sorted(self.purchases):
            for p in self.purchases[point]:
                row = order_row.get(p.id)
                if row is not None and (orders[row].t, orders[row].buyer, orders[row].accelerators) == (
                        p.t, p.buyer, p.accelerators):
                    of_orders.append([point, row, p.group])  # the rest is the order's
                else:
                    purchases.append([point, *p.to_json()])
        addresses = [[party, address, t] for party in sorted(self.addresses)
                     for address, t in sorted(self.addresses[party].items())]
        out: dict[str, Any] = {
            "format": STATE_FORMAT,
            "watermark": self.watermark,
            "last_prune": self.last_prune,
            "parties": _PARTY_TABLE.encode([self.parties[p].to_json() for p in sorted(self.parties)], strings),
            "legs": _LEG_TABLE.encode(legs, strings),
            "orders": _ORDER_TABLE.encode([o.to_json() for o in orders], strings),
            "hops": _HOP_TABLE.encode([h.to_json() for h in sorted(hops, key=lambda h: (h.inbound, h.outbound))],
                                      strings),
            "purchases": _PURCHASE_TABLE.encode(purchases, strings),
            "order_purchases": _ORDER_PURCHASE_TABLE.encode(of_orders, strings),
            "addresses": _ADDRESS_TABLE.encode(addresses, strings),
        }
        out["strings"] = strings.table
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> State:
        if raw.get("format") != STATE_FORMAT:
            raise ValueError(f"transshipment state format {raw.get('format')!r}, expected {STATE_FORMAT}")
        strings = Strings(raw["strings"])
        state = cls(watermark=raw["watermark"], last_prune=raw["last_prune"])
        for row in _PARTY_TABLE.decode(raw["parties"], strings):
            party = PartyInfo(*row)
            state.parties[party.id] = party
        for row in _LEG_TABLE.decode(raw["legs"], strings):  # written in (t, key) order
            leg = Leg(*row)
            leg = msgspec.structs.replace(
                leg,
                key=leg.key if leg.key is not None else leg_key(leg.shipment_id, leg.origin, leg.dest),
                shipper_country=leg.shipper_country if leg.shipper_country is not None else leg.origin,
                consignee_country=leg.consignee_country if leg.consignee_country is not None else leg.dest,
            )
            state.put_leg(leg)
        orders = [OrderInfo(*row) for row in _ORDER_TABLE.decode(raw["orders"], strings)]
        for order in orders:  # written in (t, id) order
            state.put_order(order)
        for row in _HOP_TABLE.decode(raw["hops"], strings):
            state.put_hop(Hop(*row[:8], dict(row[8]), row[9]))
        for point, *purchase in _PURCHASE_TABLE.decode(raw["purchases"], strings):
            state.purchases.setdefault(point, []).append(Purchase(*purchase))
        for point, row, group in _ORDER_PURCHASE_TABLE.decode(raw["order_purchases"], strings):
            order = orders[row]
            state.purchases.setdefault(point, []).append(Purchase(order.t, order.id, order.buyer, group,
                                                                  order.accelerators))
        for point, entries in state.purchases.items():
            entries.sort(key=lambda p: (p.t, p.id))  # how add_purchase keeps them
            groups = state.purchase_groups[point] = {}
            for purchase in entries:
                groups.setdefault(purchase.group, []).append(purchase.t)
        for party, address, t in _ADDRESS_TABLE.decode(raw["addresses"], strings):
            state.addresses.setdefault(party, {})[address] = t
        return state

    def tracked_parties(self) -> int:
        return len(self.parties)


_PARTY_TABLE = Table(("id", "str"), ("name", "str"), ("country", "str"), ("registered", "bool"),
                     ("business_type", "str"), ("group", "str"), ("t", "time"))
_LEG_KINDS = {
    "key": "str", "ids": "texts", "t": "time", "shipment_id": "raw", "order_id": "str", "shippers": "strs",
    "consignees": "strs", "shipper_country": "str", "consignee_country": "str", "consignee_type": "str",
    "origin": "str", "dest": "str", "transit": "strs", "licence": "str", "value": "float", "accelerators": "raw",
    "families": "pairs", "units": "raw", "serials": "serials", "h200_class": "bool", "scopes": "strs",
    "misdescribed": "rows", "shipper_addr": "str", "consignee_addr": "str", "others": "strs",
}
_LEG_TABLE = Table(*((name, _LEG_KINDS[name]) for name in _LEG_FIELDS))
_ORDER_TABLE = Table(("id", "raw"), ("t", "time"), ("order_id", "str"), ("buyer", "str"), ("ship_to", "str"),
                     ("accelerators", "raw"), ("domestic", "bool"))
_HOP_TABLE = Table(("inbound", "str"), ("outbound", "str"), ("party", "str"), ("kind", "str"), ("shared", "raw"),
                   ("dwell_days", "raw"), ("severity", "str"), ("flags", "strs"), ("facts", "raw"), ("t", "raw"))
_PURCHASE_TABLE = Table(("point", "str"), ("t", "time"), ("id", "str"), ("buyer", "str"), ("group", "str"),
                        ("accelerators", "raw"))
_ORDER_PURCHASE_TABLE = Table(("point", "str"), ("order", "raw"), ("group", "str"))
_KEY_AT = _LEG_FIELDS.index("key")
_SHIPPER_COUNTRY_AT = _LEG_FIELDS.index("shipper_country")
_CONSIGNEE_COUNTRY_AT = _LEG_FIELDS.index("consignee_country")
_ADDRESS_TABLE = Table(("party", "str"), ("address", "str"), ("t", "time"))


def _classify_destination(leg: Leg, countries: Any) -> Any:
    from detectors.transshipment.routes import classify_destination  # routes reads this module's types

    return classify_destination(leg, countries)


def _add_to_day(index: dict[str, dict[int, int]], parties: tuple[str, ...], day: int, amount: int) -> None:
    for party in parties:
        days = index.setdefault(party, {})
        total = days.get(day, 0) + amount
        if total:
            days[day] = total
        else:
            days.pop(day, None)
            if not days:
                del index[party]


def _days_total(index: dict[str, dict[int, int]], parties: Iterable[str], first: int, last: int) -> int:
    return sum(_days_sum(days, first, last) for party in parties if (days := index.get(party)))


def _days_sum(days: dict[int, int], first: int, last: int) -> int:
    if last < first:
        return 0
    if len(days) < last - first + 1:
        return sum(total for day, total in days.items() if first <= day <= last)
    return sum(map(days.get, range(first, last + 1), itertools.repeat(0)))  # one C loop, no frame per day


def _pop_before(times: list[tuple[int, str]], before: int, facts: dict[str, Any]) -> list[Any]:
    """Pop the (t, key) entries older than ``before`` off the heap ``times``; the facts they
    still describe (same key, same time), each once."""
    found = []
    while times and times[0][0] < before:
        t, key = heapq.heappop(times)
        fact = facts.get(key)
        if fact is not None and fact.t == t:
            found.append(fact)
    return found


def _purchase_time(purchase: Purchase) -> int:
    return purchase.t


def family_names(leg: Leg) -> tuple[str, ...]:
    """The leg's product families (``families`` is sorted by name): what a match compares."""
    return tuple(map(_NAME, leg.families))


_NAME = operator.itemgetter(0)


#: Quantity buckets per doubling of controlled accelerators in the pass-through index.
_BUCKETS_PER_DOUBLING = 8


def match_bucket_of(quantity: float) -> int:
    return math.floor(math.log2(quantity) * _BUCKETS_PER_DOUBLING)


def match_bucket(accelerators: int) -> int:
    """A leg's quantity band in the pass-through index (about 9% wide)."""
    return match_bucket_of(accelerators)


def _sorted_insert(index: dict[Any, list[tuple[int, str]]], name: Any, entry: tuple[int, str]) -> None:
    keys = index.get(name)
    if keys is None:
        index[name] = [entry]
    elif keys[-1] < entry:
        keys.append(entry)  # the common case: business time moves forward
    else:
        bisect.insort(keys, entry)


def _remove_sorted(index: dict[Any, list[tuple[int, str]]], name: Any, entry: tuple[int, str]) -> None:
    """``_remove`` for a sorted list of (t, key): found by bisection, not by a scan from the front."""
    keys = index.get(name)
    if keys is None:
        return
    position = bisect.bisect_left(keys, entry)
    if position < len(keys) and keys[position] == entry:
        del keys[position]
        if not keys:
            del index[name]


def _remove(index: dict[Any, list[Any]], name: Any, key: Any) -> None:
    keys = index.get(name)
    if keys is None:
        return
    try:
        keys.remove(key)
    except ValueError:
        return
    if not keys:
        del index[name]


def days(us: int) -> float:
    return us / US_PER_DAY
