"""What screening concludes about a party, as of the reference state, memoised.

The detector asks about every party on every document, and almost every answer is
"nothing to report": a hundred thousand documents bring a few dozen findings. Each
conclusion is a pure function of a few facts, so it is computed once and then looked up:

* ``screen``: the party's name and address matches, a function of its id, its name as
  typed, its registry record (the record's event id: a registry change elsewhere keeps
  the answer) and the list's version. The registry record's own names are screened once
  per record, not again with every spelling of the party on a document.
* ``owners``: its listed owners, a function of the ownership chain and the parents'
  matches, so of the whole registry's version and the list's version.
* ``verdict``: both at once per (id, name, country, address) as typed on a document,
  or :data:`NOTHING`; what the detector looks up for every party it sees.

Every memo is emptied when the list, its version or the thresholds change; the owner and
verdict memos also when the registry's version does (a digest of its content, so an
unchanged registry keeps them). Each is bounded, by ``[match] cache_size`` or, for the
two keyed by a party as typed, by the population of spellings a long history brings
(``detectors.memo.SPELLINGS_CAPACITY``, when larger), and forgets its older half when
full (``detectors.memo``), so hostile input cannot grow memory without limit. Callers
``sync`` once per batch: reference records never arrive in the middle of one.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

from detectors.memo import SPELLINGS_CAPACITY, make_room
from detectors.screening import ListedOwner, ScreeningConfig, ScreeningMatch, ScreeningMatcher, listed_owners
from detectors.screening_detector.address import AddressMatch, ListedAddresses

__all__ = ["PartyScreener", "Verdict", "NOTHING", "Typed", "VerdictKey"]

Typed = tuple[str, str, str | None]  # (name, country, address) as written
VerdictKey = tuple[str, str, str, str | None]  # (entity id, name, country, address)
_Screened = tuple[list[ScreeningMatch], tuple[AddressMatch, ...]]  # one name's matches and address hits


class Verdict(NamedTuple):
    """A party's matches by entry id (an entry matched by name is not repeated by
    address) and its listed owners (empty when the Affiliates Rule is switched off)."""

    matches: dict[str, ScreeningMatch]
    addresses: dict[str, AddressMatch]
    owners: list[ListedOwner]


#: The verdict of almost every party: nothing matches, nobody listed owns it.
NOTHING = Verdict({}, {}, [])
#: What ``screen`` remembers for a party nothing matches: ``NOTHING``'s own empty dicts
#: (read, never changed, by callers).
_NOTHING_SCREENED: tuple[dict[str, ScreeningMatch], dict[str, AddressMatch]] = (NOTHING.matches, NOTHING.addresses)


class PartyScreener:
    """The list, the name matcher, the address index and the memos over them."""

    def __init__(self, config: ScreeningConfig) -> None:
        self.config = config
        self._cache_size = config.match.cache_size
        self._spellings_size = max(self._cache_size, SPELLINGS_CAPACITY)  # ``verdicts`` and ``_screened``
        self._affiliates = config.ownership.affiliates_rule_enabled
        #: Verdicts by :data:`VerdictKey`: the detector looks them up itself, and calls
        #: :meth:`verdict` only for a party it has not seen as typed since the last change.
        self.verdicts: dict[VerdictKey, Verdict] = {}
        self._screened: dict[tuple[str, Typed | None, str | None], tuple[dict[str, ScreeningMatch],
                                                                         dict[str, AddressMatch]]] = {}
        self._by_record: dict[tuple[str, str], tuple[_Screened, ...]] = {}
        self._owners: dict[str, list[ListedOwner]] = {}
        self._list: Any = None
        self._thresholds: Any = None
        self._list_version: str | None = None
        self._registry_version: str | None = None
        self._matcher: ScreeningMatcher | None = None
        self._addresses: ListedAddresses | None = None
        self._cut = 0.0
        self._ownership_lists: frozenset[str] = frozenset()
        self.evidence_per_party = 0

    def sync(self, ref: Any) -> None:
        """Follow the reference state: drop whatever memo it may have made stale."""
        screening, thresholds = ref.screening, ref.thresholds
        if self._list is not screening or self._thresholds is not thresholds:
            settings = thresholds["screening"]
            self._list, self._thresholds = screening, thresholds
            self._matcher = ScreeningMatcher(screening, self.config)
            self._addresses = ListedAddresses(self.config.evidence, float(settings["address_min_share"]),
                                              int(settings["address_min_evidence"]), self._cache_size)
            self._cut = float(settings["threshold"])
            self._ownership_lists = frozenset(settings["ownership_lists"])
            self.evidence_per_party = int(settings["evidence_per_party"])
            if self.evidence_per_party < 1:
                raise ValueError("screening: evidence_per_party must be at least 1")
            self._list_version = None
        registry_version = ref.registry.version
        if self._list_version != screening.version:
            self._list_version = screening.version
            self._addresses.sync(screening)
            self._screened.clear()
            self._by_record.clear()
            self._registry_version = None  # owners and verdicts rest on the matches too
        if self._registry_version != registry_version:
            self._registry_version = registry_version
            self._owners.clear()
            self.verdicts.clear()

    def verdict(self, key: VerdictKey, ref: Any) -> Verdict:
        """What screening concludes about a party as typed on a document (memoised)."""
        pid, name, country, address = key
        matches, addresses = self.screen(pid, (name, country, address), ref)
        owners = self.owners(pid, ref) if self._affiliates else []
        found = Verdict(matches, addresses, owners) if matches or addresses or owners else NOTHING
        make_room(self.verdicts, self._spellings_size)
        self.verdicts[key] = found
        return found

    def screen(self, pid: str, typed: Typed | None, ref: Any) -> tuple[dict[str, ScreeningMatch],
                                                                        dict[str, AddressMatch]]:
        """Best name match and best address match per listed entry over the party's names:
        the name as written, then the registry's legal name and aliases (an entry matched
        by name is not repeated by address)."""
        entity = ref.registry.get(pid)
        key = (pid, typed, entity.event_id if entity is not None else None)
        found = self._screened.get(key)
        if found is None:
            parts = self._registered(pid, entity)
            if typed is not None:
                parts = (self._screen_one(typed), *parts)
            names: dict[str, ScreeningMatch] = {}
            addresses: dict[str, AddressMatch] = {}
            for matches, hits in parts:
                for match in matches:
                    if match.entry_id not in names or match.score > names[match.entry_id].score:
                        names[match.entry_id] = match
                for hit in hits:
                    if hit.entry_id not in addresses or hit.score > addresses[hit.entry_id].score:
                        addresses[hit.entry_id] = hit
            found = (names, {entry_id: hit for entry_id, hit in addresses.items() if entry_id not in names})
            if not names and not found[1]:
                found = _NOTHING_SCREENED  # nearly every party: one pair of empty dicts for all
            make_room(self._screened, self._spellings_size)
            self._screened[key] = found
        return found

    def _screen_one(self, typed: Typed) -> _Screened:
        name, country, address = typed
        return self._matcher.match(name, country, address, threshold=self._cut), self._addresses.match(address, country)

    def _registered(self, pid: str, entity: Any) -> tuple[_Screened, ...]:
        """The registry record's legal name and aliases, screened; memoised per record,
        since every spelling of the party on a document is screened with them."""
        if entity is None:
            return ()
        key = (pid, entity.event_id)
        found = self._by_record.get(key)
        if found is None:
            names = (entity.name, *(entity.aliases or ()))
            screened = (self._screen_one((name, entity.country, entity.address)) for name in dict.fromkeys(names))
            found = tuple(part for part in screened if part[0] or part[1])  # nearly always none: ()
            make_room(self._by_record, self._cache_size)
            self._by_record[key] = found
        return found

    def owners(self, pid: str, ref: Any) -> list[ListedOwner]:
        """Listed owners under the policy, whatever the date (callers check it is in force)."""
        found = self._owners.get(pid)
        if found is None:
            found = self._listed_owners(pid, ref)
            make_room(self._owners, self._cache_size)
            self._owners[pid] = found
        return found

    def _listed_owners(self, pid: str, ref: Any) -> list[ListedOwner]:
        policy = self.config.ownership
        if not policy.affiliates_rule_enabled or ref.registry.get(pid) is None:
            return []
        matches: dict[str, list[ScreeningMatch]] = {}
        for parent, _ in ref.registry.ownership_chain(pid):
            found = sorted((m for m in self.screen(parent, None, ref)[0].values() if m.list in self._ownership_lists),
                           key=lambda m: (-m.score, m.entry_id))
            if found:
                matches[parent] = found
        if not matches:
            return []
        return listed_owners(pid, ref.registry, matches, dataclasses.replace(policy, effective_from=None))
