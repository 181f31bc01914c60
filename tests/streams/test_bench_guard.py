"""The CI regression guard: fails on a 5x collapse against the recorded baseline, not on noise."""

from __future__ import annotations

from streams import bench_guard


def test_only_a_collapse_fails():
    baseline = {"decode": 200_000.0, "engine": 2_500.0}
    assert bench_guard.collapsed({"decode": 60_000.0, "engine": 800.0}, baseline) == []  # 3x slower: noise
    [problem] = bench_guard.collapsed({"decode": 30_000.0, "engine": 800.0}, baseline)
    assert problem.startswith("decode: 30,000 events/s, 6.7x slower")
    assert bench_guard.collapsed({"decode": 200_000.0}, baseline) == ["engine: not measured"]


def test_record_round_trips(tmp_path):
    path = tmp_path / "baseline.toml"
    bench_guard.record({"decode": 1234.5, "engine": 10.0}, "test machine", path)
    assert bench_guard.load_baseline(path) == {"decode": 1234.5, "engine": 10.0}


def test_no_workload_collapsed_against_the_recorded_baseline():
    baseline = bench_guard.load_baseline()
    assert set(baseline) == set(bench_guard.GUARDS)
    measured = bench_guard.measure()
    assert bench_guard.collapsed(measured, baseline) == [], measured


def test_bench_suites_print_a_row_per_measure(capsys):
    from streams.bench import run_benchmarks

    results = run_benchmarks(["replay", "decode"], events=2_000, repeat=1)
    assert [r.what.split(",")[0] for r in results] == ["offline replay"] * 2 + ["decode + validate"] * 2 + ["msgspec typed decode alone"]
    assert all(r.median > 0 for r in results)
    printed = capsys.readouterr().out
    assert all(r.row() in printed for r in results)
