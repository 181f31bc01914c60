"""Screening detector: parties on trade documents against the restricted-party list.

    >>> from detectors.screening_detector import ScreeningDetector
    >>> engine = Engine([ScreeningDetector()])

Pure logic (no Kafka, no Faust). Matching and the ownership policy are
:mod:`detectors.screening` (``data/screening.toml``); alerting choices are the
``[screening]`` section of ``detectors/data/thresholds.toml``.
"""

from detectors.screening_detector.address import AddressMatch, ListedAddresses
from detectors.screening_detector.detector import (
    ADDRESS_DETECTOR,
    MATCH_DETECTOR,
    OWNER_DETECTOR,
    OWNER_PATTERN_KEY,
    VERSION,
    ScreeningDetector,
)

__all__ = [
    "ScreeningDetector",
    "VERSION",
    "MATCH_DETECTOR",
    "ADDRESS_DETECTOR",
    "OWNER_DETECTOR",
    "OWNER_PATTERN_KEY",
    "ListedAddresses",
    "AddressMatch",
]
