"""Ownership groups as the group rule sees them, memoised per registry content.

The group rule runs on every controlled record of a registered party, and each time it
needs the party's group: its head, its members that are not resellers, their combined
declared capacity. Those are functions of the registry alone, which changes a few times
a day while records arrive by the thousand, so they are computed once per registry
version (and the memo is bounded: hostile input naming endless ids cannot grow it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from detectors.over_ordering.parties import RESALE_TYPES
from detectors.parties import Registry
from schemas import Entity

__all__ = ["Group", "GroupBook", "combined_capacity"]

_ADDRESS_NOISE = re.compile(r"[^A-Z0-9]+")
_MEMO_MAX = 65536


@dataclass(frozen=True, slots=True)
class Group:
    """An ownership group of two or more live entities."""

    head_id: str  # the ultimate parent, registered or not
    head: Entity | None  # its registry record, when it has one
    members: tuple[Entity, ...]  # live members that are not resellers, by entity id
    capacity: int  # combined declared capacity of ``members`` (see ``combined_capacity``)


def combined_capacity(entities: Sequence[Entity], head_id: str) -> int:
    """The group's capacity, each data centre counted once.

    Members declaring the same address describe one site, so only the largest of their
    figures counts. The ultimate parent's own declaration is read as the group's
    consolidated figure (due diligence asks the group what it can house): the group's
    capacity is the larger of it and the members' deduplicated sum, never their total.
    """
    head = max((e.declared_capacity_accelerators or 0 for e in entities if e.entity_id == head_id), default=0)
    by_site: dict[str, int] = {}
    for entity in entities:
        if entity.entity_id == head_id:
            continue
        capacity = entity.declared_capacity_accelerators or 0
        site = _ADDRESS_NOISE.sub(" ", entity.address.upper()).strip() if entity.address else ""
        key = f"addr:{entity.country}:{site}" if site else f"id:{entity.entity_id}"
        by_site[key] = max(by_site.get(key, 0), capacity)
    return max(head, sum(by_site.values()))


def _group_of(entity_id: str, registry: Registry) -> Group | None:
    head_id = registry.ultimate_parent(entity_id)
    if head_id is None:
        return None
    member_ids = registry.group_members(head_id)
    if len(member_ids) < 2:
        return None
    members = []
    for member_id in member_ids:
        entity = registry.get(member_id)
        if entity is not None and entity.business_type not in RESALE_TYPES:
            members.append(entity)
    return Group(head_id, registry.get(head_id), tuple(members), combined_capacity(members, head_id))


class GroupBook:
    """``Group`` of an entity id, for the registry content last ``sync``-ed to."""

    __slots__ = ("_groups", "_version")

    def __init__(self) -> None:
        self._groups: dict[str, Group | None] = {}
        self._version: str | None = None

    def sync(self, registry: Registry) -> None:
        """Forget every group if the registry's content changed since the last call.

        Called once per batch of records: the registry cannot change within one."""
        version = registry.version
        if version != self._version:
            self._groups.clear()
            self._version = version

    def group_of(self, entity_id: str, registry: Registry) -> Group | None:
        """The group ``entity_id`` belongs to; ``None`` when it is unknown or alone."""
        groups = self._groups
        if entity_id in groups:
            return groups[entity_id]
        if len(groups) >= _MEMO_MAX:
            groups.clear()
        found = groups[entity_id] = _group_of(entity_id, registry)
        return found
