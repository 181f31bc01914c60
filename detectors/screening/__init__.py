"""Restricted-party screening: the list, the name matcher, and ownership by listed parties.

    >>> from detectors.screening import ScreeningList, ScreeningMatcher
    >>> screening_list = ScreeningList()
    >>> for entry in screening_entry_events: screening_list.apply(entry)
    >>> matcher = ScreeningMatcher(screening_list)
    >>> for match in matcher.match("Sugon Info Industry Co", country="CN"):
    ...     print(match.score, match.explanation)

Pure logic: no Kafka, no Faust. Thresholds, word lists and the ownership policy are in
``data/screening.toml`` (versioned); ``ScreeningList`` state round-trips through
``to_state()``/``from_state()`` as plain JSON.
"""

from detectors.screening.config import (
    EvidenceSettings,
    MatchSettings,
    OwnershipPolicy,
    ScreeningConfig,
    WordLists,
    default_config,
)
from detectors.screening.lists import ScreeningList
from detectors.screening.matcher import ScreeningMatch, ScreeningMatcher
from detectors.screening.ownership import ListedOwner, listed_owners

__all__ = [
    "ScreeningList",
    "ScreeningMatcher",
    "ScreeningMatch",
    "ScreeningConfig",
    "MatchSettings",
    "EvidenceSettings",
    "OwnershipPolicy",
    "WordLists",
    "default_config",
    "ListedOwner",
    "listed_owners",
]
