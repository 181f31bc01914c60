"""The memory breakdown counts each object once, for the first part that reaches it."""

from __future__ import annotations

import msgspec

from streams.bench_memory import deep_sizes, engine_parts, memory_report, replay_footprints
from streams.cli import main
from streams.simulate import SimulationConfig, simulate, write_jsonl


class _Packed(msgspec.Struct, gc=False):  # like the detectors' facts: no referents for gc
    text: str


def test_an_object_shared_by_two_parts_counts_for_the_first_only():
    big = "x" * 100_000
    first, second = deep_sizes([("first", [big]), ("second", [big, "y" * 1_000])])
    assert first.bytes > 100_000
    assert 1_000 < second.bytes < 10_000
    assert (first.objects, second.objects) == (2, 2)  # the list and the string; the list and "y..."


def test_struct_fields_are_counted_even_without_gc_referents():
    (packed,) = deep_sizes([("packed", [_Packed("z" * 50_000)])])
    assert packed.bytes > 50_000


def test_a_replay_shows_each_detector_and_what_it_holds(tmp_path):
    path = tmp_path / "sim.jsonl"
    write_jsonl(simulate(SimulationConfig(seed=3, target_events=3_000)).events, path)
    events, invalid, footprints = replay_footprints([path])
    assert events > 2_000 and invalid == 0
    by_part = {f.part: f for f in footprints}
    for family in ("over_ordering", "anomaly", "transshipment", "screening", "end_use"):
        assert sum(f.bytes for f in footprints if f.part.startswith(family)) > 10_000, family
    assert by_part["transshipment._state.legs"].objects > 1_000  # a leg's strings and tuples
    assert by_part["engine._seen"].bytes > 8 * events  # an 8-byte digest per event at least
    report = memory_report(events, footprints, top=5)
    assert report.count("\n| ") == 1 + 5 and f"{events:,} events" in report  # the header and five rows


def test_parts_cover_the_engine_reference_and_modules():
    from detectors.engine import Engine
    from detectors.registry import default_detectors

    names = [name for name, _ in engine_parts(Engine(default_detectors()), depth=1)]
    assert "engine._seen" in names and "module-level memos" == names[-1]
    assert any(name.startswith("reference.registry") for name in names)
    assert any(name.startswith("transshipment._state") for name in names)


def test_bad_input_is_counted_and_a_missing_file_refused(tmp_path, capsys):
    path = tmp_path / "mixed.jsonl"
    write_jsonl(simulate(SimulationConfig(seed=3, target_events=500)).events, path)
    with path.open("a") as out:
        out.write('not json\n{"event_type": "order"}\n')
    assert main(["bench", "memory", "--input", str(path)]) == 0
    assert "(2 invalid records skipped)" in capsys.readouterr().out
    assert main(["bench", "memory", "--input", str(tmp_path / "absent.jsonl")]) == 2
    assert "no such input" in capsys.readouterr().err


def test_the_command_prints_the_breakdown(tmp_path, capsys):
    path = tmp_path / "sim.jsonl"
    write_jsonl(simulate(SimulationConfig(seed=3, target_events=1_000)).events, path)
    assert main(["bench", "memory", "--input", str(path)]) == 0
    out = capsys.readouterr().out
    assert "reachable from the engine" in out and "| transshipment." in out
