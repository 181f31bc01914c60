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
when needed, never stored) and exact, the amounts being integers, and kept in 64-bit
arrays; a window whose sums outgrow 64 bits adds up its buckets instead.
"""

from __future__ import annotations

import datetime as dt
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    evidence: list[tuple[int, str]] = field(default_factory=list)  # (day, event_id), oldest first
    # Running totals (derived, never stored; ``_RunningTotals``): ``None`` until asked, and
    # again after a late day lands before the last bucket or a sum outgrows 64 bits.
    _totals: _RunningTotals | None = field(default=None, repr=False, compare=False)

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
        if totals is not None:  # then bucket ``i`` is the last one, and so is its row of totals
            try:
                totals.add_to_last(a, accelerators, v, value_usd)
            except OverflowError:
                self._totals = None

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
                totals.append(day)  # the bucket is empty so far
            else:
                self._totals = None
        return position

    def rows(self) -> list[list[int]]:
        """The buckets as ``[day, ordered_accelerators, ordered_value, received_accelerators,
        received_value]`` lists, in day order."""
        return self.buckets.rows()

    def note_evidence(self, day: int, event_id: str, keep: int) -> None:
        """Remember ``event_id`` as evidence, keeping the latest ``keep`` ids."""
        self.evidence.append((day, event_id))
        if len(self.evidence) > keep:
            del self.evidence[: len(self.evidence) - keep]

    def intake(self, since_day: int, until_day: int | None = None) -> Intake:
        """What was ordered and received on days in ``[since_day, until_day)`` (open-ended when None)."""
        if not len(self.buckets) or (until_day is not None and until_day <= since_day):
            return Intake()
        totals = self._running_totals()
        if totals is None:  # sums beyond 64 bits: add up the buckets in the span instead
            return self._summed(since_day, until_day)
        start = totals.before(since_day)
        end = totals.last() if until_day is None else totals.before(until_day)
        return Intake(end[0] - start[0], end[1] - start[1], end[2] - start[2], end[3] - start[3])

    def _running_totals(self) -> _RunningTotals | None:
        """``_totals``, counted afresh from the buckets when they are not current (``None``
        when a sum does not fit in 64 bits)."""
        totals = self._totals
        if totals is None:
            try:
                totals = self._totals = _RunningTotals.of(self.buckets)
            except OverflowError:
                return None
        return totals

    def _summed(self, since_day: int, until_day: int | None) -> Intake:
        buckets = self.buckets
        days = buckets.column(_DAY)
        start = bisect_left(days, since_day)
        end = len(days) if until_day is None else bisect_left(days, until_day)
        return Intake(*(buckets.column_sum(column, start, end) for column in (_OA, _OV, _RA, _RV)))

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
                self._totals.drop(drop)
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
            evidence=[(int(d), str(e)) for d, e in state.get("e", ())],
        )


class _RunningTotals:
    """A window's running totals, flat: ``days[i]`` is bucket ``i``'s day and ``sums[4i:4i+4]``
    the sums of buckets ``0..i`` (ordered accelerators, ordered value, received
    accelerators, received value) on top of ``base``, the sums of the buckets pruned away.

    In 64-bit integers: ~36 bytes a bucket, where a list of Python integers took ~250.
    Raises ``OverflowError`` where a sum would not fit (only absurd declarations come
    near): the window then sums its buckets instead (``PartyWindow._summed``).
    """

    __slots__ = ("days", "sums", "base")

    def __init__(self) -> None:
        self.days = array("i")
        self.sums = array("q")
        self.base: tuple[int, int, int, int] = (0, 0, 0, 0)

    @classmethod
    def of(cls, buckets: DayBuckets) -> _RunningTotals:
        totals = cls()
        running = [0, 0, 0, 0]
        for bucket in buckets.rows():
            running = [running[0] + bucket[_OA], running[1] + bucket[_OV], running[2] + bucket[_RA],
                       running[3] + bucket[_RV]]
            totals.days.append(bucket[_DAY])
            totals.sums.extend(running)
        return totals

    def append(self, day: int) -> None:
        """Totals for a new, empty last bucket."""
        last = self.last()
        self.days.append(day)
        self.sums.extend(last)

    def add_to_last(self, a: int, accelerators: int, v: int, value_usd: int) -> None:
        """Add to the last bucket's totals; ``a``, ``v``: the bucket columns added to."""
        end = len(self.sums) - 5  # column c of the last row is at end + c
        self.sums[end + a] += accelerators
        self.sums[end + v] += value_usd

    def last(self) -> Sequence[int]:
        return self.sums[-4:] if self.days else self.base

    def before(self, day: int) -> Sequence[int]:
        """Totals of the buckets before ``day``."""
        i = bisect_left(self.days, day)
        return self.sums[4 * i - 4 : 4 * i] if i else self.base

    def drop(self, count: int) -> None:
        """Forget the first ``count`` rows; their last becomes the base."""
        if count:
            self.base = tuple(self.sums[4 * count - 4 : 4 * count])  # type: ignore[assignment]
            del self.days[:count]
            del self.sums[: 4 * count]
