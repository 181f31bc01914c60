"""Per-party rolling windows in event time, aggregated by day.

Window rules (capacity, bursts, first-time buyers) only ever ask "how much in the last
N days", so a party's history is kept as one bucket per active day rather than one row
per order: a cloud buyer with hundreds of orders a year still costs a few hundred bytes
of state. Days are UTC calendar days counted as proleptic ordinals, so windows never
depend on wall-clock time or on the worker's time zone.

Each bucket holds what the party **ordered** and what it **received** (shipment legs)
that day. A window's intake is the larger of the two sums, never their total: legs
deliver orders, so adding them would count the same accelerators twice, while the larger
one still sees goods that arrive without an order in the feed (and orders whose legs
are not reported). That holds even when a feed omits a leg's ``order_id``.

Every controlled record asks several "how much since day N" questions (the year for
capacity, the last weeks for a burst, each group member's year), so a window keeps
running totals beside its buckets: any span is the difference of two of them, found by
bisection, instead of a walk over up to a year of buckets. They are derived (rebuilt
when needed, never stored) and exact, the amounts being integers.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, NamedTuple

from detectors.buckets import BucketLayout, DayBuckets

__all__ = ["day_of", "Intake", "PartyWindow"]

_UTC = dt.timezone.utc
# Bucket layout: [day, ordered_accelerators, ordered_value, received_accelerators, received_value]
_DAY, _OA, _OV, _RA, _RV = range(5)
_WIDTH = 5
#: Buckets are kept in flat arrays (``detectors.buckets.DayBuckets``): the day and the
#: accelerators in 32 bits, the US-dollar sums in 64.
_LAYOUT = BucketLayout(_WIDTH, wide=(_OV, _RV))
_day_key = itemgetter(_DAY)


def day_of(moment: dt.datetime) -> int:
    """The UTC calendar day of ``moment`` as an ordinal (1 Jan 0001 is day 1).

    Asked for every record, and decoded timestamps in UTC (``Z``, ``+00:00``) carry
    ``timezone.utc`` itself: their own date is the UTC date, no conversion needed."""
    if moment.tzinfo is _UTC:
        return moment.toordinal()
    return moment.astimezone(_UTC).date().toordinal()


class Intake(NamedTuple):
    """Accelerators and value a party took over some days: ordered, received, and the
    larger of each (what the rules judge). A named tuple: one is built per question."""

    ordered_accelerators: int = 0
    ordered_value: int = 0
    received_accelerators: int = 0
    received_value: int = 0

    @property
    def accelerators(self) -> int:
        return max(self.ordered_accelerators, self.received_accelerators)

    @property
    def value(self) -> int:
        return max(self.ordered_value, self.received_value)

    def as_details(self) -> dict[str, int]:
        return {
            "ordered_accelerators": self.ordered_accelerators,
            "received_accelerators": self.received_accelerators,
            "ordered_value_usd": self.ordered_value,
            "received_value_usd": self.received_value,
        }


@dataclass
class PartyWindow:
    """What one party took recently: daily buckets, first and last day seen, evidence.

    ``first_day``/``last_day`` cover every record attributed to the party (uncontrolled
    ones too), so "first-time buyer" means no record at all in the window, not merely no
    controlled one.
    """

    first_day: int
    last_day: int
    business_type: str | None = None
    buckets: DayBuckets = field(default_factory=lambda: DayBuckets(_LAYOUT))  # in day order
    evidence: list[list[Any]] = field(default_factory=list)  # [day, event_id], oldest first
    # Running totals (derived, never stored): ``_totals[i]`` is ``[day of bucket i, then
    # the sums of buckets[0..i]]`` on top of ``_base``, the sums of buckets pruned away.
    # ``None`` until asked, and again after a late day lands before the last bucket.
    _totals: list[list[int]] | None = field(default=None, repr=False, compare=False)
    _base: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0], repr=False, compare=False)

    def add(self, day: int, accelerators: int, value_usd: int, *, received: bool) -> None:
        """Add to ``day``'s bucket (records arrive in time order, so this appends or merges)."""
        buckets = self.buckets
        i = len(buckets) - 1
        if i < 0 or buckets.day(i) != day:
            i = self._open(day)
        a, v = (_RA, _RV) if received else (_OA, _OV)
        accelerators = buckets.add(i, a, accelerators)  # what fits
        value_usd = buckets.add(i, v, value_usd)
        totals = self._totals
        if totals is not None:  # then ``bucket`` is the last one, ``totals[-1]`` its running totals
            totals[-1][a] += accelerators
            totals[-1][v] += value_usd

    def _open(self, day: int) -> int:
        """The position of the bucket of a day other than the last bucket's: a new last
        one, or (a late record) one inside the window, after which the running totals are
        recounted."""
        buckets = self.buckets
        position = len(buckets)
        while position > 0 and buckets.day(position - 1) > day:
            position -= 1  # defensive: an out-of-order day still lands in order
        if position > 0 and buckets.day(position - 1) == day:
            self._totals = None
            return position - 1
        buckets.insert(position, day)
        totals = self._totals
        if totals is not None:
            if position == len(buckets) - 1:
                previous = totals[-1] if totals else self._base
                totals.append([day, *previous[_OA:]])  # the bucket is empty so far
            else:
                self._totals = None
        return position

    def rows(self) -> list[list[int]]:
        """The buckets as ``[day, ordered_accelerators, ordered_value, received_accelerators,
        received_value]`` lists, in day order."""
        return self.buckets.rows()

    def note_evidence(self, day: int, event_id: str, keep: int) -> None:
        """Remember ``event_id`` as evidence, keeping the latest ``keep`` ids."""
        self.evidence.append([day, event_id])
        if len(self.evidence) > keep:
            del self.evidence[: len(self.evidence) - keep]

    def intake(self, since_day: int, until_day: int | None = None) -> Intake:
        """What was ordered and received on days in ``[since_day, until_day)`` (open-ended when None)."""
        totals = self._running_totals()
        if not totals or (until_day is not None and until_day <= since_day):
            return Intake()
        start = self._totals_before(since_day)
        end = totals[-1] if until_day is None else self._totals_before(until_day)
        return Intake(end[_OA] - start[_OA], end[_OV] - start[_OV], end[_RA] - start[_RA], end[_RV] - start[_RV])

    def _running_totals(self) -> list[list[int]]:
        """``_totals``, counted afresh from the buckets when they are not current."""
        totals = self._totals
        if totals is None:
            running = self._base = [0, 0, 0, 0, 0]
            totals = self._totals = []
            for bucket in self.buckets.rows():
                running = [bucket[_DAY], running[_OA] + bucket[_OA], running[_OV] + bucket[_OV],
                           running[_RA] + bucket[_RA], running[_RV] + bucket[_RV]]
                totals.append(running)
        return totals

    def _totals_before(self, day: int) -> list[int]:
        """Running totals of the buckets before ``day`` (``_totals`` must be current)."""
        totals = self._totals
        assert totals is not None
        if not totals or totals[0][_DAY] >= day:
            return self._base
        return totals[bisect_left(totals, day, key=_day_key) - 1]

    def earliest_day(self) -> int:
        """The oldest day the window holds: its last day, its first bucket's, its oldest
        evidence entry's. Every entry's, not just the first: a late record's entry can
        come first once older ones are dropped, and ``prune`` looks at the first."""
        earliest = self.last_day
        if len(self.buckets) and self.buckets.day(0) < earliest:
            earliest = self.buckets.day(0)
        for day, _ in self.evidence:
            if day < earliest:
                earliest = day
        return earliest

    def evidence_since(self, since_day: int) -> tuple[str, ...]:
        return tuple(event_id for day, event_id in self.evidence if day >= since_day)

    def prune(self, before_day: int) -> None:
        """Drop buckets and evidence older than ``before_day`` (bounded memory)."""
        buckets = self.buckets
        if len(buckets) and buckets.day(0) < before_day:
            drop = bisect_left(buckets.column(_DAY), before_day)  # buckets are in day order
            if self._totals is not None:
                self._base = self._totals[drop - 1]
                del self._totals[:drop]
            buckets.drop(drop)
        if self.evidence and self.evidence[0][0] < before_day:
            self.evidence = [e for e in self.evidence if e[0] >= before_day]

    def to_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"f": self.first_day, "l": self.last_day}
        if self.business_type is not None:
            state["t"] = self.business_type
        if len(self.buckets):
            state["d"] = self.rows()
        if self.evidence:
            state["e"] = [list(e) for e in self.evidence]
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PartyWindow:
        rows = [[int(x) for x in row] for row in state.get("d", ())]
        if any(len(row) != _WIDTH for row in rows):
            raise ValueError(f"over-ordering window: a bucket is not {_WIDTH} numbers")
        buckets = DayBuckets.from_rows(_LAYOUT, rows)  # ValueError when an amount does not fit
        return cls(
            first_day=int(state["f"]),
            last_day=int(state["l"]),
            business_type=state.get("t"),
            buckets=buckets,
            evidence=[[int(d), str(e)] for d, e in state.get("e", ())],
        )
