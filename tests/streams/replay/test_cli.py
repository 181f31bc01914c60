"""chokepoint simulate -> replay -> evaluate, as an analyst runs them."""

from __future__ import annotations

import gzip
import json

import msgspec
import pytest

from schemas import Alert, DeadLetter
from streams.cli import main


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A small simulated year, with two malformed lines appended, written as gzip."""
    folder = tmp_path_factory.mktemp("history")
    plain = folder / "sim.jsonl"
    truth = folder / "truth.json"
    assert main(["simulate", "--seed", "3", "--events", "20000", "--out", str(plain), "--truth", str(truth)]) == 0
    with gzip.open(folder / "sim.jsonl.gz", "wb") as handle:
        handle.write(plain.read_bytes() + b"{not json\n" + b'{"event_type": "order"}\n')
    return folder


def test_replay_writes_alerts_deadletters_and_a_report(history, capsys):
    out = history / "alerts.jsonl"
    report = history / "report.html"
    code = main(["replay", str(history / "sim.jsonl.gz"), "--out", str(out), "--report", str(report), "--batch-size", "777"])
    assert code == 0
    alerts = [msgspec.json.decode(line, type=Alert) for line in out.read_bytes().splitlines()]
    assert alerts, "the simulated year has injected cases"
    assert len({a.alert_id for a in alerts}) == len(alerts)
    letters = [msgspec.json.decode(line, type=DeadLetter) for line in (history / "alerts.deadletter.jsonl").read_bytes().splitlines()]
    assert [d.error.split(":")[0].split()[0] for d in letters] == ["not_json", "schema"]
    html = report.read_text()
    assert html.startswith("<!doctype html>") and "<script" not in html
    for alert in alerts:
        assert alert.alert_id in html
    captured = capsys.readouterr()
    assert "alerts by typology and severity" in captured.out + captured.err


def test_replay_result_does_not_depend_on_batch_size(history):
    outputs = []
    for size in ("1000", "50000"):
        out = history / f"alerts-{size}.jsonl"
        assert main(["replay", str(history / "sim.jsonl"), "--out", str(out), "--batch-size", size]) == 0
        outputs.append([{k: v for k, v in json.loads(line).items() if k != "detected_at"} for line in out.read_bytes().splitlines()])
    assert outputs[0] == outputs[1]


def test_entity_filter_keeps_only_alerts_involving_that_party(history):
    everything = history / "all.jsonl"
    assert main(["replay", str(history / "sim.jsonl"), "--out", str(everything)]) == 0
    alerts = [json.loads(line) for line in everything.read_bytes().splitlines()]
    subject = alerts[0]["subject"]["entity_id"]
    only = history / "only.jsonl"
    assert main(["replay", str(history / "sim.jsonl"), "--out", str(only), "--entity", subject]) == 0
    kept = [json.loads(line) for line in only.read_bytes().splitlines()]
    assert kept and all(
        a["subject"]["entity_id"] == subject or any(p.get("entity_id") == subject for p in a.get("related") or []) for a in kept
    )


def test_evaluate_scores_replay_output_against_the_truth(history, capsys):
    out = history / "eval-alerts.jsonl"
    assert main(["replay", str(history / "sim.jsonl"), "--out", str(out)]) == 0
    scores = history / "scores.json"
    assert main(["evaluate", "--truth", str(history / "truth.json"), "--alerts", str(out), "--json", str(scores)]) == 0
    result = json.loads(scores.read_text())
    rules = ("screening", "over_ordering", "transshipment", "end_use")
    assert set(result["typologies"]) >= set(rules)
    for typology in rules:
        score = result["typologies"][typology]
        assert score["cases"] > 0 and score["recall"] >= 0.95, (typology, score)
    assert result["lookalike_alerts_medium_or_higher"] == []


def test_train_is_deterministic_and_replay_uses_the_trained_model(history, capsys):
    metadata = []
    for name in ("model-a", "model-b"):
        folder = history / name
        assert main(["train", str(history / "sim.jsonl"), "--seed", "4", "--out", str(folder)]) == 0
        metadata.append(json.loads((folder / "metadata.json").read_text()))
    assert metadata[0]["model_version"] == metadata[1]["model_version"]
    assert metadata[0]["model_sha256"] == metadata[1]["model_sha256"]
    assert metadata[0]["source"]["inputs"] == [str(history / "sim.jsonl")]

    out = history / "alerts-own-model.jsonl"
    assert main(["replay", str(history / "sim.jsonl"), "--out", str(out), "--model", str(history / "model-a")]) == 0
    versions = {
        alert["details"]["model_version"]
        for alert in map(json.loads, out.read_bytes().splitlines())
        if alert["typology"] == "anomaly"
    }
    assert versions == {metadata[0]["model_version"]}


def test_train_refuses_both_or_neither_source(history, capsys):
    assert main(["train", "--out", str(history / "nothing")]) == 2
    assert main(["train", str(history / "sim.jsonl"), "--simulate-seed", "1", "--out", str(history / "both")]) == 2


def test_unusable_model_or_thresholds_or_missing_input_are_clear_errors(history, tmp_path, capsys):
    sim = str(history / "sim.jsonl")
    assert main(["replay", sim, "--out", str(tmp_path / "a.jsonl"), "--model", str(tmp_path / "no-model")]) == 2
    assert "no anomaly model metadata" in capsys.readouterr().err
    bad = tmp_path / "thresholds.toml"
    bad.write_text("[over_ordering]\nwindow_days = 365\n")  # no version
    assert main(["replay", sim, "--out", str(tmp_path / "a.jsonl"), "--thresholds", str(bad)]) == 2
    assert "missing 'version'" in capsys.readouterr().err
    assert main(["train", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "m")]) == 2
    assert "no such input" in capsys.readouterr().err


def test_replay_over_several_processes_gives_the_one_process_replay(history, capsys):
    """--jobs 2 deals the families out to two processes: the same alerts (every field but
    detected_at), dead letters and counts; --entity and --report work the same."""
    import re

    outputs, letters, reports, counts = {}, {}, {}, {}
    for jobs in ("1", "2"):
        out = history / f"jobs-{jobs}.jsonl"
        report = history / f"jobs-{jobs}.html"
        args = ["replay", str(history / "sim.jsonl.gz"), "--out", str(out), "--report", str(report), "--jobs", jobs]
        assert main(args) == 0
        printed = capsys.readouterr()
        outputs[jobs] = [{k: v for k, v in json.loads(line).items() if k != "detected_at"} for line in out.read_bytes().splitlines()]
        letters[jobs] = [json.loads(x)["error"] for x in (history / f"jobs-{jobs}.deadletter.jsonl").read_bytes().splitlines()]
        reports[jobs] = report.read_text()
        summary = r"([\d,]+) records read, ([\d,]+) valid, ([\d,]+) invalid.*?([\d,]+)\s+duplicates\s+dropped;\s+([\d,]+)\s+alerts"
        counts[jobs] = re.search(summary, printed.out + printed.err, re.S).groups()
    assert outputs["1"] and outputs["1"] == outputs["2"]
    assert len(letters["1"]) == 2 and letters["1"] == letters["2"]
    records = len((history / "sim.jsonl").read_bytes().splitlines()) + 2  # the simulated events and two bad lines
    assert counts["1"] == counts["2"] and counts["1"][:3] == (f"{records:,}", f"{records - 2:,}", "2")
    for alert in outputs["2"]:
        assert alert["alert_id"] in reports["2"]
    subject = outputs["1"][0]["subject"]["entity_id"]
    only = history / "jobs-entity.jsonl"
    assert main(["replay", str(history / "sim.jsonl"), "--out", str(only), "--entity", subject, "--jobs", "3"]) == 0
    kept = [{k: v for k, v in json.loads(line).items() if k != "detected_at"} for line in only.read_bytes().splitlines()]
    assert kept == [a for a in outputs["1"] if a["subject"]["entity_id"] == subject or any(p["entity_id"] == subject for p in a.get("related") or ())]


def test_a_replay_process_that_fails_is_reported(history, tmp_path):
    from streams.replay.parallel import EngineRecipe, replay_files_parallel

    with pytest.raises(RuntimeError, match="failed"):
        replay_files_parallel([history / "sim.jsonl"], EngineRecipe(model=tmp_path / "no-model"), 2)
    assert main(["replay", str(history / "sim.jsonl"), "--jobs", "0"]) == 2


def test_an_engine_recipe_without_the_model_runs_the_rule_families_only():
    from streams.replay.parallel import EngineRecipe

    rules = EngineRecipe(anomaly=False)
    assert "anomaly" not in rules.running() and len(rules.running()) == 4
    assert sorted(d.name for d in rules.build().detectors) == sorted(rules.running())
    assert sorted(d.name for d in EngineRecipe(families=("anomaly", "screening")).build().detectors) == ["anomaly", "screening"]
