"""The watermark sequencer releases events in event-time order once every source has passed them."""

from __future__ import annotations

import datetime as dt
import random

from streams.live import Sequencer

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def t(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def add(seq: Sequencer, source: str, minute: int, event_id: str) -> bool:
    return seq.add(source, t(minute), event_id, event_id)


def test_nothing_is_released_until_every_source_has_been_heard_from() -> None:
    seq = Sequencer(["a", "b"])
    add(seq, "a", 1, "a1")
    add(seq, "a", 5, "a5")
    assert seq.release() == ([], False)
    add(seq, "b", 3, "b3")
    assert seq.release() == (["a1"], False)  # watermark = min(5, 3): only t < 3 is safe


def test_release_is_in_event_time_then_id_order_across_sources() -> None:
    seq = Sequencer(["a", "b"])
    for source, minute, event_id in [("b", 2, "z"), ("a", 1, "y"), ("a", 2, "x"), ("b", 4, "w"), ("a", 9, "v")]:
        add(seq, source, minute, event_id)
    assert seq.release() == (["y", "x", "z"], False)  # watermark 4


def test_an_idle_source_holds_nothing_back_and_all_idle_drains() -> None:
    seq = Sequencer(["a", "b"])
    add(seq, "a", 1, "a1")
    add(seq, "a", 2, "a2")
    seq.idle("b")
    assert seq.release() == (["a1"], False)  # a may still send more at t=2
    seq.idle("a")
    assert seq.release() == (["a2"], True)


def test_an_event_on_an_idle_source_makes_it_active_again() -> None:
    seq = Sequencer(["a", "b"])
    seq.idle("a")
    seq.idle("b")
    add(seq, "a", 5, "a5")
    assert seq.release() == ([], False)  # b is idle, a is active at 5: nothing before 5
    add(seq, "a", 6, "a6")
    assert seq.release() == (["a5"], False)


def test_a_late_event_is_released_at_once_and_counted_never_dropped() -> None:
    seq = Sequencer(["a"])
    add(seq, "a", 5, "a5")
    add(seq, "a", 9, "a9")
    assert seq.release() == (["a5"], False)
    add(seq, "a", 1, "late")
    assert seq.late_events == 1
    assert seq.release() == (["late"], False)


def test_a_redelivered_buffered_event_is_buffered_once() -> None:
    seq = Sequencer(["a"])
    assert add(seq, "a", 1, "e1")
    assert not add(seq, "a", 1, "e1")
    seq.idle("a")
    assert seq.release() == (["e1"], True)


def test_a_redelivered_copy_does_not_wake_an_idle_source() -> None:
    seq = Sequencer(["a", "b"])
    add(seq, "a", 1, "a1")
    add(seq, "b", 2, "b2")
    seq.idle("a")
    add(seq, "a", 1, "a1")  # the ingest re-sends after a restart
    seq.idle("b")
    assert seq.release() == (["a1", "b2"], True)


def test_watermark_never_moves_back() -> None:
    seq = Sequencer(["a", "b"])
    add(seq, "a", 10, "a10")
    add(seq, "b", 10, "b10")
    seq.release()
    first = seq.released_to
    seq.expect(["c"])  # a partition added to an input topic
    assert seq.release() == ([], False)
    assert seq.released_to == first


def test_interleaved_sources_and_releases_give_one_sorted_sequence() -> None:
    """Whatever the arrival interleaving and release points, every event comes out once,
    and (no event being late) all of them in (event time, event id) order."""
    rng = random.Random(7)
    for _ in range(50):
        sources = {name: sorted(rng.sample(range(60), rng.randint(1, 12))) for name in "abc"}
        queues = {name: [(minute, f"{name}{minute}") for minute in minutes] for name, minutes in sources.items()}
        seq = Sequencer(sources)
        released: list[str] = []
        while any(queues.values()):
            name = rng.choice([n for n in queues if queues[n]])
            minute, event_id = queues[name].pop(0)
            add(seq, name, minute, event_id)
            if not queues[name]:
                seq.idle(name)
            if rng.random() < 0.3:
                released.extend(seq.release()[0])
        out, drained = seq.release()
        released.extend(out)
        assert drained and seq.late_events == 0
        expected = sorted((minute, event_id) for q in sources for minute, event_id in [(m, f"{q}{m}") for m in sources[q]])
        assert released == [event_id for _, event_id in expected]
