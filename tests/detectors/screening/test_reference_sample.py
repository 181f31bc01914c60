"""The shipped sample screening list (detectors/reference/data) screens against itself."""

from __future__ import annotations

import json
import re

import pytest

from detectors.reference import ScreeningSample
from detectors.screening import ScreeningList, ScreeningMatcher
from schemas import ScreeningEntry, decode


def _variants(name: str) -> list[str]:
    """The name as listed, shouted without punctuation, and with another legal form."""
    bare = re.sub(r"[^\w\s]", " ", name).upper()
    swapped = re.sub(r",?\s*(Co\.,?\s*Ltd\.?|Ltd\.?|Limited)$", " Company Limited", name)
    return list(dict.fromkeys([name, bare, swapped]))


def test_every_sample_entry_matches_itself() -> None:
    sample = ScreeningSample.load()
    entries = [decode(json.dumps(raw).encode()) for raw in sample.entries]
    assert entries and all(isinstance(entry, ScreeningEntry) for entry in entries)
    matcher = ScreeningMatcher(ScreeningList.of(entries))
    for raw in sample.entries:
        country = raw["addresses"][0]["country"] if raw.get("addresses") else None
        for name in sample.names(raw):
            for variant in _variants(name):
                found = [m.entry_id for m in matcher.match(variant, country)]
                assert found and found[0] == raw["entry_id"], (variant, found)


@pytest.mark.parametrize(
    ("written", "entry_id"),
    [
        ("Sugon Info Industry Co", "el-sugon"),
        ("Zhong Ke Shu Guang", "el-sugon"),
        ("Inspurr Group", "el-inspur"),
        ("Supercomputing Center Wuxi National", "el-nscc-wuxi"),
        ("Wuxi Jiangnan Inst. of Computing Tech", "el-wuxi-jiangnan"),
        ("Tianjin Feiteng Info Tech", "el-phytium"),
        ("Hai Guang", "el-higon"),
        ("Zhipu Huazhang Tech", "el-zhipu"),
    ],
)
def test_sample_entries_under_field_spellings(written, entry_id) -> None:
    sample = ScreeningSample.load()
    matcher = ScreeningMatcher(ScreeningList.of(decode(json.dumps(raw).encode()) for raw in sample.entries))
    assert matcher.match(written)[0].entry_id == entry_id
