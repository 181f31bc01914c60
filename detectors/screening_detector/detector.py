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
pure memo, so batch boundaries and restarts (``load_state(to_state())``) change nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from detectors.alerts import Finding
from detectors.engine.records import OrderRecord, PartyRef, TradeRecord
from detectors.screening import ListedOwner, ScreeningConfig, ScreeningMatch, ScreeningMatcher, default_config
from detectors.screening import listed_owners
from detectors.screening_detector.address import AddressMatch, ListedAddresses
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

_Typed = tuple[str, str, str | None]  # (name, country, address) as written
_Screened = tuple[dict[str, ScreeningMatch], dict[str, AddressMatch]]  # by entry id: name matches, address matches


@dataclass(slots=True)
class _Party:
    """What is remembered of a party seen on a document (bounded: ``evidence_per_party`` ids)."""

    name: str
    country: str
    address: str | None
    evidence: list[str] = field(default_factory=list)
    entries: set[str] = field(default_factory=set)  # listed entries it has been alerted for
    owner: str | None = None  # listed owner it has been alerted for
    receives_controlled: bool = False

    def to_state(self) -> list[Any]:
        return [self.name, self.country, self.address, list(self.evidence), sorted(self.entries), self.owner,
                self.receives_controlled]

    @classmethod
    def from_state(cls, raw: Sequence[Any]) -> _Party:
        name, country, address, evidence, entries, owner, receives = raw
        return cls(str(name), str(country), address, [str(e) for e in evidence], set(entries), owner, bool(receives))


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat()


def _document(record: TradeRecord) -> str:
    if isinstance(record, OrderRecord):
        return f"order {record.event.order_id}"
    return f"shipment {record.event.shipment_id}"


