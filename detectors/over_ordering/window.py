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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

__all__ = ["day_of", "Intake", "PartyWindow"]

# Bucket layout: [day, ordered_accelerators, ordered_value, received_accelerators, received_value]
_DAY, _OA, _OV, _RA, _RV = range(5)


def day_of(moment: dt.datetime) -> int:
    """The UTC calendar day of ``moment`` as an ordinal (1 Jan 0001 is day 1)."""
    return moment.astimezone(dt.timezone.utc).date().toordinal()


@dataclass(frozen=True, slots=True)
class Intake:
    """Accelerators and value a party took over some days: ordered, received, and the
    larger of each (what the rules judge)."""

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
    buckets: list[list[int]] = field(default_factory=list)
    evidence: list[list[Any]] = field(default_factory=list)  # [day, event_id], oldest first
    # Sums over every bucket held (derived, never stored): most questions are about the
    # whole window, and pruning keeps exactly the window, so they cost O(1).
    _sums: list[int] | None = field(default=None, repr=False, compare=False)

    def add(self, day: int, accelerators: int, value_usd: int, *, received: bool) -> None:
        """Add to ``day``'s bucket (records arrive in time order, so this appends or merges)."""
        position = len(self.buckets)
        while position > 0 and self.buckets[position - 1][_DAY] > day:
            position -= 1  # defensive: an out-of-order day still lands in order
        if position > 0 and self.buckets[position - 1][_DAY] == day:
            bucket = self.buckets[position - 1]
        else:
            bucket = [day, 0, 0, 0, 0]
            self.buckets.insert(position, bucket)
        if received:
            bucket[_RA] += accelerators
            bucket[_RV] += value_usd
        else:
            bucket[_OA] += accelerators
            bucket[_OV] += value_usd
        if self._sums is not None:
            self._sums[_RA if received else _OA] += accelerators
            self._sums[_RV if received else _OV] += value_usd

    def note_evidence(self, day: int, event_id: str, keep: int) -> None:
        """Remember ``event_id`` as evidence, keeping the latest ``keep`` ids."""
        self.evidence.append([day, event_id])
        if len(self.evidence) > keep:
            del self.evidence[: len(self.evidence) - keep]

    def intake(self, since_day: int, until_day: int | None = None) -> Intake:
        """What was ordered and received on days in ``[since_day, until_day)`` (open-ended when None)."""
        buckets = self.buckets
        if until_day is None and (not buckets or buckets[0][_DAY] >= since_day):
            if self._sums is None:
                self._sums = [0, sum(b[_OA] for b in buckets), sum(b[_OV] for b in buckets),
                              sum(b[_RA] for b in buckets), sum(b[_RV] for b in buckets)]
            sums = self._sums
            return Intake(sums[_OA], sums[_OV], sums[_RA], sums[_RV])
        oa = ov = ra = rv = 0
        for bucket in reversed(buckets):  # newest first: short windows stop early
            day = bucket[_DAY]
            if day < since_day:
                break
            if until_day is None or day < until_day:
                oa += bucket[_OA]
                ov += bucket[_OV]
                ra += bucket[_RA]
                rv += bucket[_RV]
        return Intake(oa, ov, ra, rv)

    def evidence_since(self, since_day: int) -> tuple[str, ...]:
        return tuple(event_id for day, event_id in self.evidence if day >= since_day)

    def prune(self, before_day: int) -> None:
        """Drop buckets and evidence older than ``before_day`` (bounded memory)."""
        if self.buckets and self.buckets[0][_DAY] < before_day:
            self.buckets = [b for b in self.buckets if b[_DAY] >= before_day]
            self._sums = None
        if self.evidence and self.evidence[0][0] < before_day:
            self.evidence = [e for e in self.evidence if e[0] >= before_day]

    def to_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"f": self.first_day, "l": self.last_day}
        if self.business_type is not None:
            state["t"] = self.business_type
        if self.buckets:
            state["d"] = [list(b) for b in self.buckets]
        if self.evidence:
            state["e"] = [list(e) for e in self.evidence]
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PartyWindow:
        return cls(
            first_day=int(state["f"]),
            last_day=int(state["l"]),
            business_type=state.get("t"),
            buckets=[[int(x) for x in b] for b in state.get("d", ())],
            evidence=[[int(d), str(e)] for d, e in state.get("e", ())],
        )
