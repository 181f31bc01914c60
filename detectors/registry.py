"""The detectors that run by default, in one list: live worker and replay use the same."""

from __future__ import annotations

from detectors.engine.core import Detector

__all__ = ["default_detectors"]


def default_detectors() -> list[Detector]:
    detectors: list[Detector] = []
    return detectors
