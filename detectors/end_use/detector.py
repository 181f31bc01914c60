"""The end-use detector: licences that should exist, and the soft signs of a false end use.

Two rule sets, fused into **one end-use alert per subject** (same typology, subject and
pattern key; two detector names, so when both speak at medium or above the alert is
raised one level):

* ``end_use.licence@1``: advanced-computing items going without a licence to a licence
  destination, or to a party headquartered in D:5 or Macau
  (:mod:`detectors.end_use.licence`). **Critical, whatever the quantity**, when a leg's
  licence field says there is none (NLR, a licence exception, a placeholder), or when
  it is absent on a leg into D:5 (where licences are not granted). An absent field
  elsewhere is *unknown*: foreign customs feeds and forwarder EDI do not record US
  licences.
* Orders carry no licence field, so an order that needs a licence **waits**
  ``order_licence_grace_days`` for its legs: a licensed leg clears it, a leg saying
  "no licence" confirms it (critical). When the grace ends and the party never showed
  a licence within ``licensee_memory_days``: high if no leg was seen at all, low if the
  legs came only through feeds that do not record licences (unverifiable is not
  missing). A licensed buyer is never an alert.
* ``end_use.red_flags@1``: soft red flags (:mod:`detectors.end_use.flags`), judged per
  document together with the subject's controlled data-centre volume
  (:mod:`detectors.end_use.scoring`). Fusion unions the flags of every document into
  the subject's alert.

Subjects: for soft flags the declared end user, else the buyer (orders), or the
consignee (legs); for licence findings, the party the licence is due for.

Records are handled one at a time in (event time, event id) order and grace periods
expire on event time only, so batch boundaries never change a decision.

Three records in four carry nothing either rule set looks at (no line of licence scope
on the day, no advanced-computing or data-centre accelerator line): they only move
event time, so they are recognised from their lines first and go no further.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from detectors.alerts import Finding
from detectors.end_use.flags import (
    FlagHit,
    PartyFactsBook,
    controlled_datacenter_accelerators,
    order_flags,
    order_subject,
    relevant_lines,
    shipment_flags,
)
from detectors.end_use.licence import (
    DESTINATION_FLAG,
    HEADQUARTERS_FLAG,
    LicenceNeed,
    LicenceRules,
    line_scope,
    needs_for,
)
from detectors.end_use.scoring import has_track_record, soft_points, soft_severity
from detectors.end_use.vocabulary import Vocabulary, default_vocabulary
from detectors.engine.records import LineRecord, OrderRecord, PartyRef, ShipmentRecord, TradeRecord, in_event_order
from schemas import Party, SubjectParty

__all__ = ["EndUseDetector", "VERSION", "LICENCE_DETECTOR", "RED_FLAGS_DETECTOR", "PATTERN_KEY"]

VERSION = 1
TYPOLOGY = "end_use"
LICENCE_DETECTOR = f"{TYPOLOGY}.licence@{VERSION}"
RED_FLAGS_DETECTOR = f"{TYPOLOGY}.red_flags@{VERSION}"
#: Both rule sets share one alert per subject.
PATTERN_KEY = ""
_STATE_FORMAT = 1
_UNITS = "controlled accelerators"


_UTC = dt.timezone.utc


def _date(moment: dt.datetime) -> dt.date:
    """The UTC date of ``moment``. Decoded UTC timestamps carry ``timezone.utc`` itself,
    whose own date is the UTC date: no conversion for nearly every record."""
    return moment.date() if moment.tzinfo is _UTC else moment.astimezone(_UTC).date()


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _concerns_either_rule(lines: Sequence[LineRecord], date: dt.date) -> bool:
    """Whether any line is of licence scope on ``date`` (``line_scope``) or relevant to the
    soft flags (``relevant_lines``): without one, neither rule set has anything to say
    about the document and its volume is zero."""
    for line in lines:
        if line.controlled or (line.datacenter and line.accelerators > 0):
            return True
        family = line.family
        if family is not None and family.licence_scope_on(date) != "none":
            return True
    return False


def _triple(party: PartyRef) -> list[str]:
    subject = party.subject()
    return [subject.entity_id, subject.name, subject.country]


def _related(subject_id: str, parties: Iterable[PartyRef | None]) -> tuple[Party, ...]:
    out: dict[str, Party] = {}
    for party in parties:
        if party is None or party.entity_id == subject_id:
            continue
        out.setdefault(party.entity_id, party.party())
    return tuple(out[key] for key in sorted(out))


def _licence_text(licence: str | None) -> str:
    return f"licence field {licence!r}" if licence is not None else "no licence recorded"


def _need_reason(need: LicenceNeed) -> str:
    if need.flag == HEADQUARTERS_FLAG:
        return f"its group is headquartered in {need.country}, so a licence is needed wherever it is delivered"
    return f"exports of these items to {need.country} need a licence"


class EndUseDetector:
    """Licence rules and soft end-use red flags, one alert per subject."""

    name = "end_use"

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocabulary = vocabulary or default_vocabulary()
        self._volume: dict[str, list[list[int]]] = {}  # subject -> [[day, accelerators], ...]
        self._licensees: dict[str, int] = {}  # party -> last day a leg to it showed a licence
        self._pending: dict[str, dict[str, Any]] = {}  # order_id -> order awaiting a licensed leg
        self._deadlines: list[tuple[int, str]] = []  # heap of (deadline, order_id); derived from _pending
        # Derived from _pending: receiver entity id -> ids of the orders waiting for a leg to
        # it, so a leg without an order id looks at its receivers' orders, not at every one
        # (at 10M events that scan was half of replay's time).
        self._waiting_for: dict[str, set[str]] = {}
        self._latest_day: int | None = None
        # Derived, so a new day looks only at what may have left its window: a heap of
        # (day, subject) of ``_volume``, each subject once, under its first day or an
        # earlier one; and a day no licensee's is older than.
        self._volume_starts: list[tuple[float, str]] = []
        self._licences_since: float = math.inf
        # Memos (derived, never stored): country answers, and what the flags ask of a party.
        self._licence_rules = LicenceRules()
        self._party_facts = PartyFactsBook(self.vocabulary)

    # -- Detector protocol ---------------------------------------------------------------

    def observe(self, records: Sequence[TradeRecord], ref: Any) -> list[Finding]:
        findings: list[Finding] = []
        if not records:
            return findings
        t = ref.thresholds["end_use"]
        self._licence_rules.sync(ref)
        for record in in_event_order(records):
            self._observe(record, ref, t, findings)
        return findings

    def on_reference_change(self, change: Any, ref: Any) -> list[Finding]:
        """Registry changes affect later documents only: each document is judged with the
        registry as of its time, as the exporter would have judged it."""
        return []

    def to_state(self) -> dict[str, Any]:
        return {
            "format": _STATE_FORMAT,
            "latest_day": self._latest_day,
            "volume": {sid: [list(v) for v in days] for sid, days in self._volume.items()},
            "licensees": dict(self._licensees),
            "pending": {oid: dict(p) for oid, p in self._pending.items()},
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        if not state:
            self.__init__(self.vocabulary)
            return
        if state.get("format") != _STATE_FORMAT:
            raise ValueError(f"end_use: unknown state format {state.get('format')!r}")
        self._latest_day = state.get("latest_day")
        self._volume = {sid: [[int(d), int(a)] for d, a in days] for sid, days in state.get("volume", {}).items()}
        self._licensees = {pid: int(day) for pid, day in state.get("licensees", {}).items()}
        self._pending = {oid: dict(p) for oid, p in state.get("pending", {}).items()}
        self._deadlines = sorted((int(p["dl"]), oid) for oid, p in self._pending.items())
        self._waiting_for = {}
        for oid, pending in self._pending.items():
            for receiver in pending["r"]:
                self._waiting_for.setdefault(receiver, set()).add(oid)
        self._volume_starts = sorted((days[0][0] if days else -math.inf, sid) for sid, days in self._volume.items())
        self._licences_since = min(self._licensees.values(), default=math.inf)

    @property
    def tracked_parties(self) -> int:
        return len(set(self._volume) | set(self._licensees)) + len(self._pending)

    # -- one record ----------------------------------------------------------------------

    def _observe(self, record: TradeRecord, ref: Any, t: Mapping[str, Any], findings: list[Finding]) -> None:
        moment = record.event.event_time
        date = _date(moment)
        day = date.toordinal()
        if self._latest_day is None or day > self._latest_day:
            self._advance(day, t)
        if self._deadlines and self._deadlines[0][0] < int(moment.timestamp()):  # _epoch, inline: every record asks
            findings.extend(self._expire(moment, ref, t))
        if isinstance(record, OrderRecord):
            if _concerns_either_rule(record.lines, date):
                findings.extend(self._order_licence(record, date, ref, t))
                findings.extend(self._order_flags(record, day, ref, t))
        elif _concerns_either_rule(record.items, date):
            findings.extend(self._shipment_licence(record, date, day, ref, t))
            findings.extend(self._shipment_flags(record, day, ref, t))

    def _advance(self, day: int, t: Mapping[str, Any]) -> None:
        """A new event day: forget volume and licences that fell out of their windows.

        A subject's volume is pruned when its first day left the window (later days of a
        late record's are not looked at before that); only subjects queued under such a
        first day are visited."""
        self._latest_day = day
        since = day - int(t["volume_window_days"]) + 1
        starts = self._volume_starts
        while starts and starts[0][0] < since:
            _, subject_id = heapq.heappop(starts)
            days = self._volume[subject_id]
            if days and days[0][0] >= since:  # queued under an earlier day (a loaded empty list since filled)
                heapq.heappush(starts, (days[0][0], subject_id))
                continue
            kept = [v for v in days if v[0] >= since]
            if kept:
                self._volume[subject_id] = kept
                heapq.heappush(starts, (kept[0][0], subject_id))
            else:
                del self._volume[subject_id]
        licence_since = day - int(t["licensee_memory_days"]) + 1
        if self._licences_since < licence_since:
            self._licensees = {pid: d for pid, d in self._licensees.items() if d >= licence_since}
            self._licences_since = min(self._licensees.values(), default=math.inf)

    # -- licence -------------------------------------------------------------------------

    def _licence_finding(
        self,
        subject: SubjectParty,
        moment: dt.datetime,
        evidence: Iterable[str],
        flags: Iterable[str],
        severity: str,
        summary: str,
        details: dict[str, Any],
        related: tuple[Party, ...],
        ref: Any,
    ) -> Finding:
        details["thresholds_version"] = ref.thresholds.version
        details["country_groups_version"] = ref.countries.version
        details["catalogue_version"] = ref.catalogue.version
        details["vocabulary_version"] = self.vocabulary.version
        return Finding(
            detector=LICENCE_DETECTOR,
            typology=TYPOLOGY,
            subject=subject,
            event_time=moment,
            evidence=tuple(sorted(set(evidence))),
            red_flags=tuple(sorted(set(flags))),
            severity=severity,
            score={"critical": 0.95, "high": 0.8, "medium": 0.6}.get(severity, 0.35),
            summary=summary,
            details=details,
            pattern_key=PATTERN_KEY,
            related=related,
        )

    def _order_licence(self, order: OrderRecord, date: dt.date, ref: Any, t: Mapping[str, Any]) -> list[Finding]:
        """Remember an order that needs a licence until its legs show one (or the grace ends)."""
        destination = [p for p in (order.end_user, order.ship_to) if p is not None]
        headquarters = [p for p in (order.end_user, order.ship_to, order.buyer) if p is not None]
        needs = needs_for(order.lines, date, destination, (), headquarters, ref, self._licence_rules)
        order_id = order.event.order_id
        if not needs or order_id in self._pending:
            return []  # nothing needed, or a re-sent order already waiting
        rank = {party.entity_id: i for i, party in enumerate(headquarters)}
        lead = min(needs, key=lambda n: (rank.get(n.party.entity_id, len(rank)), n.flag))
        grace = dt.timedelta(days=int(t["order_licence_grace_days"]))
        heapq.heappush(self._deadlines, (_epoch(order.time + grace), order_id))
        self._wait(order_id, {
            "dl": _epoch(order.time + grace),
            "t": order.time.isoformat(),
            "e": order.event_id,
            "s": _triple(lead.party),
            "f": sorted({n.flag for n in needs}),
            "c": sorted({n.country for n in needs}),
            "a": max(n.accelerators for n in needs),
            "p": sorted({p for n in needs for p in n.products}),
            "r": sorted({n.party.entity_id for n in needs} | {p.entity_id for p in destination}),
            "rel": [list(t) for t in sorted({tuple(_triple(p)) for p in (order.buyer, order.ship_to, order.end_user, order.payer) if p is not None})],
            "u": 0,  # legs seen whose licence the feed does not record
        })
        return []

    def _wait(self, order_id: str, pending: dict[str, Any]) -> None:
        self._pending[order_id] = pending
        for receiver in pending["r"]:
            self._waiting_for.setdefault(receiver, set()).add(order_id)

    def _stop_waiting(self, order_id: str) -> dict[str, Any]:
        pending = self._pending.pop(order_id)
        for receiver in pending["r"]:
            waiting = self._waiting_for[receiver]
            waiting.discard(order_id)
            if not waiting:
                del self._waiting_for[receiver]
        return pending

    def _holds_licence(self, party_ids: Iterable[str]) -> bool:
        return any(pid in self._licensees for pid in party_ids)

    def _expire(self, now: dt.datetime, ref: Any, t: Mapping[str, Any]) -> list[Finding]:
        """Orders whose grace ended before ``now``: high, unless the party holds a licence."""
        cutoff = _epoch(now)
        due: list[tuple[int, str]] = []
        while self._deadlines and self._deadlines[0][0] < cutoff:
            deadline, order_id = heapq.heappop(self._deadlines)
            pending = self._pending.get(order_id)
            if pending is None or pending["dl"] != deadline:
                continue  # resolved earlier (lazy deletion)
            if due and due[-1] == (deadline, order_id):
                continue  # pushed twice: resolved, then waiting again with the same deadline
            due.append((deadline, order_id))
        findings: list[Finding] = []
        days = int(t["order_licence_grace_days"])
        for _, order_id in due:
            pending = self._stop_waiting(order_id)
            if self._holds_licence(pending["r"]):
                continue
            if pending["u"]:
                # Shipped, but only through feeds that do not record licences: unverifiable, not missing.
                outcome = f"and its legs within {days} days came through feeds that record no licence"
                findings.append(self._pending_finding(pending, None, "low", outcome, ref, t))
            else:
                outcome = f"and no leg with a licence followed within {days} days"
                findings.append(self._pending_finding(pending, None, "high", outcome, ref, t))
        return findings

    def _pending_finding(
        self, pending: Mapping[str, Any], leg: ShipmentRecord | None, severity: str, outcome: str, ref: Any, t: Mapping[str, Any]
    ) -> Finding:
        subject = SubjectParty(entity_id=pending["s"][0], name=pending["s"][1], country=pending["s"][2])
        why = (
            f"group headquartered in {', '.join(pending['c'])}"
            if pending["f"] == [HEADQUARTERS_FLAG]
            else f"for {', '.join(pending['c'])}"
        )
        summary = (
            f"{subject.name} ({subject.country}) ordered {pending['a']:,} {_UNITS} ({', '.join(pending['p'])}) "
            f"that need a licence ({why}) {outcome}."
        )
        evidence = [pending["e"]] + ([leg.event_id] if leg is not None else [])
        details: dict[str, Any] = {
            "rule": "order",
            "order_event_id": pending["e"],
            "licence_countries": pending["c"],
            "accelerators": pending["a"],
            "products": pending["p"],
            "legs_with_unrecorded_licence": pending["u"],
            "order_licence_grace_days": t["order_licence_grace_days"],
            "licensee_memory_days": t["licensee_memory_days"],
        }
        if leg is not None:
            details.update(shipment_id=leg.event.shipment_id, license=leg.event.license)
        related = tuple(
            Party(entity_id=pid, name=name, country=country)
            for pid, name, country in pending.get("rel", ())
            if pid != subject.entity_id
        )
        return self._licence_finding(subject, dt.datetime.fromisoformat(pending["t"]), evidence, pending["f"], severity,
                                     summary, details, related, ref)

    def _absent_means_none(self, country: str, ref: Any) -> bool:
        return any(ref.countries.in_group(country, group) for group in self.vocabulary.absent_is_none_in_groups)

    def _shipment_licence(
        self, leg: ShipmentRecord, date: dt.date, day: int, ref: Any, t: Mapping[str, Any]
    ) -> list[Finding]:
        if not any(line_scope(item, date) != "none" for item in leg.items):
            return []
        event = leg.event
        status = self.vocabulary.licence_status(event.license)
        receivers = [p for p in (leg.consignee, leg.intermediate_consignee) if p is not None]
        if status == "licensed":
            for party in receivers:
                self._licensees[party.entity_id] = day
            self._licences_since = min(self._licences_since, day)
        findings: list[Finding] = []

        # Orders waiting for this leg: by order id, or (legs without one) by party.
        linked = self._pending.get(event.order_id) if event.order_id is not None else None
        if linked is not None:
            if status == "unknown":
                linked["u"] += 1
            else:
                self._stop_waiting(event.order_id)
                if status == "none":
                    outcome = f"and leg {event.shipment_id} shipped them with {_licence_text(event.license)}"
                    findings.append(self._pending_finding(linked, leg, "critical", outcome, ref, t))
        elif event.order_id is None:
            # A leg without an order id (feeds drop it) to a party with orders waiting:
            # most likely their delivery, so it counts for them.
            waiting_ids = set().union(*(self._waiting_for.get(p.entity_id, ()) for p in receivers))
            for order_id in sorted(waiting_ids):
                waiting = self._pending[order_id]
                if status == "unknown":
                    waiting["u"] += 1
                    continue
                self._stop_waiting(order_id)
                if status == "none":
                    outcome = f"and leg {event.shipment_id} to it carried {_licence_text(event.license)}"
                    findings.append(self._pending_finding(waiting, leg, "critical", outcome, ref, t))

        if status == "licensed":
            return findings
        needs = needs_for(leg.items, date, (), [(leg.consignee, event.destination_country)], receivers, ref,
                          self._licence_rules)
        for need in needs:
            if status == "unknown" and not (need.flag == DESTINATION_FLAG and self._absent_means_none(need.country, ref)):
                continue  # the feed does not record licences: nothing to judge on this leg alone
            findings.append(self._leg_finding(leg, need, ref))
        return findings

    def _leg_finding(self, leg: ShipmentRecord, need: LicenceNeed, ref: Any) -> Finding:
        event = leg.event
        subject = need.party.subject()
        summary = (
            f"{subject.name} ({subject.country}) received {need.accelerators:,} {_UNITS} "
            f"({', '.join(need.products)}) on leg {event.shipment_id} to {event.destination_country} with "
            f"{_licence_text(event.license)}; {_need_reason(need)}."
        )
        details = {
            "rule": "headquarters" if need.flag == HEADQUARTERS_FLAG else "destination",
            "shipment_id": event.shipment_id,
            "order_id": event.order_id,
            "license": event.license,
            "destination_country": event.destination_country,
            "licence_country": need.country,
            "licence_scope": need.scope,
            "accelerators": need.accelerators,
            "products": list(need.products),
            "source": event.source,
        }
        related = _related(need.party.entity_id, [leg.shipper, leg.consignee, leg.intermediate_consignee, leg.freight_forwarder])
        return self._licence_finding(subject, leg.time, (leg.event_id,), (need.flag,), "critical", summary, details,
                                     related, ref)

    # -- soft red flags ------------------------------------------------------------------

    def _add_volume(self, party_id: str, day: int, accelerators: int, create: bool) -> None:
        """Add to a subject's daily volume (tracked from its first relevant order, or first flag)."""
        days = self._volume.get(party_id)
        if days is None:
            if not create or accelerators <= 0:
                return
            days = self._volume[party_id] = []
            heapq.heappush(self._volume_starts, (day, party_id))
        if accelerators > 0:
            if days and days[-1][0] == day:
                days[-1][1] += accelerators
            else:
                days.append([day, accelerators])

    def _volume_of(self, party_id: str) -> int:
        return sum(acc for _, acc in self._volume.get(party_id, ()))

    def _order_flags(self, order: OrderRecord, day: int, ref: Any, t: Mapping[str, Any]) -> list[Finding]:
        if not relevant_lines(order.lines):
            return []
        subject = order_subject(order, self.vocabulary, self._party_facts)
        hits = order_flags(order, ref, self.vocabulary, t, self._party_facts)
        document = controlled_datacenter_accelerators(order.lines)
        self._add_volume(subject.entity_id, day, document, create=True)
        if not hits:
            return []
        return self._soft_finding(subject, hits, order.time, order.event_id, document, self._volume_of(subject.entity_id),
                                  [order.buyer, order.ship_to, order.end_user, order.payer], ref, t)

    def _shipment_flags(self, leg: ShipmentRecord, day: int, ref: Any, t: Mapping[str, Any]) -> list[Finding]:
        hits = shipment_flags(leg, self.vocabulary)
        document = controlled_datacenter_accelerators(leg.items)
        self._add_volume(leg.consignee.entity_id, day, document, create=bool(hits))
        if not hits:
            return []
        return self._soft_finding(leg.consignee, hits, leg.time, leg.event_id, document,
                                  self._volume_of(leg.consignee.entity_id),
                                  [leg.shipper, leg.intermediate_consignee, leg.freight_forwarder], ref, t)

    def _soft_finding(
        self,
        party: PartyRef,
        hits: list[FlagHit],
        moment: dt.datetime,
        event_id: str,
        document: int,
        volume: int,
        others: list[PartyRef | None],
        ref: Any,
        t: Mapping[str, Any],
    ) -> list[Finding]:
        """The document's soft finding, if its flags together are worth one; ``others``
        (the document's other parties) become the related parties only then."""
        reasons: dict[str, str] = {}
        for hit in hits:
            reasons.setdefault(hit.code, hit.reason)
        codes = sorted(reasons)
        verdict = soft_severity(codes, volume, self.vocabulary, t, document=document)
        if verdict is None:
            return []
        severity, score = verdict
        points, strong, weak = soft_points(codes, self.vocabulary)
        subject = party.subject()
        related = _related(party.entity_id, others)
        described = "; ".join(f"{ref.red_flags.get(code).title.lower()} ({reasons[code]})" for code in codes)
        count = f"{len(codes)} end-use red flag{'s' if len(codes) != 1 else ''}"
        summary = (
            f"{subject.name} ({subject.country}): {count} on a document for controlled data-centre products "
            f"({volume:,} accelerators in {t['volume_window_days']} days): {described}."
        )
        details = {
            "flags": reasons,
            "flag_parties": {hit.code: hit.party_id for hit in hits},
            "points": points,
            "strong_flags": strong,
            "weak_flags": weak,
            "accelerators": volume,
            "document_accelerators": document,
            "track_record": has_track_record(codes, document, volume, t),
            "min_points": t["min_points"],
            "min_weak_flags": t["min_weak_flags"],
            "no_track_record_min_accelerators": t["no_track_record_min_accelerators"],
            "no_track_record_share": t["no_track_record_share"],
            "min_accelerators": t["min_accelerators"],
            "medium_weak_flags": t["medium_weak_flags"],
            "high_points": t["high_points"],
            "critical_strong_flags": t["critical_strong_flags"],
            "volume_window_days": t["volume_window_days"],
            "vocabulary_version": self.vocabulary.version,
            "thresholds_version": ref.thresholds.version,
        }
        return [Finding(
            detector=RED_FLAGS_DETECTOR,
            typology=TYPOLOGY,
            subject=subject,
            event_time=moment,
            evidence=(event_id,),
            red_flags=tuple(codes),
            severity=severity,
            score=score,
            summary=summary,
            details=details,
            pattern_key=PATTERN_KEY,
            related=related,
        )]
