"""The entity registry: who a party is, who owns it, and which group it belongs to.

Built from ``entity`` records of the compacted topic ``ref.entities.v1``. The state is
the winning record per ``entity_id`` (last write by ``event_time``, ties by
``event_id``; see :mod:`detectors.parties._lww`), so it does not depend on the order or
the number of times records arrive, and it serialises to plain JSON for a Faust table.
Name and alias indexes, and the ownership indexes, are derived from that state and
rebuilt on load rather than stored.

Ownership questions walk ``parent_id`` links, which producers fill in by hand and can
get wrong; every walk stops at a repeated entity, so a cycle in the data cannot hang
the stream.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from detectors.parties._lww import LatestRecords
from detectors.parties.normalize import normalize_name
from schemas.events import Entity

__all__ = ["Registry"]

_IndexKey = tuple[str, str]  # (country, normalised name)


class Registry:
    """Latest ``Entity`` per id, with lookups by name, alias and ownership."""

    def __init__(self) -> None:
        self._records: LatestRecords[Entity] = LatestRecords(Entity, key=lambda entity: entity.entity_id)
        self._by_name: defaultdict[_IndexKey, set[str]] = defaultdict(set)
        self._by_alias: defaultdict[_IndexKey, set[str]] = defaultdict(set)
        self._children: defaultdict[str, set[str]] = defaultdict(set)
        self._by_ultimate: defaultdict[str, set[str]] = defaultdict(set)

    # -- updates -----------------------------------------------------------------

    def apply(self, entity: Entity) -> bool:
        """Take ``entity`` if it is newer than what is held; return whether state changed.

        Applying a record again, or an older one, changes nothing. ``deleted=True``
        withdraws the entity but is remembered, so older records cannot revive it.
        """
        changed, previous = self._records.apply(entity)
        if not changed:
            return False
        if previous is not None:
            self._unindex(previous)
        if not entity.deleted:
            self._index(entity)
        return True

    def _index_entries(self, entity: Entity) -> Iterator[tuple[defaultdict[Any, set[str]], Any]]:
        yield self._by_name, (entity.country, normalize_name(entity.name))
        for alias in entity.aliases or ():
            yield self._by_alias, (entity.country, normalize_name(alias))
        if entity.parent_id is not None:
            yield self._children, entity.parent_id
        if entity.ultimate_parent_id is not None:
            yield self._by_ultimate, entity.ultimate_parent_id

    def _index(self, entity: Entity) -> None:
        for index, key in self._index_entries(entity):
            index[key].add(entity.entity_id)

    def _unindex(self, entity: Entity) -> None:
        for index, key in self._index_entries(entity):
            members = index.get(key)
            if members is not None:
                members.discard(entity.entity_id)
                if not members:
                    del index[key]

    # -- plain lookups -------------------------------------------------------------

    def get(self, entity_id: str) -> Entity | None:
        """The live record, or ``None`` when unknown or withdrawn."""
        return self._records.get(entity_id)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._records

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[Entity]:
        """Live entities in id order."""
        live = self._records.live
        return (live[key] for key in sorted(live))

    @property
    def version(self) -> str:
        """Digest of the live content; changes exactly when a lookup result may change."""
        return self._records.version

    def by_name(self, name: str, country: str) -> tuple[str, ...]:
        """Ids of live entities in ``country`` whose legal name normalises like ``name``."""
        return tuple(sorted(self._by_name.get((country, normalize_name(name)), ())))

    def by_alias(self, name: str, country: str) -> tuple[str, ...]:
        """Ids of live entities in ``country`` with an alias that normalises like ``name``."""
        return tuple(sorted(self._by_alias.get((country, normalize_name(name)), ())))

    def names_in(self, country: str) -> dict[str, frozenset[str]]:
        """Every normalised legal name and alias in ``country``, with the ids carrying it.

        For fuzzy resolution; callers should cache it per :attr:`version`.
        """
        out: defaultdict[str, set[str]] = defaultdict(set)
        for index in (self._by_name, self._by_alias):
            for (index_country, normalised), ids in index.items():
                if index_country == country:
                    out[normalised].update(ids)
        return {normalised: frozenset(ids) for normalised, ids in out.items()}

    # -- ownership -----------------------------------------------------------------

    def ownership_chain(self, entity_id: str) -> list[tuple[str, float | None]]:
        """``[(parent_id, stake_pct), ...]`` from the direct parent upwards.

        Each stake is the parent's percentage of the entity below it (``None`` when the
        record does not say). The walk ends at an entity with no parent, at a parent the
        registry does not hold (which is still listed, since the child names it), or
        where the chain would revisit an entity.
        """
        chain: list[tuple[str, float | None]] = []
        seen = {entity_id}
        entity = self.get(entity_id)
        while entity is not None and entity.parent_id is not None and entity.parent_id not in seen:
            chain.append((entity.parent_id, entity.ownership_pct))
            seen.add(entity.parent_id)
            entity = self.get(entity.parent_id)
        return chain

    def effective_ownership(self, entity_id: str, owner_id: str) -> float:
        """``owner_id``'s percentage of ``entity_id``: the product of stakes along the chain.

        100.0 for the entity itself; 0.0 when ``owner_id`` is not on the chain or a stake
        on the way is unknown (an unknown stake proves nothing either way).
        """
        if entity_id == owner_id:
            return 100.0
        pct = 100.0
        for parent_id, stake in self.ownership_chain(entity_id):
            if stake is None:
                return 0.0
            pct *= stake / 100.0
            if parent_id == owner_id:
                return pct
        return 0.0

    def ultimate_parent(self, entity_id: str) -> str | None:
        """The top of the entity's group; ``None`` for an unknown entity.

        The record's own ``ultimate_parent_id`` wins (producers often know a group's
        head without registering every level between); otherwise the top of the parent
        chain; otherwise the entity itself.
        """
        entity = self.get(entity_id)
        if entity is None:
            return None
        if entity.ultimate_parent_id is not None:
            return entity.ultimate_parent_id
        chain = self.ownership_chain(entity_id)
        return chain[-1][0] if chain else entity_id

    def group_members(self, ultimate_parent_id: str) -> tuple[str, ...]:
        """Sorted ids of live entities in the group headed by ``ultimate_parent_id``.

        Members are the head itself (if registered), every entity naming it as
        ``ultimate_parent_id``, and everything below any member through ``parent_id``.
        """
        start = set(self._by_ultimate.get(ultimate_parent_id, ()))
        start.add(ultimate_parent_id)
        members: set[str] = set()
        frontier = list(start)
        while frontier:
            current = frontier.pop()
            if current in members:
                continue
            members.add(current)
            frontier.extend(self._children.get(current, ()))
        return tuple(sorted(member for member in members if member in self))

    # -- state ---------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """JSON-able snapshot (every winning record, tombstones included)."""
        return self._records.to_state()

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Registry:
        """Rebuild a registry, indexes included, from :meth:`to_state` output."""
        registry = cls()
        for entity in registry._records.records_from_state(state):
            registry.apply(entity)
        return registry
