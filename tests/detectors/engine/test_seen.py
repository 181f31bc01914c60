"""SeenIds answers like a set of strings, across folds into the sorted array."""

from __future__ import annotations

import random

import numpy as np

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
    assert seen._shift < 64  # ... through more than one bucket


def test_every_folded_digest_is_found_in_its_bucket_and_no_other_is():
    rng = random.Random(11)
    digests = [rng.getrandbits(64) for _ in range(5_000)] + [0, 1, 2**63, 2**64 - 2, 2**64 - 1]
    for fold_at in (1, 7, 5_005):  # buckets rebuilt after every id, every few, and once
        seen = SeenIds(fold_at=fold_at)
        for digest in digests:
            seen._recent.add(digest)
            if len(seen._recent) >= seen.fold_at:
                seen._fold()
        assert not seen._recent and seen._shift == 64 - (5_005 // 16).bit_length()
        assert all(seen._has(d) for d in digests)
        present = set(digests)
        absent = [d for d in (rng.getrandbits(64) for _ in range(5_000)) if d not in present]
        absent += [d + 1 for d in digests if d + 1 < 2**64 and d + 1 not in present]
        assert not any(seen._has(d) for d in absent)


def test_a_fold_moves_the_bucket_table_as_a_rebuild_from_the_array_would():
    rng = random.Random(5)
    for fold_at in (1, 3, 40, 700):
        seen, shifted = SeenIds(fold_at=fold_at), 0
        for _ in range(6_000):
            seen._recent.add(rng.getrandbits(64))
            if len(seen._recent) >= seen.fold_at:
                bits_before = seen._shift
                seen._fold()
                shifted += seen._shift == bits_before  # the table moved, not rebuilt
                rebuilt = SeenIds()
                rebuilt._index(np.frombuffer(seen._folded, dtype=np.uint64))
                assert (rebuilt._shift, list(rebuilt._starts)) == (seen._shift, list(seen._starts))
        assert shifted > 0


def test_digest_is_stable_and_takes_any_text():
    assert id_digest("ord-000001") == id_digest("ord-000001") != id_digest("ord-000002")
    assert 0 <= id_digest("\ud800 odd surrogate é") < 2**64
