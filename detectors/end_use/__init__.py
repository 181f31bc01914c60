"""End use: missing licences and the soft signs of a false end-use or end-user statement.

    >>> from detectors.end_use import EndUseDetector
    >>> engine = Engine([EndUseDetector()])

Pure logic (no Kafka, no Faust). Thresholds are the ``[end_use]`` section of
``detectors/data/thresholds.toml``; keyword lists and which flags are strong or weak are
versioned data in ``detectors/end_use/data/end_use.toml``.
"""

from detectors.end_use.detector import LICENCE_DETECTOR, PATTERN_KEY, RED_FLAGS_DETECTOR, VERSION, EndUseDetector
from detectors.end_use.flags import FlagHit, order_flags, order_subject, shipment_flags
from detectors.end_use.licence import LicenceNeed, headquarters_country, line_scope, needs_for
from detectors.end_use.scoring import soft_points, soft_severity
from detectors.end_use.vocabulary import Vocabulary, default_vocabulary

__all__ = [
    "EndUseDetector",
    "VERSION",
    "LICENCE_DETECTOR",
    "RED_FLAGS_DETECTOR",
    "PATTERN_KEY",
    "FlagHit",
    "order_flags",
    "order_subject",
    "shipment_flags",
    "LicenceNeed",
    "needs_for",
    "line_scope",
    "headquarters_country",
    "soft_points",
    "soft_severity",
    "Vocabulary",
    "default_vocabulary",
]
