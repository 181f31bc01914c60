"""Parties: name normalisation, the entity registry, and entity resolution.

    >>> from detectors.parties import Registry, resolve
    >>> registry = Registry()
    >>> for entity in entity_events: registry.apply(entity)
    >>> resolve(order.buyer, registry).entity_id

Pure logic: no Kafka, no Faust. ``Registry`` state round-trips through
``to_state()``/``from_state()`` as plain JSON, so it can live in a Faust table.
"""

from detectors.parties.normalize import (
    DERIVED_ID_PREFIX,
    LegalForms,
    derived_entity_id,
    name_tokens,
    normalize_name,
    split_legal_forms,
)
from detectors.parties.registry import Registry
from detectors.parties.resolve import ResolutionConfig, ResolutionMethod, ResolvedParty, resolve

__all__ = [
    "normalize_name",
    "name_tokens",
    "split_legal_forms",
    "derived_entity_id",
    "DERIVED_ID_PREFIX",
    "LegalForms",
    "Registry",
    "resolve",
    "ResolvedParty",
    "ResolutionMethod",
    "ResolutionConfig",
]
