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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from detectors.engine.records import LineRecord, PartyRef
from detectors.reference import DEFAULT_SCOPE

__all__ = ["LicenceNeed", "line_scope", "headquarters_country", "needs_for", "DESTINATION_FLAG", "HEADQUARTERS_FLAG"]

DESTINATION_FLAG = "LICENCE_REQUIRED_DESTINATION"
HEADQUARTERS_FLAG = "HQ_D5_PARENT_NO_LICENCE"


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


def needs_for(
    lines: Sequence[LineRecord],
    day: dt.date,
    destination_parties: Iterable[PartyRef],
    destination_countries: Iterable[tuple[PartyRef, str]],
    headquarters_parties: Iterable[PartyRef],
    ref: Any,
) -> list[LicenceNeed]:
    """Every licence need of a document's lines.

    ``destination_countries`` pairs a party with the country goods reach it in (a leg's
    declared destination); ``destination_parties`` use their own country. A party whose
    delivery already needs a licence is not reported again under the headquarters rule.
    """
    scoped = [(line, line_scope(line, day)) for line in lines]
    scoped = [(line, scope) for line, scope in scoped if scope != "none"]
    if not scoped:
        return []
    countries = ref.countries
    needs: list[LicenceNeed] = []
    seen: set[tuple[str, str]] = set()
    pairs = [(party, party.country) for party in destination_parties] + list(destination_countries)
    for party, country in pairs:
        hit = [(line, scope) for line, scope in scoped if countries.requires_licence(country, scope)]
        if hit and (party.entity_id, DESTINATION_FLAG) not in seen:
            seen.add((party.entity_id, DESTINATION_FLAG))
            needs.append(_need(DESTINATION_FLAG, party, country, hit))
    for party in headquarters_parties:
        if (party.entity_id, DESTINATION_FLAG) in seen or (party.entity_id, HEADQUARTERS_FLAG) in seen:
            continue
        controlled = [(line, scope) for line, scope in scoped if line.controlled]
        if not controlled:
            continue
        hq = headquarters_country(party, ref)
        if countries.headquarters_requires_licence(hq):
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
