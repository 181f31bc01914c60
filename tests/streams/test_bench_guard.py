"""The CI regression guard: fails on a 5x collapse against the recorded baseline, not on noise."""

from __future__ import annotations

from streams import bench_guard


def test_only_a_collapse_fails():
    baseline = {"decode": 200_000.0, "engine": 2_500.0}
    assert bench_guard.collapsed({"decode": 60_000.0, "engine": 800.0}, baseline) == []  # 3x slower: noise
    [problem] = bench_guard.collapsed({"decode": 30_000.0, "engine": 800.0}, baseline)
    assert problem.startswith("decode: 30,000 events/s, 6.7x slower")
    assert bench_guard.collapsed({"decode": 200_000.0}, baseline) == ["engine: not measured"]


def test_a_slower_machine_lowers_the_bar_by_its_own_measured_speed():
    baseline = {"decode": 200_000.0, bench_guard.MACHINE: 1_000_000.0}
    slow = {bench_guard.MACHINE: 400_000.0}  # this machine runs plain Python at 0.4x the record's
    assert bench_guard.machine_speed(slow, baseline) == 0.4
    # 6.7x below the record, but 2.7x below what the record is worth on this machine
    assert bench_guard.collapsed({**slow, "decode": 30_000.0}, baseline) == []
    assert bench_guard.collapsed({"decode": 30_000.0}, baseline) != []  # unmeasured machine: not scaled
    [problem] = bench_guard.collapsed({**slow, "decode": 10_000.0}, baseline)
    assert problem.startswith("decode: 10,000 events/s, 8.0x slower than the recorded 200,000, 0.40x")


def test_a_faster_machine_raises_the_bar_as_much():
    baseline = {"decode": 200_000.0, bench_guard.MACHINE: 1_000_000.0}
    fast = {bench_guard.MACHINE: 3_000_000.0}  # 3x the record's machine: 600k decodes/s expected
    assert bench_guard.machine_speed(fast, baseline) == 3.0
    assert bench_guard.collapsed({**fast, "decode": 200_000.0}, baseline) == []  # 3x below: noise
    [problem] = bench_guard.collapsed({**fast, "decode": 100_000.0}, baseline)  # as fast as the record, but 6x below
    assert problem.startswith("decode: 100,000 events/s, 6.0x slower than the recorded 200,000, 3.00x")


def test_record_round_trips(tmp_path):
    path = tmp_path / "baseline.toml"
    bench_guard.record({"decode": 1234.5, "engine": 10.0}, "test machine", path)
    assert bench_guard.load_baseline(path) == {"decode": 1234.5, "engine": 10.0}


def test_no_workload_collapsed_against_the_recorded_baseline():
    baseline = bench_guard.load_baseline()
    assert set(baseline) == set(bench_guard.GUARDS) | {bench_guard.MACHINE}
    measured = bench_guard.measure()
    assert measured[bench_guard.MACHINE] > 0
    assert bench_guard.collapsed(measured, baseline) == [], measured


def test_bench_suites_print_a_row_per_measure(capsys):
    from streams.bench import run_benchmarks

    results = run_benchmarks(["replay", "decode"], events=2_000, repeat=1)
    assert [r.what.split(",")[0] for r in results] == ["offline replay"] * 3 + ["decode + validate"] * 2 + [
        "msgspec typed decode alone",
        "machine speed: plain Python",
    ]
    assert "2 processes" in results[2].what and results[2].target is None
    assert all(r.median > 0 for r in results)
    assert len(results[-1].samples) == 2 and results[-1].target is None  # before and after the suites
    printed = capsys.readouterr().out
    assert all(r.row() in printed for r in results)


def test_scaling_suite_compares_ten_times_the_events():
    from streams.bench import bench_scaling

    ratio, memory = bench_scaling(events=500, repeat=1)
    assert ratio.what.startswith("replay scaling") and ratio.target == 12.0 and ratio.at_most
    assert ratio.median > 1.0  # ten times the events cannot cost less CPU than one time
    assert memory.unit == "MiB" and memory.median > 50 and memory.target is None  # the 4 GB target is for 10M


def test_write_results_replaces_only_its_own_table(tmp_path):
    from streams.bench import BEGIN, END, BenchResult, write_results

    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\nprose before\n")
    first = BenchResult("decode", "events/s", (1.0, 2.0, 3.0), 2.5, "cmd")
    write_results(path, [first], seconds=60)
    text = path.read_text()
    assert text.startswith("# Benchmarks\n\nprose before\n") and first.row() in text and text.count(BEGIN) == 1
    path.write_text(text + "\nprose after\n")
    second = BenchResult("decode", "events/s", (4.0, 5.0, 6.0), 2.5, "cmd")
    write_results(path, [second], seconds=90)
    text = path.read_text()
    assert second.row() in text and first.row() not in text
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert "prose before" in text and text.rstrip().endswith("prose after") and "1.5 minutes" in text
