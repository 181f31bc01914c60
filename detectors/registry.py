"""The detectors that run by default, in one list: live worker and replay use the same."""

from __future__ import annotations

from detectors.engine.core import Detector

__all__ = ["default_detectors"]


def default_detectors() -> list[Detector]:
    """A fresh instance of every detector (each engine owns its detectors' state)."""
    from detectors.screening_detector import ScreeningDetector

    return [ScreeningDetector()]
