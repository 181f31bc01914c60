"""The screening detector: every party on every trade document, against the list, continuously.

Rules (one alert per party and listed entry: pattern key = ``entry_id``; ownership: one
alert per party):

* ``screening.list_match@1`` (LISTED_PARTY_MATCH): the party's name as written, and for
  a registered party its legal name and aliases, match a listed name at or above
  ``[screening] threshold`` (:class:`detectors.screening.ScreeningMatcher`). Critical
  for the lists in ``critical_lists`` (Entity List, Denied Persons, SDN, MEU), high for
  the others (Unverified List).
* ``screening.listed_address@1`` (LISTED_PARTY_ADDRESS): the name matches nothing but
  the address is a listed entry's street address (:mod:`.address`). High, or medium
  for lists outside ``critical_lists``.
* ``screening.listed_owner@1`` (LISTED_PARTY_OWNED): a registered party owned 50 % or
  more, directly or through a chain, by a registry entity that itself matches an entry
  of ``ownership_lists`` (:func:`detectors.screening.listed_owners`, policy from
  ``detectors/screening/data/screening.toml``). The Affiliates Rule applies **by event
  time**: nothing for events before ``affiliates_rule_effective_from``. High; critical
  once the party has received controlled items.

Continuous screening: every party seen is remembered (name, country, address as last
written, its latest event ids). A screening-list change re-screens all of them and
reports matches they did not have before (adding NEWLY_LISTED_PARTY); a registry change
re-checks the changed entities and every remembered party owned through them; the
Affiliates Rule coming into force (event time passing its date) re-checks ownership of
every remembered party. Delisted entries produce nothing new. Findings raised by a
change carry the business time at which the facts became true: the latest event time
seen, or the change's own record time if later; never the wall clock.

Records are handled one at a time in (event time, event id) order and every cache is a
pure memo (:mod:`.screener`), so batch boundaries and restarts (``load_state(to_state())``)
change nothing. A hundred thousand documents bring a few dozen findings, so the path of a
party that matches nothing is kept to remembering it and one memo lookup; summaries,
related parties and findings are built only for a party with something to report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from detectors.alerts import Finding
from detectors.engine.records import LineRecord, OrderRecord, PartyRef, TradeRecord, in_event_order
from detectors.screening import ListedOwner, ScreeningConfig, ScreeningMatch, default_config
from detectors.screening_detector.address import AddressMatch
from detectors.screening_detector.screener import NOTHING, PartyScreener, Typed, Verdict
from schemas import Party, SubjectParty

__all__ = ["ScreeningDetector", "VERSION", "MATCH_DETECTOR", "ADDRESS_DETECTOR", "OWNER_DETECTOR", "OWNER_PATTERN_KEY"]

VERSION = 1
TYPOLOGY = "screening"
MATCH_DETECTOR = f"{TYPOLOGY}.list_match@{VERSION}"
ADDRESS_DETECTOR = f"{TYPOLOGY}.listed_address@{VERSION}"
OWNER_DETECTOR = f"{TYPOLOGY}.listed_owner@{VERSION}"
OWNER_PATTERN_KEY = "listed_owner"
_STATE_FORMAT = 1

ORDER_ROLES = ("seller", "buyer", "ship_to", "end_user", "payer")
SHIPMENT_ROLES = ("shipper", "consignee", "intermediate_consignee", "freight_forwarder")
#: Roles that take delivery of (or are declared to use) the goods.
RECEIVING_ROLES = frozenset({"buyer", "ship_to", "end_user", "consignee", "intermediate_consignee"})
#: The other side of the deal for each role: the alert's ``related`` party.
COUNTERPARTY = {
    "seller": "buyer", "buyer": "seller", "ship_to": "seller", "end_user": "seller", "payer": "seller",
    "shipper": "consignee", "consignee": "shipper", "intermediate_consignee": "shipper", "freight_forwarder": "shipper",
}
LIST_TITLES = {
    "entity_list": "Entity List", "unverified_list": "Unverified List", "military_end_user": "Military End-User List",
    "denied_persons": "Denied Persons List", "sdn": "SDN List", "other": "screening list",
}

#: A document's parties in role order, in one call; and whether each role receives the goods.
_ORDER_PARTIES = attrgetter(*ORDER_ROLES)
_SHIPMENT_PARTIES = attrgetter(*SHIPMENT_ROLES)
_ORDER_RECEIVING = tuple(role in RECEIVING_ROLES for role in ORDER_ROLES)
_SHIPMENT_RECEIVING = tuple(role in RECEIVING_ROLES for role in SHIPMENT_ROLES)


@dataclass(slots=True)
class _Party:
    """What is remembered of a party seen on a document (bounded: ``evidence_per_party`` ids).

    ``evidence`` is an ordered set (a dict's keys keep their insertion order): asking
    whether a document is already in it is a hash probe, not a walk over twenty ids
    scattered in memory, which was most of the cost of seeing a party again.
    """

    name: str
    country: str
    address: str | None
    evidence: dict[str, None] = field(default_factory=dict)
    entries: set[str] = field(default_factory=set)  # listed entries it has been alerted for
    owner: str | None = None  # listed owner it has been alerted for
    receives_controlled: bool = False

    def to_state(self) -> list[Any]:
        return [self.name, self.country, self.address, list(self.evidence), sorted(self.entries), self.owner,
                self.receives_controlled]

    @classmethod
    def from_state(cls, raw: Sequence[Any]) -> _Party:
        name, country, address, evidence, entries, owner, receives = raw
        return cls(str(name), str(country), address, dict.fromkeys(str(e) for e in evidence), set(entries), owner,
                   bool(receives))


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat()


def _document(record: TradeRecord) -> str:
    if isinstance(record, OrderRecord):
        return f"order {record.event.order_id}"
    return f"shipment {record.event.shipment_id}"


def _roles(record: TradeRecord) -> tuple[str, ...]:
    return ORDER_ROLES if isinstance(record, OrderRecord) else SHIPMENT_ROLES


def _parties(record: TradeRecord) -> tuple[PartyRef | None, ...]:
    return _ORDER_PARTIES(record) if isinstance(record, OrderRecord) else _SHIPMENT_PARTIES(record)


def _lines(record: TradeRecord) -> tuple[LineRecord, ...]:
    return record.lines if isinstance(record, OrderRecord) else record.items


class ScreeningDetector:
    """Restricted-party screening of trade documents, with continuous re-screening."""

    name = "screening"

    def __init__(self, config: ScreeningConfig | None = None) -> None:
        self.config = config or default_config()
        self._affiliates = self.config.ownership.affiliates_rule_enabled
        self._parties: dict[str, _Party] = {}
        self._latest: dt.datetime | None = None
        #: When the Affiliates Rule starts to apply (``None``: never), and whether that is
        #: still ahead of ``_latest``: what decides, per event time, that nothing comes
        #: into force now (event times are timezone-aware: ``schemas.Timestamp``).
        self._rule_from = self.config.ownership.in_force_from()
        self._rule_ahead = self._rule_from is not None
        self._screener = PartyScreener(self.config)

    # -- Detector protocol ---------------------------------------------------------------

    def observe(self, records: Sequence[TradeRecord], ref: Any) -> list[Finding]:
        self._screener.sync(ref)
        return self._documents(in_event_order(records), ref)

    def on_reference_change(self, change: Any, ref: Any) -> list[Finding]:
        self._screener.sync(ref)
        if change.screening:
            targets = sorted(self._parties)
        elif change.entities:
            changed = set(change.entities)
            targets = [
                pid for pid in sorted(self._parties)
                if pid in changed or any(parent in changed for parent, _ in ref.registry.ownership_chain(pid))
            ]
        else:
            return []
        findings: list[Finding] = []
        for pid in targets:
            findings.extend(self._rescreen(pid, ref))
        return findings

    def to_state(self) -> dict[str, Any]:
        return {
            "format": _STATE_FORMAT,
            "latest": None if self._latest is None else _iso(self._latest),
            "parties": {pid: self._parties[pid].to_state() for pid in sorted(self._parties)},
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        self._parties, self._latest, self._rule_ahead = {}, None, self._rule_from is not None
        self._screener = PartyScreener(self.config)
        if not state:
            return
        if state.get("format") != _STATE_FORMAT:
            raise ValueError(f"screening: unknown state format {state.get('format')!r}")
        latest = state.get("latest")
        self._latest = None if latest is None else dt.datetime.fromisoformat(latest)
        self._rule_ahead = self._rule_from is not None and (self._latest is None or self._latest < self._rule_from)
        self._parties = {pid: _Party.from_state(raw) for pid, raw in state.get("parties", {}).items()}

    @property
    def tracked_parties(self) -> int:
        return len(self._parties)

    # -- documents -------------------------------------------------------------------------

    def _rule_came_into_force(self, moment: dt.datetime, ref: Any) -> list[Finding]:
        """The Affiliates Rule applies from ``moment`` on and did not before: re-check the
        owners of every party seen."""
        findings: list[Finding] = []
        for pid in sorted(self._parties):
            findings.extend(self._owner_change(pid, ref, moment, again=True))
        return findings

    def _documents(self, records: Sequence[TradeRecord], ref: Any) -> list[Finding]:
        """Each document in turn: move business time on, remember every party on it, and
        build findings only for the few parties with a verdict.

        The detector's hot path (every party of every document), hence one loop over
        locals. A party named in several roles is remembered once, under its first role's
        name, and receives the goods if any of its roles does.
        """
        findings: list[Finding] = []
        screener, remembered, affiliates = self._screener, self._parties, self._affiliates
        limit, verdicts = screener.evidence_per_party, screener.verdicts
        for record in records:
            moment = record.event.event_time
            previous = self._latest
            if previous is None or moment > previous:
                self._latest = moment
                if self._rule_ahead and moment >= self._rule_from:
                    self._rule_ahead = False
                    if previous is not None:
                        findings.extend(self._rule_came_into_force(moment, ref))
            if isinstance(record, OrderRecord):
                parties, receiving = _ORDER_PARTIES(record), _ORDER_RECEIVING
            else:
                parties, receiving = _SHIPMENT_PARTIES(record), _SHIPMENT_RECEIVING
            event_id = record.event.event_id
            controlled: bool | None = None  # whether the document carries controlled items, once asked
            handled: list[str] = []
            reported: list[tuple[PartyRef, _Party, Verdict]] = []
            for receives, party in zip(receiving, parties):
                if party is None:
                    continue
                pid = party.entity_id
                if pid in handled:
                    memory = remembered[pid]
                else:
                    handled.append(pid)
                    memory = remembered.get(pid)
                    if memory is None:
                        memory = remembered[pid] = _Party(party.name, party.country, party.address)
                    else:
                        memory.name, memory.country = party.name, party.country
                        if party.address is not None:
                            memory.address = party.address
                    evidence = memory.evidence
                    if event_id not in evidence:
                        evidence[event_id] = None
                        while len(evidence) > limit:
                            del evidence[next(iter(evidence))]  # the oldest
                    key = (pid, party.name, party.country, party.address)
                    verdict = verdicts.get(key)
                    if verdict is None:
                        verdict = screener.verdict(key, ref)
                    if verdict is not NOTHING:
                        reported.append((party, memory, verdict))
                    elif affiliates:
                        memory.owner = None
                if receives and not memory.receives_controlled:
                    if controlled is None:
                        controlled = any(line.controlled for line in _lines(record))
                    memory.receives_controlled = controlled
            for party, memory, verdict in reported:
                findings.extend(self._document_findings(record, party, memory, verdict, ref))
        return findings

    def _document_findings(self, record: TradeRecord, party: PartyRef, memory: _Party, verdict: Verdict,
                           ref: Any) -> list[Finding]:
        """The findings of a party with a verdict, on the document that named it."""
        by_role = {role: other for role, other in zip(_roles(record), _parties(record)) if other is not None}
        party_roles = [role for role, other in by_role.items() if other.entity_id == party.entity_id]
        related = self._related(party.entity_id, party_roles, by_role)
        typed = (party.name, party.country, party.address)
        where = f"on {_document(record)} as {'/'.join(party_roles)}"
        subject = party.subject()
        findings: list[Finding] = []
        for entry_id in sorted(verdict.matches):
            memory.entries.add(entry_id)
            findings.append(self._match_finding(subject, verdict.matches[entry_id], memory, record.time, ref, typed,
                                                related, where))
        for entry_id in sorted(verdict.addresses):
            memory.entries.add(entry_id)
            findings.append(self._address_finding(subject, verdict.addresses[entry_id], memory, record.time, ref,
                                                  typed, related, where))
        if self._affiliates:
            owners = verdict.owners
            memory.owner = owners[0].owner_id if owners else None
            if owners:
                findings.append(self._owner_finding(subject, owners, memory, record.time, ref, where))
        return findings

    @staticmethod
    def _related(pid: str, roles: list[str], by_role: Mapping[str, PartyRef]) -> tuple[Party, ...]:
        for role in roles:
            other = by_role.get(COUNTERPARTY[role])
            if other is not None and other.entity_id != pid:
                return (other.party(),)
        return ()

    # -- continuous screening --------------------------------------------------------------

    def _subject(self, pid: str, memory: _Party, ref: Any) -> SubjectParty:
        entity = ref.registry.get(pid)
        if entity is not None:
            return SubjectParty(entity_id=pid, name=entity.name, country=entity.country)
        return SubjectParty(entity_id=pid, name=memory.name, country=memory.country)

    def _clock(self, *moments: dt.datetime) -> dt.datetime:
        """When a change's consequence became true: the latest business time seen, or later."""
        candidates = [m for m in (self._latest, *moments) if m is not None]
        return max(candidates)

    def _rescreen(self, pid: str, ref: Any) -> list[Finding]:
        memory = self._parties[pid]
        typed = (memory.name, memory.country, memory.address)
        matches, addresses = self._screener.screen(pid, typed, ref)
        live = ref.screening.entries
        current = set(matches) | set(addresses)
        new = sorted(current - memory.entries)
        memory.entries = {entry_id for entry_id in memory.entries if entry_id in live} | current
        subject = self._subject(pid, memory, ref)
        findings: list[Finding] = []
        for entry_id in new:
            moment = self._clock(live[entry_id].event_time)
            where = f"(seen on {len(memory.evidence)} earlier document(s))"
            if entry_id in matches:
                findings.append(self._match_finding(subject, matches[entry_id], memory, moment, ref, typed, (), where,
                                                    newly=True))
            else:
                findings.append(self._address_finding(subject, addresses[entry_id], memory, moment, ref, typed, (),
                                                      where, newly=True))
        findings.extend(self._owner_change(pid, ref))
        return findings

    def _owner_change(self, pid: str, ref: Any, moment: dt.datetime | None = None, *, again: bool = False) -> list[Finding]:
        """A finding when the party's listed owner is new (ownership or list changed), or
        ``again`` when the rule comes into force (the same alert, at its new severity)."""
        memory = self._parties[pid]
        owners = self._screener.owners(pid, ref)
        if owners:
            owner = owners[0]
            records = [ref.registry.get(entity_id) for entity_id in owner.path]
            entries = [ref.screening.get(match.entry_id) for match in owner.matches]
            moment = self._clock(*(r.event_time for r in (*records, *entries) if r is not None),
                                 *((moment,) if moment else ()))
        if not owners:
            memory.owner = None
            return []
        if owners[0].owner_id == memory.owner and not again:
            return []
        memory.owner = owners[0].owner_id
        return [self._owner_finding(self._subject(pid, memory, ref), owners, memory, moment, ref,
                                    f"(seen on {len(memory.evidence)} earlier document(s))")]

    # -- findings --------------------------------------------------------------------------

    def _severity(self, listed: str, ref: Any, *, top: str, lower: str) -> str:
        return top if listed in ref.thresholds["screening"]["critical_lists"] else lower

    def _common_details(self, ref: Any, memory: _Party, newly: bool) -> dict[str, Any]:
        return {
            "trigger": "list_update" if newly else "document",
            "list_version": ref.screening.version,
            "screening_config_version": self.config.version,
            "thresholds_version": ref.thresholds.version,
            "documents_seen": len(memory.evidence),
        }

    def _entry_details(self, entry_id: str, ref: Any) -> dict[str, Any]:
        entry = ref.screening.get(entry_id)
        return {
            "entry_id": entry_id,
            "entry_event_id": entry.event_id if entry else None,
            "federal_register_notice": entry.federal_register_notice if entry else None,
            "start_date": entry.start_date.isoformat() if entry and entry.start_date else None,
        }

    def _match_finding(self, subject: SubjectParty, match: ScreeningMatch, memory: _Party, moment: dt.datetime,
                       ref: Any, typed: Typed, related: tuple[Party, ...], where: str, *, newly: bool = False
                       ) -> Finding:
        title = LIST_TITLES.get(match.list, match.list)
        return Finding(
            detector=MATCH_DETECTOR,
            typology=TYPOLOGY,
            subject=subject,
            event_time=moment,
            evidence=tuple(memory.evidence),
            red_flags=("LISTED_PARTY_MATCH", "NEWLY_LISTED_PARTY") if newly else ("LISTED_PARTY_MATCH",),
            severity=self._severity(match.list, ref, top="critical", lower="high"),
            score=match.score,
            summary=(f"{typed[0]} ({typed[1]}) {where} {'now ' if newly else ''}matches {title} entry "
                     f"'{match.listed_name}' (score {match.score:.2f}): {match.explanation}"),
            details={
                **self._entry_details(match.entry_id, ref),
                "list": match.list,
                "listed_name": match.listed_name,
                "matched_alias": match.matched_alias,
                "screened_name": typed[0],
                "score": match.score,
                "threshold": float(ref.thresholds["screening"]["threshold"]),
                "explanation": match.explanation,
                "components": dict(match.components),
                **self._common_details(ref, memory, newly),
            },
            pattern_key=match.entry_id,
            related=related,
        )

    def _address_finding(self, subject: SubjectParty, match: AddressMatch, memory: _Party, moment: dt.datetime,
                         ref: Any, typed: Typed, related: tuple[Party, ...], where: str, *, newly: bool = False
                         ) -> Finding:
        title = LIST_TITLES.get(match.list, match.list)
        return Finding(
            detector=ADDRESS_DETECTOR,
            typology=TYPOLOGY,
            subject=subject,
            event_time=moment,
            evidence=tuple(memory.evidence),
            red_flags=("LISTED_PARTY_ADDRESS", "NEWLY_LISTED_PARTY") if newly else ("LISTED_PARTY_ADDRESS",),
            severity=self._severity(match.list, ref, top="high", lower="medium"),
            score=match.score,
            summary=(f"{typed[0]} ({typed[1]}) {where} is at the address of {title} entry "
                     f"'{match.listed_name}' (name not listed): {match.explanation}"),
            details={
                **self._entry_details(match.entry_id, ref),
                "list": match.list,
                "listed_name": match.listed_name,
                "listed_address": match.listed_address,
                "screened_name": typed[0],
                "share_of_address_words": match.score,
                "explanation": match.explanation,
                **self._common_details(ref, memory, newly),
            },
            pattern_key=match.entry_id,
            related=related,
        )

    def _owner_finding(self, subject: SubjectParty, owners: list[ListedOwner], memory: _Party, moment: dt.datetime,
                       ref: Any, where: str) -> Finding:
        owner = owners[0]
        match = owner.matches[0]
        owner_entity = ref.registry.get(owner.owner_id)
        owner_name = owner_entity.name if owner_entity is not None else owner.owner_id
        related = {}
        for entity_id in owner.path[1:]:
            entity = ref.registry.get(entity_id)
            if entity is not None:
                related[entity_id] = Party(entity_id=entity_id, name=entity.name, country=entity.country)
        policy = self.config.ownership
        # Before the Affiliates Rule is in force, ownership by a listed party creates no
        # licence requirement, but it is still what an analyst must see: a medium risk
        # indicator. From the effective date it is a licence matter: high, or critical
        # once the party receives controlled items. Same alert either way (same key).
        in_force = policy.in_force(moment)
        if in_force:
            severity = "critical" if memory.receives_controlled else "high"
            rule = "Affiliates Rule" + (" in force since " + policy.effective_from.isoformat() if policy.effective_from else " in force")
        else:
            severity = "medium"
            rule = "Affiliates Rule not yet in force at this date" + (
                f" (from {policy.effective_from.isoformat()})" if policy.effective_from else ""
            ) + ": a risk indicator, not a licence requirement"
        return Finding(
            detector=OWNER_DETECTOR,
            typology=TYPOLOGY,
            subject=subject,
            event_time=moment,
            evidence=tuple(memory.evidence),
            red_flags=("LISTED_PARTY_OWNED",),
            severity=severity,
            score=match.score,
            summary=(f"{subject.name} ({subject.country}) {where} is {owner.effective_pct:.0f}% owned"
                     f"{' (through ' + str(len(owner.path) - 2) + ' holding(s))' if len(owner.path) > 2 else ''} by "
                     f"{owner_name}, which matches {LIST_TITLES.get(match.list, match.list)} entry "
                     f"'{match.listed_name}' (score {match.score:.2f}); {rule}."),
            details={
                "owner_id": owner.owner_id,
                "owner_name": owner_name,
                "effective_pct": owner.effective_pct,
                "path": list(owner.path),
                "entry_id": match.entry_id,
                "list": match.list,
                "listed_name": match.listed_name,
                "owner_match_explanation": match.explanation,
                "owner_match_components": dict(match.components),
                "other_listed_owners": [o.owner_id for o in owners[1:]],
                "receives_controlled_items": memory.receives_controlled,
                "policy": {
                    "threshold_pct": policy.threshold_pct,
                    "indirect": policy.indirect,
                    "effective_from": policy.effective_from.isoformat() if policy.effective_from else None,
                    "in_force_at_event": in_force,
                    "lists": sorted(ref.thresholds["screening"]["ownership_lists"]),
                },
                **self._common_details(ref, memory, False),
            },
            pattern_key=OWNER_PATTERN_KEY,
            related=tuple(related[k] for k in sorted(related)),
        )