class ScreeningDetector:
    """Restricted-party screening of trade documents, with continuous re-screening."""

    name = "screening"

    def __init__(self, config: ScreeningConfig | None = None) -> None:
        self.config = config or default_config()
        self._parties: dict[str, _Party] = {}
        self._latest: dt.datetime | None = None
        self._reset_caches()

    def _reset_caches(self) -> None:
        self._list: Any = None
        self._version: str | None = None
        self._matcher: ScreeningMatcher | None = None
        self._addresses: ListedAddresses | None = None
        self._memo: dict[tuple, _Screened] = {}

    # -- Detector protocol ---------------------------------------------------------------

    def observe(self, records: Sequence[TradeRecord], ref: Any) -> list[Finding]:
        self._sync(ref)
        findings: list[Finding] = []
        for record in sorted(records, key=lambda r: (r.time, r.event_id)):
            findings.extend(self._advance(record.time, ref))
            findings.extend(self._observe(record, ref))
        return findings

    def on_reference_change(self, change: Any, ref: Any) -> list[Finding]:
        self._sync(ref)
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
        self._parties, self._latest = {}, None
        self._reset_caches()
        if not state:
            return
        if state.get("format") != _STATE_FORMAT:
            raise ValueError(f"screening: unknown state format {state.get('format')!r}")
        latest = state.get("latest")
        self._latest = None if latest is None else dt.datetime.fromisoformat(latest)
        self._parties = {pid: _Party.from_state(raw) for pid, raw in state.get("parties", {}).items()}

    @property
    def tracked_parties(self) -> int:
        return len(self._parties)

    # -- the list, the matcher and the memo --------------------------------------------

    def _sync(self, ref: Any) -> None:
        """Follow ``ref.screening``: a new list object or version empties every memo."""
        if self._list is not ref.screening:
            settings = ref.thresholds["screening"]
            self._list = ref.screening
            self._matcher = ScreeningMatcher(ref.screening, self.config)
            self._addresses = ListedAddresses(self.config.evidence, float(settings["address_min_share"]),
                                              int(settings["address_min_evidence"]), self.config.match.cache_size)
            self._version = None
        if self._version != ref.screening.version:
            self._version = ref.screening.version
            self._memo.clear()
            self._addresses.sync(ref.screening)

    def _names(self, pid: str, typed: _Typed | None, ref: Any) -> list[_Typed]:
        """What to screen: the name as written, then the registry's legal name and aliases."""
        names: list[_Typed] = [typed] if typed is not None else []
        entity = ref.registry.get(pid)
        if entity is not None:
            names.append((entity.name, entity.country, entity.address))
            names.extend((alias, entity.country, entity.address) for alias in entity.aliases or ())
        return list(dict.fromkeys(names))

    def _screen(self, pid: str, typed: _Typed | None, ref: Any) -> _Screened:
        """Best name match and best address match per listed entry over the party's names
        (an entry matched by name is not repeated by address). Memo per list version."""
        entity = ref.registry.get(pid)
        key = (pid, typed, entity.event_id if entity is not None else None)
        found = self._memo.get(key)
        if found is None:
            cut = float(ref.thresholds["screening"]["threshold"])
            names: dict[str, ScreeningMatch] = {}
            addresses: dict[str, AddressMatch] = {}
            for name, country, address in self._names(pid, typed, ref):
                for match in self._matcher.match(name, country, address, threshold=cut):
                    if match.entry_id not in names or match.score > names[match.entry_id].score:
                        names[match.entry_id] = match
                for hit in self._addresses.match(address, country):
                    if hit.entry_id not in addresses or hit.score > addresses[hit.entry_id].score:
                        addresses[hit.entry_id] = hit
            found = (names, {entry_id: hit for entry_id, hit in addresses.items() if entry_id not in names})
            if len(self._memo) >= self.config.match.cache_size:
                self._memo.clear()
            self._memo[key] = found
        return found

    def _owners(self, pid: str, ref: Any) -> list[ListedOwner]:
        """Listed owners under the policy, whatever the date (callers check it is in force)."""
        policy = self.config.ownership
        if not policy.affiliates_rule_enabled or ref.registry.get(pid) is None:
            return []
        lists = set(ref.thresholds["screening"]["ownership_lists"])
        matches: dict[str, list[ScreeningMatch]] = {}
        for parent, _ in ref.registry.ownership_chain(pid):
            found = sorted((m for m in self._screen(parent, None, ref)[0].values() if m.list in lists),
                           key=lambda m: (-m.score, m.entry_id))
            if found:
                matches[parent] = found
        if not matches:
            return []
        return listed_owners(pid, ref.registry, matches, dataclasses.replace(policy, effective_from=None))

    # -- documents -------------------------------------------------------------------------

    def _advance(self, moment: dt.datetime, ref: Any) -> list[Finding]:
        """Move business time on; when the Affiliates Rule comes into force, re-check owners."""
        previous = self._latest
        if previous is not None and moment <= previous:
            return []
        self._latest = moment
        policy = self.config.ownership
        if previous is None or policy.in_force(previous) or not policy.in_force(moment):
            return []
        findings: list[Finding] = []
        for pid in sorted(self._parties):
            findings.extend(self._owner_change(pid, ref, moment, again=True))
        return findings

    def _observe(self, record: TradeRecord, ref: Any) -> list[Finding]:
        roles = ORDER_ROLES if isinstance(record, OrderRecord) else SHIPMENT_ROLES
        lines = record.lines if isinstance(record, OrderRecord) else record.items
        controlled = any(line.controlled for line in lines)
        by_role = {role: getattr(record, role) for role in roles if getattr(record, role) is not None}
        by_party: dict[str, list[str]] = {}
        for role, party in by_role.items():
            by_party.setdefault(party.entity_id, []).append(role)
        limit = int(ref.thresholds["screening"]["evidence_per_party"])
        findings: list[Finding] = []
        for pid, party_roles in by_party.items():
            party = by_role[party_roles[0]]
            memory = self._remember(pid, party, record, limit, controlled and bool(RECEIVING_ROLES & set(party_roles)))
            related = self._related(pid, party_roles, by_role)
            typed = (party.name, party.country, party.address)
            where = f"on {_document(record)} as {'/'.join(party_roles)}"
            matches, addresses = self._screen(pid, typed, ref)
            for entry_id in sorted(matches):
                memory.entries.add(entry_id)
                findings.append(self._match_finding(party.subject(), matches[entry_id], memory, record.time, ref,
                                                    typed, related, where))
            for entry_id in sorted(addresses):
                memory.entries.add(entry_id)
                findings.append(self._address_finding(party.subject(), addresses[entry_id], memory, record.time, ref,
                                                       typed, related, where))
            if self.config.ownership.affiliates_rule_enabled:
                owners = self._owners(pid, ref)
                memory.owner = owners[0].owner_id if owners else None
                if owners:
                    findings.append(self._owner_finding(party.subject(), owners, memory, record.time, ref, where))
        return findings

    def _remember(self, pid: str, party: PartyRef, record: TradeRecord, limit: int, receives: bool) -> _Party:
        memory = self._parties.get(pid)
        if memory is None:
            memory = self._parties[pid] = _Party(party.name, party.country, party.address)
        else:
            memory.name, memory.country = party.name, party.country
            memory.address = party.address if party.address is not None else memory.address
        if record.event_id not in memory.evidence:
            memory.evidence.append(record.event_id)
            del memory.evidence[:-limit]
        memory.receives_controlled = memory.receives_controlled or receives
        return memory

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
        matches, addresses = self._screen(pid, typed, ref)
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
        owners = self._owners(pid, ref)
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
                       ref: Any, typed: _Typed, related: tuple[Party, ...], where: str, *, newly: bool = False
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
                         ref: Any, typed: _Typed, related: tuple[Party, ...], where: str, *, newly: bool = False
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
