"""End-to-end properties of a simulation: determinism, order, contract, truth."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Any

from streams.simulate import PATTERNS, TYPOLOGIES, Simulation, simulate, write_jsonl, write_truth
from tests.simulate.conftest import SMALL
from tests.simulate.contract_check import contract_errors


def _files(tmp_path: Path, name: str, seed: int) -> tuple[bytes, bytes]:
    sim = simulate(dataclasses.replace(SMALL, seed=seed, target_events=3_000))
    write_jsonl(sim.events, tmp_path / f"{name}.jsonl", processes=1)
    write_truth(sim.truth, tmp_path / f"{name}.truth.json")
    return (tmp_path / f"{name}.jsonl").read_bytes(), (tmp_path / f"{name}.truth.json").read_bytes()


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    first = _files(tmp_path, "a", 5)
    second = _files(tmp_path, "b", 5)
    assert first[0] == second[0]
    assert first[1] == second[1]


def test_different_seed_gives_different_output(tmp_path: Path) -> None:
    first = _files(tmp_path, "a", 5)
    other = _files(tmp_path, "c", 6)
    assert first[0] != other[0]
    assert first[1] != other[1]


def test_events_iterate_again_identically(small_simulation: Simulation, small_events: list[dict[str, Any]]) -> None:
    again = list(small_simulation.events)
    assert [e["event_id"] for e in again] == [e["event_id"] for e in small_events]


def test_target_is_approximate(small_events: list[dict[str, Any]]) -> None:
    assert abs(len(small_events) - SMALL.target_events) <= 0.1 * SMALL.target_events


def test_every_event_passes_the_contract(small_events: list[dict[str, Any]]) -> None:
    bad = [(e["event_id"], errors) for e in small_events if (errors := contract_errors(e))]
    assert not bad, bad[:5]
    assert {e["event_type"] for e in small_events} == {"entity", "screening_entry", "order", "shipment"}


def test_event_ids_are_unique(small_events: list[dict[str, Any]]) -> None:
    ids = Counter(e["event_id"] for e in small_events)
    assert ids.most_common(1)[0][1] == 1


def test_events_are_sorted_by_time_then_id(small_events: list[dict[str, Any]]) -> None:
    keys = [(e["event_time"], e["event_id"]) for e in small_events]
    assert keys == sorted(keys)


def test_every_pattern_and_typology_is_in_the_truth(small_simulation: Simulation) -> None:
    truth = small_simulation.truth
    assert {c["pattern"] for c in truth["cases"]} == {p.name for p in PATTERNS}
    assert {c["typology"] for c in truth["cases"]} == set(TYPOLOGIES)
    assert Counter(c["pattern"] for c in truth["cases"]) == Counter({p.name: SMALL.cases_per_pattern for p in PATTERNS})
    assert len({c["case_id"] for c in truth["cases"]}) == len(truth["cases"])


def test_default_config_has_every_pattern() -> None:
    from streams.simulate import SimulationConfig

    config = SimulationConfig()
    assert config.cases_per_pattern >= 1 and config.mid_period_listing
    names = [p.name for p in PATTERNS]
    for required in ("subsidiary_over_capacity", "group_over_capacity", "no_declared_capacity",
                     "first_time_large_order", "order_burst", "serial_reexport", "pass_through_match", "multi_hop",
                     "serial_duplicate", "misdescription", "straw_consolidation", "business_line_mismatch",
                     "end_use_product_mismatch", "third_country_payer", "cash_or_crypto", "declined_installation",
                     "hq_d5_no_licence", "residential_address", "new_company_no_website", "forwarder_final_consignee",
                     "listed_name_variant", "listed_unresolved", "listed_affiliate"):
        assert required in names, required


def test_truth_is_json_and_well_formed(small_simulation: Simulation) -> None:
    truth = json.loads(json.dumps(small_simulation.truth))
    assert truth["seed"] == SMALL.seed and truth["config"]["seed"] == SMALL.seed
    assert truth["catalogue_version"]
    for case in truth["cases"]:
        assert case["typology"] in TYPOLOGIES
        assert {"entity_id", "name", "country"} <= set(case["subject"]) <= {"entity_id", "name", "country", "spellings"}
        assert case["parties"] and all({"entity_id", "name", "country", "role"} <= set(p) for p in case["parties"])
        for party in [case["subject"], *case["parties"]]:
            assert party["name"] not in party.get("spellings", []), "spellings are the other ways documents write it"
        assert case["evidence"] and case["description"] and case["red_flags"]


def test_evidence_exists_and_completion_is_evidence(small_simulation: Simulation,
                                                     small_events: list[dict[str, Any]]) -> None:
    by_id = {e["event_id"]: e for e in small_events}
    for case in small_simulation.truth["cases"]:
        missing = [i for i in case["evidence"] if i not in by_id]
        assert not missing, (case["case_id"], missing)
        times = [by_id[i]["event_time"] for i in case["evidence"]]
        assert case["completed_at"] in times, case["case_id"]


def test_case_subjects_with_ids_are_registered(small_simulation: Simulation,
                                               small_events: list[dict[str, Any]]) -> None:
    registered = {e["entity_id"] for e in small_events if e["event_type"] == "entity"}
    for case in small_simulation.truth["cases"]:
        for party in [case["subject"], *case["parties"]]:
            if party["entity_id"] is not None:
                assert party["entity_id"] in registered, (case["case_id"], party)


def test_red_flags_are_catalogued(small_simulation: Simulation) -> None:
    from detectors.reference import RedFlagCatalogue

    codes = RedFlagCatalogue.load().codes
    for case in small_simulation.truth["cases"]:
        assert set(case["red_flags"]) <= set(codes), case["case_id"]


def test_lookalikes_exist_and_are_not_in_any_case(small_simulation: Simulation,
                                                   small_events: list[dict[str, Any]]) -> None:
    truth = small_simulation.truth
    kinds = {entry["kind"] for entry in truth["lookalikes"]}
    assert {"billing_hub", "in_country_cloud_foreign_tenant", "large_distributor", "legit_reexport"} <= kinds
    registered = {e["entity_id"] for e in small_events if e["event_type"] == "entity"}
    lookalike_ids = {p["entity_id"] for entry in truth["lookalikes"] for p in entry["parties"]}
    assert lookalike_ids <= registered
    case_ids = {p["entity_id"] for c in truth["cases"] for p in [c["subject"], *c["parties"]]} - {None}
    assert not (lookalike_ids & case_ids)
    named = Counter()
    for event in small_events:
        for role in ("buyer", "ship_to", "seller", "consignee", "shipper"):
            party = event.get(role)
            if party and party.get("entity_id") in lookalike_ids:
                named[party["entity_id"]] += 1
    assert len(named) >= len(lookalike_ids) // 2, "look-alikes should trade in the background"


def test_mid_period_listing_is_emitted(small_events: list[dict[str, Any]]) -> None:
    start = SMALL.start.isoformat()
    listed_later = [e for e in small_events if e["event_type"] == "screening_entry" and e["event_time"] > start]
    assert listed_later, "a listing part-way through the period"


def test_output_does_not_depend_on_hash_randomisation(tmp_path: Path) -> None:
    """Python randomises str hashes per process; set iteration order would leak into output."""
    import hashlib
    import os
    import subprocess
    import sys

    script = (
        "import sys, hashlib\n"
        "from streams.simulate import SimulationConfig, simulate, write_jsonl, write_truth\n"
        "sim = simulate(SimulationConfig(seed=9, target_events=2000, cases_per_pattern=1))\n"
        "write_jsonl(sim.events, sys.argv[1], processes=1)\n"
        "write_truth(sim.truth, sys.argv[2])\n"
    )
    digests = []
    repo = Path(__file__).resolve().parents[2]
    for hash_seed in ("1", "2"):
        events, truth = tmp_path / f"e{hash_seed}.jsonl", tmp_path / f"t{hash_seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(repo)}
        subprocess.run([sys.executable, "-c", script, str(events), str(truth)], check=True, env=env, cwd=repo)
        digests.append(hashlib.sha256(events.read_bytes() + truth.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
