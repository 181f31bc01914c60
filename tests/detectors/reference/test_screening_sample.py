"""The sample screening list is made of valid contract events."""

from __future__ import annotations

import json

from detectors.reference import ScreeningSample
from detectors.reference._files import DATA_DIR

NAMES = ["Sugon", "Higon", "Wuxi Jiangnan", "National University of Defense Technology", "Jinan", "Shenzhen",
         "Supercomputing Center Wuxi", "Zhengzhou", "Phytium", "Inspur", "Sophgo", "Zhipu"]


def test_lines_are_valid_contract_events() -> None:
    from schemas import ValidationError, decode

    for line in (DATA_DIR / "screening_sample.jsonl").read_bytes().splitlines():
        result = decode(line)
        assert not isinstance(result, ValidationError), result.error
        assert json.loads(line)["event_type"] == "screening_entry"


def test_sample_covers_domain_names_and_is_marked() -> None:
    sample = ScreeningSample.load()
    assert sample.version.startswith("sha256:")
    all_names = " | ".join(n for entry in sample.entries for n in sample.names(entry))
    for name in NAMES:
        assert name in all_names, name
    ids = [e["entry_id"] for e in sample.entries]
    assert len(ids) == len(set(ids))
    assert len({e["event_id"] for e in sample.entries}) == len(ids)
    for entry in sample.entries:
        assert entry["alt_names"] and entry["addresses"] and entry["start_date"] and entry["federal_register_notice"]
    assert "SAMPLE" in (DATA_DIR / "README.md").read_text()
