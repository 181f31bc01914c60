"""The detectors that run by default, in one list: live worker and replay use the same.

Where each red flag is implemented:

==================  ==========================================  ===========================
family              module                                      subject of its alerts
==================  ==========================================  ===========================
``screening``       :mod:`detectors.screening_detector`         the matched party
``over_ordering``   :mod:`detectors.over_ordering`              the ordering party / group
``transshipment``   :mod:`detectors.transshipment`              the pass-through party
``end_use``         :mod:`detectors.end_use`                    the buyer or end user
``anomaly``         :mod:`detectors.anomaly`                    the party (behaviour model)
==================  ==========================================  ===========================

``docs/red-flags.md`` maps every red-flag code to the detector that raises it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from detectors.engine.core import Detector

__all__ = ["FAMILIES", "FAMILY_WEIGHTS", "default_detectors", "family_detectors", "preload", "split_families"]

#: Every detector family, in a fixed order. The live stream runs one shard per family
#: (partition ``i`` of the detection topic runs ``FAMILIES[i]``): families share no
#: alerts (each has its own typology), so splitting by family changes nothing they find.
#:
#: The order is for scale-out, not meaning: Faust deals partitions round-robin, so two
#: workers get partitions {0, 2, 4} and {1, 3}. Measured CPU per shard on 20k simulated
#: events (over_ordering 2.2 s, anomaly 4.2, transshipment 2.75, screening 2.8, end_use
#: 2.05) makes those two sets 7.0 s each; the alphabetical-ish order before put anomaly,
#: screening and transshipment together (70% of the work on one worker).
FAMILIES: tuple[str, ...] = ("over_ordering", "anomaly", "transshipment", "screening", "end_use")

#: Each family's share of a replay's CPU time (py-spy over the 1M-event simulation,
#: 2026-12-07), for dealing families out to replay processes (``split_families``): only
#: the balance depends on them, never a result.
FAMILY_WEIGHTS: dict[str, float] = {
    "anomaly": 26.3,
    "transshipment": 19.3,
    "screening": 7.4,
    "end_use": 7.1,
    "over_ordering": 6.2,
}

log = logging.getLogger(__name__)


def split_families(families: Sequence[str], parts: int) -> list[tuple[str, ...]]:
    """Deal ``families`` out to at most ``parts`` groups of about equal weight
    (``FAMILY_WEIGHTS``; heaviest first, each to the lightest group so far); every group
    non-empty, each family in exactly one, groups and their families in ``families`` order.
    """
    count = max(1, min(parts, len(families)))
    groups: list[list[str]] = [[] for _ in range(count)]
    loads = [0.0] * count
    for family in sorted(families, key=lambda f: (-FAMILY_WEIGHTS.get(f, 1.0), families.index(f))):
        lightest = min(range(count), key=lambda i: (loads[i], i))
        groups[lightest].append(family)
        loads[lightest] += FAMILY_WEIGHTS.get(family, 1.0)
    order = {family: i for i, family in enumerate(families)}
    return sorted((tuple(sorted(g, key=order.__getitem__)) for g in groups if g), key=lambda g: order[g[0]])


def default_detectors(*, anomaly_model: Path | str | None = None, families: Sequence[str] = FAMILIES) -> list[Detector]:
    """A fresh instance of every detector (each engine owns its detectors' state).

    ``anomaly_model`` points at a model directory written by ``chokepoint train``; the
    default is the artefact shipped in ``detectors/anomaly/data``. If the *shipped* model
    cannot be used (trained with another scikit-learn major, other features, bad
    checksum), it is logged and left out, so the rule detectors keep running; a model the
    caller named raises ``ArtefactError`` instead, because they asked for that model.
    ``families``: only these (rule detectors only: leave "anomaly" out; a replay process
    of several runs a share of them: ``streams.replay.parallel``).
    """
    detectors: list[Detector] = []
    for family in families:
        detectors.extend(family_detectors(family, anomaly_model=anomaly_model))
    return detectors


def family_detectors(family: str, *, anomaly_model: Path | str | None = None) -> list[Detector]:
    """A fresh instance of one family's detector: ``[]`` when the shipped model is unusable."""
    if family == "screening":
        from detectors.screening_detector import ScreeningDetector

        return [ScreeningDetector()]
    if family == "over_ordering":
        from detectors.over_ordering import OverOrderingDetector

        return [OverOrderingDetector()]
    if family == "transshipment":
        from detectors.transshipment import TransshipmentDetector

        return [TransshipmentDetector()]
    if family == "end_use":
        from detectors.end_use import EndUseDetector

        return [EndUseDetector()]
    if family == "anomaly":
        from detectors.anomaly import AnomalyDetector, ArtefactError

        try:
            return [AnomalyDetector(anomaly_model)]
        except ArtefactError as exc:
            if anomaly_model is not None:
                raise
            log.error("anomaly detector disabled: %s", exc)
            return []
    raise ValueError(f"unknown detector family {family!r}; known: {', '.join(FAMILIES)}")


def preload() -> None:
    """Import every family's code and read its data files now, not on its first event.

    The anomaly family pulls in scikit-learn and SciPy (about 2 s of imports); a live
    worker that did so when its first shard appeared would stall its event loop for that
    long in the middle of a drain. Building one throwaway detector of each family warms
    every import and every cached reference file.
    """
    for family in FAMILIES:
        family_detectors(family)
