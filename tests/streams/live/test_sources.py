"""Which input partitions the ingest stage announces idle, and when."""

from __future__ import annotations

from streams.live import SourceProgress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_source_is_announced_once_it_is_read_to_its_high_watermark() -> None:
    clock = Clock()
    progress = SourceProgress(grace_s=3.0, clock=clock)
    progress.assign({"o:0": None})
    progress.processed("o:0", 8)
    assert progress.to_announce({"o:0": 10}.get) == []  # offset 9 is still to come
    progress.processed("o:0", 9)
    assert progress.to_announce({"o:0": 10}.get) == ["o:0"]
    assert progress.to_announce({"o:0": 10}.get) == []  # once
    progress.processed("o:0", 10)
    assert progress.to_announce({"o:0": 11}.get) == ["o:0"]  # again after new input


def test_a_source_whose_start_is_its_end_is_announced_at_once() -> None:
    progress = SourceProgress(grace_s=3.0, clock=Clock())
    progress.assign({"o:0": 7, "o:1": None})  # the group committed 7; o:1 never consumed
    assert progress.to_announce({"o:0": 7, "o:1": 0}.get) == ["o:0", "o:1"]


def test_a_start_learnt_after_the_assignment_counts() -> None:
    progress = SourceProgress(grace_s=3.0, clock=Clock())
    progress.assign({"o:0": None})
    assert progress.to_announce({"o:0": 5}.get) == []
    progress.assign({"o:0": 5})  # the group's committed offset arrived
    assert progress.to_announce({"o:0": 5}.get) == ["o:0"]


def test_a_source_with_unread_input_is_never_announced_before_it_is_read() -> None:
    """A worker starved of CPU may take longer than the grace period to read its first
    message; announcing the partition idle meanwhile would make its events late."""
    clock = Clock()
    progress = SourceProgress(grace_s=3.0, clock=clock)
    progress.assign({"o:0": 4})
    clock.now = 600.0
    assert progress.to_announce({"o:0": 9}.get) == []
    progress.processed("o:0", 8)
    assert progress.to_announce({"o:0": 9}.get) == ["o:0"]


def test_a_source_with_no_high_watermark_is_announced_after_the_grace_period() -> None:
    clock = Clock()
    progress = SourceProgress(grace_s=3.0, clock=clock)
    progress.assign({"ref:0": None})
    assert progress.to_announce(lambda _: None) == []
    clock.now = 3.5
    assert progress.to_announce(lambda _: None) == ["ref:0"]


def test_unknown_high_watermark_never_announces_a_source_with_input() -> None:
    progress = SourceProgress(grace_s=0.0, clock=Clock())
    progress.assign({"o:0": None})
    progress.processed("o:0", 3)
    assert progress.to_announce(lambda _: None) == []


def test_revoked_sources_are_forgotten_and_reassigned_ones_start_over() -> None:
    clock = Clock()
    progress = SourceProgress(grace_s=1.0, clock=clock)
    progress.assign({"o:0": None, "o:1": None})
    progress.processed("o:1", 4)
    progress.assign({"o:0": None})
    clock.now = 2.0
    assert progress.to_announce({"o:0": 0, "o:1": 5}.get) == ["o:0"]
