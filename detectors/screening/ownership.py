"""Ownership by a listed party: the Affiliates Rule as a switchable policy.

The BIS Affiliates Rule (Sept 2025) extends Entity List restrictions to companies owned
50 % or more by listed parties. It is suspended until 9 Nov 2026, so it is a policy in
``data/screening.toml`` (``[ownership]``) rather than always-on logic: it applies to
events on or after ``affiliates_rule_effective_from`` (pass the event time as ``at``),
and with the switch off this module finds nothing.

The registry records one parent per entity, so ownership is walked up the
``parent_id`` chain. Two readings of indirect ownership are offered: the product of the
stakes along the chain (default), or OFAC-style cascading, where each link at or above
the threshold makes the subsidiary itself count as listed. A link with no recorded
stake ends the walk: an unknown stake proves nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import msgspec

from detectors.parties.registry import Registry
from detectors.screening.config import OwnershipPolicy
from detectors.screening.matcher import ScreeningMatch

__all__ = ["ListedOwner", "listed_owners"]


class ListedOwner(msgspec.Struct, frozen=True, kw_only=True):
    """A listed party owning ``entity_id``.

    ``effective_pct`` is the product of stakes; ``path`` runs from the owned entity up
    to the owner, both included; ``matches`` are the owner's screening matches.
    """

    owner_id: str
    effective_pct: float
    path: tuple[str, ...]
    matches: tuple[ScreeningMatch, ...]


def listed_owners(
    entity_id: str,
    registry: Registry,
    matches_by_entity: Mapping[str, Sequence[ScreeningMatch]],
    policy: OwnershipPolicy,
    *,
    at: dt.datetime | None = None,
) -> list[ListedOwner]:
    """Owners of ``entity_id``, nearest first, that match the list and own enough of it.

    ``matches_by_entity`` maps entity ids to their screening matches (computed
    elsewhere, e.g. kept per entity in a table); an owner with no matches is not listed.
    ``at`` is the business time of the event being judged: a policy with an effective
    date finds nothing before it (nor without a time).
    """
    if not policy.in_force(at):
        return []
    owners: list[ListedOwner] = []
    effective = 100.0
    path = [entity_id]
    for parent_id, stake in registry.ownership_chain(entity_id):
        if stake is None:
            break
        if policy.indirect == "cascade" and stake < policy.threshold_pct:
            break
        effective *= stake / 100.0
        path.append(parent_id)
        covered = stake >= policy.threshold_pct if policy.indirect == "cascade" else effective >= policy.threshold_pct
        if not covered:
            break  # stakes only shrink further up the chain
        matches = tuple(matches_by_entity.get(parent_id, ()))
        if matches:
            owners.append(
                ListedOwner(owner_id=parent_id, effective_pct=round(effective, 4), path=tuple(path), matches=matches)
            )
    return owners
