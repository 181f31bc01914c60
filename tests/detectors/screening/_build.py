"""A small screening list written for these tests (not the shipped sample)."""

from __future__ import annotations

from typing import Any

from detectors.screening import ScreeningList
from schemas import ScreeningAddress, ScreeningEntry
from tests.detectors.parties._build import at


def screening_entry(entry_id: str, name: str, *alt_names: str, day: float = 0, event_id: str | None = None,
                    countries: tuple[str, ...] = ("CN",), city: str | None = None, **fields: Any) -> ScreeningEntry:
    return ScreeningEntry(
        event_id=event_id or f"scr-{entry_id}-{day}",
        event_time=at(day),
        source="csl",
        schema_version=1,
        entry_id=entry_id,
        list=fields.pop("list", "entity_list"),
        name=name,
        alt_names=list(alt_names) or None,
        addresses=[ScreeningAddress(country=country, city=city) for country in countries] or None,
        **fields,
    )


ENTRIES = (
    screening_entry("sugon", "Dawning Information Industry Co., Ltd.", "Sugon", "Zhongke Shuguang",
                    "Sugon Information Industry Co., Ltd.", city="Beijing"),
    screening_entry("inspur", "Inspur Group Co., Ltd.", "Inspur", "Langchao Group", city="Jinan"),
    screening_entry("jiangnan", "Wuxi Jiangnan Institute of Computing Technology", "JICT", city="Wuxi"),
    screening_entry("nscc-wuxi", "National Supercomputing Center Wuxi", "NSCC Wuxi", city="Wuxi"),
    screening_entry("nscc-jinan", "National Supercomputing Center Jinan", "NSCC Jinan", city="Jinan"),
    screening_entry("nscc-shenzhen", "National Supercomputing Center Shenzhen", "Shenzhen Cloud Computing Center",
                    city="Shenzhen"),
    screening_entry("nudt", "National University of Defense Technology", "NUDT", "Guofang Keji Daxue",
                    city="Changsha"),
    screening_entry("phytium", "Tianjin Phytium Information Technology Co., Ltd.", "Phytium", city="Tianjin"),
    screening_entry("higon", "Higon", "Hygon", "Chengdu Haiguang Integrated Circuit Design Co., Ltd.",
                    city="Chengdu"),
    screening_entry("sophgo", "Sophgo Technologies Ltd.", "Suanneng Technology", city="Beijing"),
    screening_entry("cetc", "China Electronics Technology Group Corporation", "CETC", city="Beijing"),
    screening_entry("esc", "Example Supercomputing Center", "ESC", "Example National Supercomputing Center",
                    city="Wuxi"),
    screening_entry("front-hk", "Kowloon Bright Star Trading Limited", countries=("HK",), list="unverified_list"),
)


def fixture_list() -> ScreeningList:
    return ScreeningList.of(ENTRIES)
