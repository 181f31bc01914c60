"""Over-ordering: parties and ownership groups taking more accelerators than they can use.

    >>> from detectors.over_ordering import OverOrderingDetector
    >>> engine = Engine([OverOrderingDetector()])

Pure logic (no Kafka, no Faust). Thresholds are the ``[over_ordering]`` section of
``detectors/data/thresholds.toml``; who an order counts against is documented in
:mod:`detectors.over_ordering.parties`.
"""

from detectors.over_ordering.detector import PATTERNS, VERSION, OverOrderingDetector
from detectors.over_ordering.parties import (
    PASS_THROUGH_TYPES,
    RESALE_TYPES,
    ordering_party,
    receiving_party,
)
from detectors.over_ordering.window import PartyWindow, day_of

__all__ = [
    "OverOrderingDetector",
    "PATTERNS",
    "VERSION",
    "ordering_party",
    "receiving_party",
    "RESALE_TYPES",
    "PASS_THROUGH_TYPES",
    "PartyWindow",
    "day_of",
]
