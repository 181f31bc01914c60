"""SeenIds answers like a set of strings, across folds into the sorted array."""

from __future__ import annotations

import random

from detectors.engine.seen import SeenIds, id_digest


def test_answers_like_a_set_of_strings_across_folds():
    rng = random.Random(7)
    seen, truth = SeenIds(fold_at=50), set()
    for _ in range(2_000):
        event_id = f"ord-{rng.randrange(1_500):05d}"  # many repeats, some long after the first
        assert seen.add(event_id) == (event_id not in truth)
        truth.add(event_id)
        probe = f"ord-{rng.randrange(3_000):05d}"
        assert (probe in seen) == (probe in truth)
    assert len(seen) == len(truth)
    assert len(seen._folded) > 0 and len(seen._recent) < 50  # the folded path was exercised


def test_digest_is_stable_and_takes_any_text():
    assert id_digest("ord-000001") == id_digest("ord-000001") != id_digest("ord-000002")
    assert 0 <= id_digest("\ud800 odd surrogate é") < 2**64
