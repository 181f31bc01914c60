"""The over-ordering detector: parties and groups taking more accelerators than they can use.

Rules (pattern keys, one alert per subject and pattern):

* ``capacity``: a party's controlled data-centre accelerators over ``window_days``
  against its declared capacity (``OVER_CAPACITY``).
* ``group_capacity``: all members of one ownership group against their combined
  capacity; the subject is the ultimate parent (``GROUP_OVER_CAPACITY``).
* ``no_capacity``: data-centre volume by a party that declared no capacity
  (``NO_DECLARED_CAPACITY``).
* ``first_order``: a large first order, "first" meaning no earlier record of the party
  within the window, in record order (``FIRST_TIME_LARGE_ORDER``).
* ``burst``: a burst of value far above the party's own history and its peers'
  (``ORDER_BURST``).

Everything is a function of the records seen so far in (event time, event id) order, so
a batch boundary never changes a decision, and the state (daily buckets per party) is
plain JSON that resumes exactly where it stopped.

Most records carry no controlled data-centre accelerators and only move a party's
first and last day, so that path is kept short: each rule decides whether it fires from
its figures before it builds a summary, details, related parties or evidence; group
facts come from a memo per registry version (:mod:`detectors.over_ordering.groups`);
a new day visits only the parties with something to expire
(:mod:`detectors.over_ordering.expiry`).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from detectors.alerts import Finding
from detectors.engine.records import OrderRecord, PartyRef, ShipmentRecord, TradeRecord, in_event_order
from detectors.over_ordering.expiry import DueQueue
from detectors.over_ordering.groups import GroupBook
from detectors.over_ordering.parties import (
    RESALE_TYPES,
    business_type,
    declared_capacity,
    is_resale,
    ordering_party,
    receiving_party,
)
from detectors.over_ordering.rules import (
    burst_verdict,
    capacity_severity,
    first_order_severity,
    fmt_int,
    fmt_pct,
    fmt_usd,
    no_capacity_severity,
    score_for,
)
from detectors.over_ordering.window import PartyWindow, day_of
from schemas import Entity, Party, SubjectParty

__all__ = ["OverOrderingDetector", "VERSION", "PATTERNS"]

VERSION = 1
TYPOLOGY = "over_ordering"
PATTERNS = ("capacity", "group_capacity", "no_capacity", "first_order", "burst")
_STATE_FORMAT = 1
_UNITS = "controlled data-centre accelerators"


@dataclass(frozen=True, slots=True)
class _Limits:
    """The thresholds every record needs, read once per batch rather than per record."""

    window_days: int
    leg_dedup_days: int
    evidence_per_party: int

    @classmethod
    def of(cls, t: Mapping[str, Any]) -> _Limits:
        return cls(int(t["window_days"]), int(t["leg_dedup_days"]), int(t["evidence_per_party"]))


def _order_volume(order: OrderRecord) -> tuple[int, int]:
    """``controlled_accelerators`` and the rounded ``controlled_value_usd``, in one pass
    over the lines (the same sums, added in the same order); ``(0, 0)`` without any
    accelerators, the value then counting for nothing."""
    accelerators = 0
    value = 0
    for line in order.lines:
        if line.controlled and line.datacenter:
            accelerators += line.accelerators
            value += line.quantity * (line.unit_value_usd or 0.0)
    return (accelerators, int(round(value))) if accelerators else (0, 0)


def _shipment_volume(shipment: ShipmentRecord) -> tuple[int, int]:
    """Accelerators and value of a leg's controlled data-centre items.

    The leg's declared value when every item is such an item; otherwise the catalogue
    mid-price of those items (a mixed leg's declared value cannot be split reliably).
    Counted in a plain loop: most legs carry one item, often not such an item.
    """
    accelerators = matching = 0
    for item in shipment.items:
        if item.controlled and item.datacenter and item.accelerators > 0:
            accelerators += item.accelerators
            matching += 1
    if not matching:
        return 0, 0
    if matching == len(shipment.items):
        return accelerators, int(round(shipment.event.declared_value_usd))
    value = sum(
        (i.family.unit_value_usd.min + i.family.unit_value_usd.max) / 2 * i.quantity
        for i in shipment.items
        if i.controlled and i.datacenter and i.accelerators > 0 and i.family
    )
    return accelerators, int(round(value))


def _subject_of_entity(entity: Entity) -> SubjectParty:
    return SubjectParty(entity_id=entity.entity_id, name=entity.name, country=entity.country)


def _party_of_entity(entity: Entity) -> Party:
    return Party(entity_id=entity.entity_id, name=entity.name, country=entity.country)


def _ref_of_entity(entity: Entity) -> PartyRef:
    return PartyRef(entity_id=entity.entity_id, name=entity.name, country=entity.country, registered=True, entity=entity)


def _related(subject_id: str, parties: Iterable[Party | None]) -> tuple[Party, ...]:
    """Other parties of the pattern, once each, in a stable order."""
    out: dict[str, Party] = {}
    for party in parties:
        if party is None or party.entity_id == subject_id or party.entity_id in out:
            continue
        out[party.entity_id or f"{party.name}|{party.country}"] = party
    return tuple(out[key] for key in sorted(out))


def _record_parties(record: TradeRecord | None) -> list[Party]:
    if isinstance(record, OrderRecord):
        refs = (record.buyer, record.ship_to, record.end_user, record.payer)
    elif isinstance(record, ShipmentRecord):
        refs = (record.shipper, record.consignee, record.intermediate_consignee)
    else:
        refs = ()
    return [ref.party() for ref in refs if ref is not None]


def _parent_party(party: PartyRef, ref: Any) -> Party | None:
    entity = party.entity
    if entity is None or not entity.ultimate_parent_id or entity.ultimate_parent_id == party.entity_id:
        return None
    parent = ref.registry.get(entity.ultimate_parent_id)
    if parent is not None:
        return _party_of_entity(parent)
    if entity.ultimate_parent_country:
        return Party(entity_id=entity.ultimate_parent_id, name=entity.ultimate_parent_id, country=entity.ultimate_parent_country)
    return None


class OverOrderingDetector:
    """Capacity, group, no-capacity, first-time and burst rules over rolling event-time windows."""

    name = "over_ordering"

    def __init__(self) -> None:
        self._parties: dict[str, PartyWindow] = {}
        self._legs: dict[str, int] = {}  # counted shipment_id -> day (a leg reported twice counts once)
        self._latest_day: int | None = None
        self._latest_time: dt.datetime | None = None
        # Derived from the above (rebuilt on load, never stored):
        self._expiry = DueQueue()  # party ids by the oldest day they hold
        self._leg_expiry = DueQueue()  # shipment ids of ``_legs`` by their day
        self._groups = GroupBook()

    # -- Detector protocol ---------------------------------------------------------------

    def observe(self, records: Sequence[TradeRecord], ref: Any) -> list[Finding]:
        findings: list[Finding] = []
        if not records:
            return findings
        t = ref.thresholds["over_ordering"]
        limits = _Limits.of(t)
        self._groups.sync(ref.registry)
        for record in in_event_order(records):
            self._observe(record, ref, t, limits, findings)
        # Only on_reference_change and snapshots read the latest time: once per batch.
        latest = records[-1].event.event_time
        if self._latest_time is None or latest > self._latest_time:
            self._latest_time = latest
        return findings

    def on_reference_change(self, change: Any, ref: Any) -> list[Finding]:
        """Re-judge tracked parties whose registry record changed (capacity, group, type)."""
        if self._latest_time is None or self._latest_day is None:
            return []
        t = ref.thresholds["over_ordering"]
        self._groups.sync(ref.registry)
        findings: list[Finding] = []
        for entity_id in sorted(getattr(change, "entities", ()) or ()):
            window = self._parties.get(entity_id)
            entity = ref.registry.get(entity_id)
            if window is None or entity is None:
                continue
            party = _ref_of_entity(entity)
            if is_resale(party):
                continue
            findings.extend(self._party_rules(party, window, None, self._latest_time, self._latest_day, ref, t))
            findings.extend(self._group_rule(party, None, self._latest_time, self._latest_day, ref, t))
        return findings

    def to_state(self) -> dict[str, Any]:
        return {
            "format": _STATE_FORMAT,
            "latest_day": self._latest_day,
            "latest_time": self._latest_time.isoformat() if self._latest_time else None,
            "parties": {pid: w.to_state() for pid, w in self._parties.items()},
            "legs": dict(self._legs),
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        if state and state.get("format") != _STATE_FORMAT:
            raise ValueError(f"over_ordering: unknown state format {state.get('format')!r}")
        self.__init__()
        if not state:
            return
        self._latest_day = state.get("latest_day")
        latest = state.get("latest_time")
        self._latest_time = dt.datetime.fromisoformat(latest) if latest else None
        self._parties = {pid: PartyWindow.from_state(w) for pid, w in state.get("parties", {}).items()}
        self._legs = {k: int(v) for k, v in state.get("legs", {}).items()}
        for party_id, window in self._parties.items():
            self._expiry.schedule(party_id, window.earliest_day())
        for shipment_id, day in self._legs.items():
            self._leg_expiry.schedule(shipment_id, day)

    @property
    def tracked_parties(self) -> int:
        return len(self._parties)

    # -- one record ----------------------------------------------------------------------

    def _observe(
        self, record: TradeRecord, ref: Any, t: Mapping[str, Any], limits: _Limits, findings: list[Finding]
    ) -> None:
        """One record (the batch's caller updates the latest time)."""
        event = record.event
        day = day_of(event.event_time)
        latest_day = self._latest_day
        if latest_day is None or day > latest_day:
            self._new_day(day, limits)
            latest_day = day
        if isinstance(record, OrderRecord):
            received = False
            party = ordering_party(record)
            accelerators, value = _order_volume(record)
        else:
            received = True
            shipment_id = event.shipment_id
            if shipment_id in self._legs:
                return  # the same leg reported again (exporter and importer's customs)
            party = receiving_party(record)
            accelerators, value = _shipment_volume(record)
            if accelerators > 0:
                self._legs[shipment_id] = day
                self._leg_expiry.schedule(shipment_id, day)
        if party is None:
            return

        party_id = party.entity_id
        window = self._parties.get(party_id)
        if window is None or window.last_day < day - limits.window_days + 1:
            first_time = True
            window = self._parties[party_id] = PartyWindow(first_day=day, last_day=day)
            self._expiry.schedule(party_id, day)
        else:
            first_time = False
            if day > window.last_day:
                window.last_day = day
            if day < latest_day:
                # A late record. Otherwise the window's days are all <= the latest day,
                # so nothing it holds is older than the day it is due at.
                self._expiry.schedule(party_id, day)
        entity = party.entity
        party_type = entity.business_type if entity is not None else None
        if party_type:
            window.business_type = party_type
        if accelerators <= 0:
            return
        window.add(day, accelerators, value, received=received)
        window.note_evidence(day, event.event_id, limits.evidence_per_party)
        if party_type in RESALE_TYPES:
            return  # distributors and resellers buy to resell: no capacity to judge against

        moment = event.event_time
        findings.extend(self._party_rules(party, window, record, moment, day, ref, t))
        if first_time:
            findings.extend(self._first_order_rule(party, record, accelerators, value, day, ref, t))
        findings.extend(self._burst_rule(party, window, record, day, ref, t))
        findings.extend(self._group_rule(party, record, moment, day, ref, t))

    def _new_day(self, day: int, limits: _Limits) -> None:
        """Event time reached a new day: drop what fell out of every window.

        Only parties and legs the expiry queues say hold something older than the new
        window's start are visited: the others would not change."""
        self._latest_day = day
        horizon = day - limits.window_days + 1
        for party_id in self._expiry.pop_before(horizon):
            window = self._parties[party_id]
            if window.last_day < horizon:
                del self._parties[party_id]
            else:
                window.prune(horizon)
                self._expiry.schedule(party_id, window.earliest_day())
        for shipment_id in self._leg_expiry.pop_before(day - limits.leg_dedup_days + 1):
            del self._legs[shipment_id]

    # -- rules ---------------------------------------------------------------------------

    def _finding(
        self,
        pattern: str,
        subject: SubjectParty,
        moment: dt.datetime,
        evidence: Iterable[str],
        flag: str,
        severity: str,
        strength: float,
        summary: str,
        details: dict[str, Any],
        related: tuple[Party, ...],
        ref: Any,
    ) -> Finding:
        details["thresholds_version"] = ref.thresholds.version
        return Finding(
            detector=f"{TYPOLOGY}.{pattern}@{VERSION}",
            typology=TYPOLOGY,
            subject=subject,
            event_time=moment,
            evidence=tuple(sorted(set(evidence))),
            red_flags=(flag,),
            severity=severity,
            score=score_for(severity, strength),
            summary=summary,
            details=details,
            pattern_key=pattern,
            related=related,
        )

    def _party_rules(
        self,
        party: PartyRef,
        window: PartyWindow,
        record: TradeRecord | None,
        moment: dt.datetime,
        day: int,
        ref: Any,
        t: Mapping[str, Any],
    ) -> list[Finding]:
        """Capacity when one is declared, else the no-capacity rule.

        The severity decides first: nearly every call ends there, before anything of
        the finding is built."""
        window_days = int(t["window_days"])
        since = day - window_days + 1
        intake = window.intake(since)
        total, value = intake.accelerators, intake.value
        if total <= 0:
            return []
        capacity = declared_capacity(party)
        if capacity:
            severity = capacity_severity(total, capacity, t)
        else:
            severity = no_capacity_severity(total, party.registered, t)
        if severity is None:
            return []
        subject = party.subject()
        related = _related(party.entity_id, [*_record_parties(record), _parent_party(party, ref)])
        evidence = window.evidence_since(since)
        name = f"{subject.name} ({subject.country})"
        details: dict[str, Any] = {
            "window_days": window_days,
            "accelerators": total,
            "value_usd": value,
            "business_type": business_type(party),
            "registered": party.registered,
            **intake.as_details(),
        }
        if capacity:
            ratio = total / capacity
            details.update(
                declared_capacity=capacity,
                excess=round(ratio - 1.0, 4),
                tolerance=t["tolerance"],
                excess_high=t["excess_high"],
                excess_critical=t["excess_critical"],
            )
            summary = (
                f"{name} ordered and received {fmt_int(total)} {_UNITS} in {window_days} days "
                f"against a declared capacity of {fmt_int(capacity)} ({fmt_pct(ratio)})."
            )
            strength = (ratio - 1.0) / float(t["excess_critical"])
            return [self._finding("capacity", subject, moment, evidence, "OVER_CAPACITY", severity, strength,
                                  summary, details, related, ref)]
        details.update(
            declared_capacity=capacity,
            no_capacity_min_accelerators=t["no_capacity_min_accelerators"],
            no_capacity_high_accelerators=t["no_capacity_high_accelerators"],
        )
        why = "has declared no data-centre capacity" if party.registered else "is not in the registry, so has declared no capacity"
        summary = f"{name} ordered and received {fmt_int(total)} {_UNITS} in {window_days} days but {why}."
        strength = total / (4.0 * float(t["no_capacity_high_accelerators"]))
        return [self._finding("no_capacity", subject, moment, evidence, "NO_DECLARED_CAPACITY", severity, strength,
                              summary, details, related, ref)]

    def _first_order_rule(
        self, party: PartyRef, record: TradeRecord, accelerators: int, value: int, day: int, ref: Any, t: Mapping[str, Any]
    ) -> list[Finding]:
        capacity = declared_capacity(party)
        severity = first_order_severity(accelerators, value, capacity, t)
        if severity is None:
            return []
        subject = party.subject()
        window_days = int(t["window_days"])
        summary = (
            f"{subject.name} ({subject.country}), with no earlier record in {window_days} days, placed a first order "
            f"for {fmt_int(accelerators)} {_UNITS} ({fmt_usd(value)})."
        )
        details = {
            "accelerators": accelerators,
            "value_usd": value,
            "declared_capacity": capacity,
            "window_days": window_days,
            "first_order_min_accelerators": t["first_order_min_accelerators"],
            "first_order_min_value_usd": t["first_order_min_value_usd"],
            "first_order_critical_multiple": t["first_order_critical_multiple"],
        }
        related = _related(party.entity_id, [*_record_parties(record), _parent_party(party, ref)])
        strength = accelerators / (float(t["first_order_min_accelerators"]) * float(t["first_order_critical_multiple"]))
        return [self._finding("first_order", subject, record.time, (record.event_id,), "FIRST_TIME_LARGE_ORDER",
                              severity, strength, summary, details, related, ref)]

    def _burst_rule(
        self, party: PartyRef, window: PartyWindow, record: TradeRecord, day: int, ref: Any, t: Mapping[str, Any]
    ) -> list[Finding]:
        burst_days = int(t["burst_window_days"])
        window_days = int(t["window_days"])
        burst_since = day - burst_days + 1
        burst = window.intake(burst_since)
        accelerators, value = burst.accelerators, burst.value
        if value < float(t["burst_min_value_usd"]):
            return []
        history_since = max(window.first_day, day - window_days + 1)
        span = burst_since - history_since
        if span < int(t["burst_min_history_days"]):
            return []  # no history to burst against: a new party's volume is the first-order rule's
        history_value = window.intake(history_since, burst_since).value
        own_baseline = history_value / span * burst_days
        if value < float(t["burst_history_multiple"]) * own_baseline:
            return []  # usual for this party (checked first: the peer scan is the costly part)
        peer_baseline, peers = self._peer_baseline(party.entity_id, window.business_type, day, t)
        capacity = declared_capacity(party)
        if not burst_verdict(value, accelerators, own_baseline, peer_baseline, t):
            return []
        subject = party.subject()
        own = f"{value / own_baseline:.0f}x its own average for such a period" if own_baseline > 0 else "against almost no earlier volume"
        peer = f"{value / peer_baseline:.0f}x its peers'" if peer_baseline else "with no peers to compare"
        summary = (
            f"{subject.name} ({subject.country}) took {fmt_usd(value)} of controlled data-centre products "
            f"({fmt_int(accelerators)} accelerators) in {burst_days} days, {own} and {peer}."
        )
        details = {
            "burst_window_days": burst_days,
            "value_usd": value,
            "accelerators": accelerators,
            "own_baseline_usd": round(own_baseline, 2),
            "history_days": span,
            **burst.as_details(),
            "peer_baseline_usd": None if peer_baseline is None else round(peer_baseline, 2),
            "peers": peers,
            "peer_business_type": window.business_type,
            "declared_capacity": capacity,
            "burst_min_value_usd": t["burst_min_value_usd"],
            "burst_history_multiple": t["burst_history_multiple"],
            "burst_peer_multiple": t["burst_peer_multiple"],
            "burst_min_history_days": t["burst_min_history_days"],
        }
        related = _related(party.entity_id, [*_record_parties(record), _parent_party(party, ref)])
        strength = value / (10.0 * float(t["burst_min_value_usd"]))
        return [self._finding("burst", subject, record.time, window.evidence_since(burst_since), "ORDER_BURST",
                              "critical", strength, summary, details, related, ref)]

    def _peer_baseline(
        self, party_id: str, peer_type: str | None, day: int, t: Mapping[str, Any]
    ) -> tuple[float | None, int]:
        """The median peer's value per burst window over the trailing year, peers being the
        other parties of the same business type that bought anything in it; ``None`` when
        there are none. The median, because a handful of hyperscalers would drag a mean far
        above what a typical cloud provider buys."""
        window_days = int(t["window_days"])
        since = day - window_days + 1
        values = []
        for other_id, other in self._parties.items():
            if other_id == party_id or other.business_type != peer_type:
                continue
            value = other.intake(since).value
            if value > 0:
                values.append(value)
        if not values:
            return None, 0
        return statistics.median(values) * int(t["burst_window_days"]) / window_days, len(values)

    def _group_rule(
        self, party: PartyRef, record: TradeRecord | None, moment: dt.datetime, day: int, ref: Any, t: Mapping[str, Any]
    ) -> list[Finding]:
        """All of the party's group against the group's combined capacity.

        The group (head, members, capacity) comes from the registry memo; a group with
        no capacity cannot exceed it, so it ends there without reading any window."""
        if not party.registered:
            return []
        group = self._groups.group_of(party.entity_id, ref.registry)
        if group is None or group.capacity <= 0:
            return []
        top, capacity = group.head_id, group.capacity
        since = day - int(t["window_days"]) + 1
        members: list[tuple[Entity, int]] = []
        for entity in group.members:
            window = self._parties.get(entity.entity_id)
            members.append((entity, window.intake(since).accelerators if window is not None else 0))
        contributing = [(e, acc) for e, acc in members if acc > 0]
        if len(contributing) < int(t["group_min_members"]):
            return []
        total = sum(acc for _, acc in contributing)
        severity = capacity_severity(total, capacity, t)
        if severity is None:
            return []
        contributing.sort(key=lambda row: (-row[1], row[0].entity_id))
        head = group.head
        subject = _subject_of_entity(head) if head is not None else _subject_of_entity(contributing[0][0])
        ratio = total / capacity
        window_days = int(t["window_days"])
        shares = ", ".join(f"{e.name} ({e.country}) {fmt_int(acc)}" for e, acc in contributing[:3])
        more = f" and {len(contributing) - 3} more" if len(contributing) > 3 else ""
        summary = (
            f"The {subject.name} group ({subject.country}): {len(contributing)} members ordered and received "
            f"{fmt_int(total)} {_UNITS} in {window_days} days against a combined declared capacity of "
            f"{fmt_int(capacity)} ({fmt_pct(ratio)}): {shares}{more}."
        )
        details = {
            "ultimate_parent_id": top,
            "parent_registered": head is not None,
            "window_days": window_days,
            "accelerators": total,
            "combined_capacity": capacity,
            "excess": round(ratio - 1.0, 4),
            "members": [
                {"entity_id": e.entity_id, "name": e.name, "country": e.country,
                 "accelerators": acc, "declared_capacity": e.declared_capacity_accelerators}
                for e, acc in sorted(members, key=lambda row: row[0].entity_id)
            ],
            "tolerance": t["tolerance"],
            "excess_high": t["excess_high"],
            "excess_critical": t["excess_critical"],
            "group_min_members": t["group_min_members"],
        }
        evidence: list[str] = []
        for entity, _ in contributing:
            window = self._parties.get(entity.entity_id)
            if window is not None:
                evidence.extend(window.evidence_since(since))
        related = _related(subject.entity_id, [_party_of_entity(e) for e, _ in contributing])
        strength = (ratio - 1.0) / float(t["excess_critical"])
        return [self._finding("group_capacity", subject, moment, evidence, "GROUP_OVER_CAPACITY", severity, strength,
                              summary, details, related, ref)]
