"""When an export of advanced-computing items needs a licence, and to which party that is due.

Two rules of the Oct 2023 advanced computing rule, both data-driven through
``detectors.reference``:

* **Destination**: an item of licence scope *S* (the catalogue's ``licence_scope`` in
  force on the day: H20 needs one for China and D:5 only from Apr 2025, RTX 4090 only
  for D:5 and Macau) going to a country in *S* (D:1, D:4, D:5 and Macau for 3A090.a /
  4A090.a, not Israel or Cyprus).
* **Headquarters**: any 3A090/4A090 item going to a party headquartered in, or with an
  ultimate parent headquartered in, D:5 or Macau, wherever it is delivered (a Malaysian
  subsidiary of a Chinese group needs a licence for an H100 delivered in Malaysia).

Listed parties also need a licence for everything, but that is the screening
detector's finding, not this one's.

Every document with a line of licence scope asks the same few questions (does this
country need a licence for this scope? where is this party's group headquartered?), so
``LicenceRules`` remembers the answers: they depend only on the country groups and the
registry's content, never on the document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from detectors.engine.records import LineRecord, PartyRef
from detectors.memo import make_room
from detectors.reference import DEFAULT_SCOPE

__all__ = [
    "LicenceNeed",
    "LicenceRules",
    "line_scope",
    "headquarters_country",
    "needs_for",
    "DESTINATION_FLAG",
    "HEADQUARTERS_FLAG",
]

DESTINATION_FLAG = "LICENCE_REQUIRED_DESTINATION"
HEADQUARTERS_FLAG = "HQ_D5_PARENT_NO_LICENCE"
_MEMO_MAX = 65536


@dataclass(frozen=True, slots=True)
class LicenceNeed:
    """One reason a licence is needed, tied to the party it is due for."""

    flag: str
    party: PartyRef
    country: str  # the destination, or the headquarters country
    scope: str
    accelerators: int
    products: tuple[str, ...]


def line_scope(line: LineRecord, day: dt.date) -> str:
    """The licence scope of a line on ``day``: the catalogue's when it names one then, else
    the advanced-computing scope for a line declared 3A090/4A090, else ``"none"``."""
    if line.family is not None:
        scope = line.family.licence_scope_on(day)
        if scope != "none":
            return scope
    return DEFAULT_SCOPE if line.controlled else "none"


def headquarters_country(party: PartyRef, ref: Any) -> str:
    """Where a party's group is headquartered: the registry's ultimate parent country,
    else the ultimate parent's own record, else the party's own country."""
    entity = party.entity
    if entity is None:
        return party.country
    if entity.ultimate_parent_country:
        return entity.ultimate_parent_country
    top_id = entity.ultimate_parent_id or ref.registry.ultimate_parent(entity.entity_id)
    if top_id and top_id != entity.entity_id:
        top = ref.registry.get(top_id)
        if top is not None:
            return top.country
    return entity.country


class LicenceRules:
    """``requires_licence`` and the headquarters rule's answer per party, memoised.

    ``sync`` with the reference before asking (once per batch of records): it forgets
    the answers when the country groups or the registry's content changed. Bounded, so
    hostile input naming endless parties cannot grow it without limit.
    """

    __slots__ = ("_countries", "_registry_version", "_requires", "_headquarters")

    def __init__(self) -> None:
        self._countries: Any = None
        self._registry_version: str | None = None
        self._requires: dict[tuple[str, str], bool] = {}
        # headquarters_country's inputs -> (the country, whether the headquarters rule applies there)
        self._headquarters: dict[tuple[str | None, ...], tuple[str, bool]] = {}

    def sync(self, ref: Any) -> None:
        if ref.countries is not self._countries:
            self._countries = ref.countries
            self._requires.clear()
            self._headquarters.clear()
        version = ref.registry.version
        if version != self._registry_version:
            self._registry_version = version
            self._headquarters.clear()

    def requires_licence(self, country: str, scope: str) -> bool:
        """``CountryGroups.requires_licence``."""
        key = (country, scope)
        answer = self._requires.get(key)
        if answer is None:
            make_room(self._requires, _MEMO_MAX)
            answer = self._requires[key] = self._countries.requires_licence(country, scope)
        return answer

    def headquarters(self, party: PartyRef, ref: Any) -> tuple[str, bool]:
        """``headquarters_country`` and whether the headquarters rule applies there.

        Keyed by every field of the party ``headquarters_country`` reads, so a party
        resolved against an older registry than ``ref``'s still gets its own answer."""
        entity = party.entity
        key = (
            (None, party.country)
            if entity is None
            else (entity.entity_id, entity.country, entity.ultimate_parent_id, entity.ultimate_parent_country)
        )
        answer = self._headquarters.get(key)
        if answer is None:
            make_room(self._headquarters, _MEMO_MAX)
            country = headquarters_country(party, ref)
            answer = self._headquarters[key] = (country, self._countries.headquarters_requires_licence(country))
        return answer


def needs_for(
    lines: Sequence[LineRecord],
    day: dt.date,
    destination_parties: Iterable[PartyRef],
    destination_countries: Iterable[tuple[PartyRef, str]],
    headquarters_parties: Iterable[PartyRef],
    ref: Any,
    rules: LicenceRules | None = None,
) -> list[LicenceNeed]:
    """Every licence need of a document's lines.

    ``destination_countries`` pairs a party with the country goods reach it in (a leg's
    declared destination); ``destination_parties`` use their own country. A party whose
    delivery already needs a licence is not reported again under the headquarters rule.
    ``rules``: the caller's memo, synced with ``ref`` (by default, one for this call).
    """
    scoped = []
    for line in lines:
        scope = line_scope(line, day)
        if scope != "none":
            scoped.append((line, scope))
    if not scoped:
        return []
    if rules is None:
        rules = LicenceRules()
        rules.sync(ref)
    needs: list[LicenceNeed] = []
    seen: set[tuple[str, str]] = set()
    pairs = [(party, party.country) for party in destination_parties] + list(destination_countries)
    for party, country in pairs:
        hit = [(line, scope) for line, scope in scoped if rules.requires_licence(country, scope)]
        if hit and (party.entity_id, DESTINATION_FLAG) not in seen:
            seen.add((party.entity_id, DESTINATION_FLAG))
            needs.append(_need(DESTINATION_FLAG, party, country, hit))
    controlled = [(line, scope) for line, scope in scoped if line.controlled]
    if not controlled:
        return needs  # the headquarters rule is about 3A090/4A090 items only
    for party in headquarters_parties:
        if (party.entity_id, DESTINATION_FLAG) in seen or (party.entity_id, HEADQUARTERS_FLAG) in seen:
            continue
        hq, required = rules.headquarters(party, ref)
        if required:
            seen.add((party.entity_id, HEADQUARTERS_FLAG))
            needs.append(_need(HEADQUARTERS_FLAG, party, hq, controlled))
    return needs


def _need(flag: str, party: PartyRef, country: str, hit: list[tuple[LineRecord, str]]) -> LicenceNeed:
    scopes = sorted({scope for _, scope in hit})
    products = tuple(sorted({line.product for line, _ in hit}))
    return LicenceNeed(
        flag=flag,
        party=party,
        country=country,
        scope=",".join(scopes),
        accelerators=sum(line.accelerators for line, _ in hit),
        products=products,
    )
