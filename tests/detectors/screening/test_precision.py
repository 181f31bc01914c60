"""Precision on innocent company names, and a loose speed floor.

The innocent names are combinations of the words real trading companies use (common
words, city names, surnames, brand-like words), none of them a listed name. At the
default threshold fewer than 1 % may match the shipped sample list. Timing is reported,
not asserted tightly: the floor (2,000 names/s) is an order of magnitude below what a
laptop does, so it only catches an accidental O(list) scan per query.
"""

from __future__ import annotations

import random
import time

import pytest

from detectors.reference import ScreeningSample
from detectors.screening import ScreeningList, ScreeningMatcher
from schemas import ScreeningEntry, decode

CITIES = ["Shenzhen", "Shanghai", "Beijing", "Guangzhou", "Tianjin", "Wuxi", "Jinan", "Chengdu", "Zhengzhou",
          "Changsha", "Hangzhou", "Suzhou", "Xiamen", "Singapore", "Kuala Lumpur", "Penang", "Johor", "Bangkok",
          "Dubai", "Hanoi", "Jakarta", "Taipei", "Hong Kong", "Cyberjaya", "Batam", "Almaty", "Istanbul"]
SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu",
            "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Tan", "Lim", "Lee", "Ng", "Goh", "Teo", "Ong", "Kumar", "Singh",
            "Nguyen", "Tran", "Pham", "Smith", "Johnson", "Garcia", "Mueller", "Tanaka", "Kim", "Park", "Abdullah",
            "Rahman", "Haddad", "Yilmaz", "Ivanov"]
BRANDS = ["Huaxin", "Tianlong", "Fengyuan", "Shengda", "Jiaxing", "Ruixin", "Xingyuan", "Mingtai", "Hengtai",
          "Kangda", "Fubao", "Chengxin", "Jinmei", "Anyi", "Dragon", "Phoenix", "Lotus", "Pearl", "Jade", "Eagle",
          "Tiger", "Ocean", "River", "Summit", "Horizon", "Pinnacle", "Alliance", "Fortune", "Harmony", "Victory",
          "Apex", "Zenith", "Vertex", "Fusion", "Quantum", "Matrix", "Nexus", "Nova", "Silverline", "Bluewave",
          "Greenfield", "Brightstar", "Grandview", "Sunrise", "Everbright", "Goldsea", "Redstone", "Skyline"]
COMMON = ["Trading", "Technology", "Electronics", "Solutions", "Systems", "Logistics", "Digital", "Cloud",
          "Computing", "Data", "Network", "Industrial", "Precision", "Supply Chain", "Global", "Pacific",
          "International", "Information", "Science", "Engineering", "Import Export", "Investment", "Holdings",
          "Group", "Semiconductor", "Microelectronics", "Smart", "Intelligent", "Innovation", "Components",
          "Computer", "Software", "Services", "Research", "Development", "Center", "National", "Industry",
          "Freight", "Express", "Enterprise", "Hardware", "Devices", "Power", "Energy", "Supercomputing"]
SUFFIXES = ["Co., Ltd.", "Pte Ltd", "Sdn Bhd", "Limited", "LLC", "Inc", "Corp", "FZE", "JSC", "Co Ltd", "", "Ltd"]


def innocent_names(count: int = 2000, seed: int = 20251123) -> list[str]:
    rng = random.Random(seed)
    c = rng.choice
    templates = [
        lambda: f"{c(CITIES)} {c(BRANDS)} {c(COMMON)} {c(COMMON)}",
        lambda: f"{c(SURNAMES)} {c(COMMON)} {c(COMMON)}",
        lambda: f"{c(BRANDS)} {c(COMMON)}",
        lambda: f"{c(CITIES)} {c(SURNAMES)} {c(COMMON)}",
        lambda: f"{c(BRANDS)} ({c(CITIES)}) {c(COMMON)}",
        lambda: f"{c(COMMON)} {c(COMMON)} {c(COMMON)}",
        lambda: f"{c(CITIES)} {c(COMMON)} {c(COMMON)} {c(COMMON)}",
        lambda: f"{c(SURNAMES)} & {c(SURNAMES)} {c(COMMON)}",
    ]
    names: set[str] = set()
    while len(names) < count:
        names.add(f"{rng.choice(templates)()} {rng.choice(SUFFIXES)}".strip())
    return sorted(names)


@pytest.fixture(scope="module")
def sample_list() -> ScreeningList:
    import json

    sample = ScreeningSample.load()
    entries = [decode(json.dumps(raw).encode()) for raw in sample.entries]
    assert all(isinstance(entry, ScreeningEntry) for entry in entries)
    return ScreeningList.of(entries)


def test_innocent_names_rarely_match(sample_list, report_figure) -> None:
    names = innocent_names()
    assert len(names) == 2000
    matcher = ScreeningMatcher(sample_list)
    matcher.match("warm up the index")

    started = time.perf_counter()
    results = [matcher.match(name) for name in names]
    cold = len(names) / (time.perf_counter() - started)
    started = time.perf_counter()
    for name in names:
        matcher.match(name)
    cached = len(names) / (time.perf_counter() - started)

    hits = [(name, found[0].listed_name, found[0].score) for name, found in zip(names, results) if found]
    rate = len(hits) / len(names)
    report_figure(
        f"innocent names matching the sample list at the default threshold: {len(hits)}/{len(names)} "
        f"({rate:.2%}); speed {cold:,.0f} names/s uncached, {cached:,.0f} names/s cached"
    )
    assert rate < 0.01, hits[:20]
    assert cold > 2000


def test_the_same_names_do_hit_when_a_listed_name_is_embedded(sample_list) -> None:
    # Guard against a matcher that passes the precision test by matching nothing.
    matcher = ScreeningMatcher(sample_list)
    planted = [name.replace("Trading", "Inspur", 1) for name in innocent_names(400) if "Trading" in name]
    assert planted
    hit = sum(1 for name in planted if any(m.entry_id == "el-inspur" for m in matcher.match(name)))
    assert hit / len(planted) > 0.5
