"""The registry: every family builds, preload() imports their code up front, families split evenly."""

from __future__ import annotations

import subprocess
import sys

from detectors.registry import FAMILIES, FAMILY_WEIGHTS, family_detectors, split_families


def test_every_family_builds_one_detector_named_after_it():
    for family in FAMILIES:
        (detector,) = family_detectors(family)
        assert detector.name == family


def test_preload_imports_the_anomaly_models_libraries_before_any_event():
    """A worker calls preload() at start; without it the first anomaly shard would import
    scikit-learn inside the event loop (seen as a 2 s stall in a live profile)."""
    code = (
        "import sys; import detectors.registry as r; "
        "before = 'sklearn' in sys.modules; r.preload(); "
        "print(before, 'sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]


def test_families_are_dealt_out_to_groups_of_about_equal_weight():
    assert split_families(FAMILIES, 1) == [FAMILIES]
    for parts in range(1, 8):
        groups = split_families(FAMILIES, parts)
        assert len(groups) == min(parts, len(FAMILIES))
        assert sorted(f for g in groups for f in g) == sorted(FAMILIES)  # each family exactly once
        assert all(list(g) == [f for f in FAMILIES if f in g] for g in groups)  # in FAMILIES order
    two = split_families(FAMILIES, 2)
    loads = [sum(FAMILY_WEIGHTS[f] for f in group) for group in two]
    assert max(loads) - min(loads) <= min(FAMILY_WEIGHTS.values())  # as even as whole families allow
    assert split_families(FAMILIES, 2) == two  # the same every time
    assert split_families(("screening",), 3) == [("screening",)]
