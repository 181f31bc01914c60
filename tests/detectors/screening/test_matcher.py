"""ScreeningMatcher: each capability with a name that matches and its nearest innocent twin."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from detectors.screening import ScreeningConfig, ScreeningList, ScreeningMatcher
from detectors.screening.config import DEFAULT_SCREENING_PATH
from schemas import Party
from tests.detectors.screening._build import fixture_list, screening_entry


@pytest.fixture(scope="module")
def matcher() -> ScreeningMatcher:
    return ScreeningMatcher(fixture_list())


def top(matcher: ScreeningMatcher, name: str, country: str | None = None, address: str | None = None) -> str | None:
    matches = matcher.match(name, country, address)
    return matches[0].entry_id if matches else None


@pytest.mark.parametrize(
    ("capability", "listed_as", "match", "twin"),
    [
        ("alias inside a longer name", "sugon", "Sugon Information Industry", "Sun Information Industry Ltd"),
        ("abbreviated common words", "sugon", "Sugon Info Industry Co", "Sun Info Industry Co"),
        ("legal suffix", "inspur", "INSPUR GROUP CO., LTD.", "Inspiration Group Co., Ltd."),
        ("typo", "inspur", "Inspurr Group", "Inspiration Group"),
        ("word order", "nscc-wuxi", "Supercomputing Center Wuxi National", "Supercomputing Center Jinan National"),
        ("abbreviations", "jiangnan", "Wuxi Jiangnan Inst. of Computing Tech", "Wuxi Computing Technology Co"),
        ("split syllables", "sugon", "Zhong Ke Shu Guang", "Zhong Shan Guang Da"),
        ("joined syllables", "nudt", "Guofang Keji Daxue", "Guo Tai Ke Ji"),
        ("accents and Cyrillic", "sugon", "Сугон", "Сунь"),
        ("Chinese characters", "inspur", "浪潮集团", "新潮集团"),
        ("sound-alike spelling", "phytium", "Feitium Information Technology", "Fenix Information Technology"),
        ("Y for I", "higon", "Hygon Ltd", "Hyton Ltd"),
        ("British spelling", "nudt", "National University of Defence Technology", "National University of Technology"),
        ("acronym", "nudt", "NUDT", "NUDT Logistics"),
        ("generic name in full", "nscc-shenzhen", "Shenzhen Cloud Computing Centre",
         "Shenzhen Cloud Computing Technology Co Ltd"),
        ("generic name in full", "cetc", "China Electronics Technology Group Corp", "China Electronics Group"),
        ("one city of several", "nscc-jinan", "NSCC Jinan", "NSCC Wuxi Trading"),
    ],
)
def test_capability_and_its_innocent_twin(matcher, capability, listed_as, match, twin) -> None:
    assert top(matcher, match) == listed_as, capability
    assert all(m.entry_id != listed_as for m in matcher.match(twin)), capability


@pytest.mark.parametrize(
    "generic",
    [
        "TRADING TECHNOLOGY CORP",
        "National Trading Technology Corp",
        "Sun Information Technology Ltd",
        "International Computing Center Holdings",
        "China National Electronics Trading Co",
        "Shenzhen Technology Co Ltd",
        "Wuxi National Science Center",
        "Of The And",
        "Co., Ltd.",
    ],
)
def test_common_words_and_places_alone_match_nothing(matcher, generic) -> None:
    assert matcher.match(generic) == []
    assert matcher.match(generic, "CN", "Wuxi, Jinan, Beijing") == []


def test_match_carries_explanation_and_figures(matcher) -> None:
    [match] = matcher.match("Sugon Info Industry Co", country="CN")
    assert (match.entry_id, match.list) == ("sugon", "entity_list")
    assert match.listed_name == "Dawning Information Industry Co., Ltd."
    assert match.matched_alias == "Sugon Information Industry Co., Ltd."
    assert match.explanation == (
        "name 'Sugon Info Industry Co' ~ alias 'Sugon Information Industry Co., Ltd.' "
        "(token overlap 1.00, edit similarity 1.00); country CN matches listed address"
    )
    parts = match.components
    assert parts["name_score"] == 1.0 and parts["country_adjustment"] == 0.05 and match.score == 1.0
    assert parts["threshold"] == 0.85 and parts["config_version"] == matcher.config.version
    assert parts["list_version"] == matcher.list_version
    json.dumps(msgspec.to_builtins(match))  # fits in an alert's details as is

    [typo] = matcher.match("Inspurr Group")
    assert typo.matched_alias is None  # the primary name matched
    assert typo.explanation.startswith("name 'Inspurr Group' ~ listed name 'Inspur Group Co., Ltd.' (token overlap 0.9")
    assert 0.9 < typo.components["edit_similarity"] < 1.0
    assert 0.85 <= typo.score < 1.0


def test_country_and_address_support_but_never_decide(matcher) -> None:
    def score(name: str, country: str | None = None, address: str | None = None) -> float:
        found = [m for m in matcher.match(name, country, address, threshold=0.0) if m.entry_id == "inspur"]
        return found[0].score if found else 0.0

    base = score("Inspurr Group")
    assert score("Inspurr Group", "CN") > base  # listed country
    assert score("Inspurr Group", "HK") == base  # Hong Kong counts as China: neutral
    assert score("Inspurr Group", "SG") < base  # elsewhere: a little lower, still a match
    assert score("Inspurr Group", "SG") >= 0.85
    assert score("Inspurr Group", "SG", "12 Example Road, Jinan") == pytest.approx(base)  # city offsets country
    # A weak name stays below the threshold whatever the country and address say.
    assert matcher.match("Jiangnan Trading", "CN", "699 Example Road, Wuxi") == []
    assert matcher.match("Example Trading", "CN", "Wuxi") == []


def test_threshold_override_shows_near_misses(matcher) -> None:
    assert matcher.match("Jiangnan Trading") == []
    [near] = matcher.match("Jiangnan Trading", threshold=0.4)
    assert near.entry_id == "jiangnan" and near.score < 0.85


def test_results_follow_list_updates() -> None:
    screening_list = fixture_list()
    matcher = ScreeningMatcher(screening_list)
    assert top(matcher, "Inspur Group") == "inspur"
    assert matcher.match("Aurora Compute") == []
    screening_list.apply(screening_entry("inspur", "Inspur Group Co., Ltd.", day=1, deleted=True))
    screening_list.apply(screening_entry("aurora", "Aurora Compute Sdn Bhd", countries=("MY",), day=1))
    assert matcher.match("Inspur Group") == []
    assert top(matcher, "AURORA COMPUTE SDN. BHD.", "MY") == "aurora"
    assert matcher.match("Aurora Compute", "MY")[0].components["list_version"] == screening_list.version


def test_match_party_and_result_order() -> None:
    screening_list = ScreeningList.of([
        screening_entry("b-twin", "Sugon Trading"),
        screening_entry("a-twin", "Sugon Trading Co"),
        screening_entry("c", "Sugon"),
    ])
    matcher = ScreeningMatcher(screening_list)
    matches = matcher.match_party(Party(name="Sugon Trading Ltd", country="CN"))
    assert [m.entry_id for m in matches] == ["a-twin", "b-twin", "c"]  # best first, ties by id
    assert matches[0].score >= matches[-1].score


def test_thresholds_and_word_lists_come_from_the_versioned_file(tmp_path: Path) -> None:
    text = DEFAULT_SCREENING_PATH.read_text()
    assert 'version = "' in text
    strict = tmp_path / "strict.toml"
    strict.write_text(text.replace("threshold = 0.85", "threshold = 0.99").replace(
        'version = "', 'version = "strict-', 1))
    config = ScreeningConfig.load(strict)
    assert config.match.threshold == 0.99 and config.version.startswith("strict-")
    matcher = ScreeningMatcher(fixture_list(), config)
    assert matcher.match("Inspurr Group") == []
    assert top(matcher, "Inspur Group") == "inspur"
    # Taking SUGON off the word lists' blind side: declared common, it stops matching alone.
    common = tmp_path / "common.toml"
    common.write_text(text.replace('common = [\n', 'common = [\n  "SUGON",\n', 1))
    assert ScreeningMatcher(fixture_list(), ScreeningConfig.load(common)).match("Sugon Pharmaceutical") == []
    assert ScreeningMatcher(fixture_list()).match("Sugon Pharmaceutical")[0].entry_id == "sugon"


def test_empty_and_odd_input(matcher) -> None:
    assert matcher.match("") == []
    assert matcher.match("   ...  ") == []
    assert matcher.match("x" * 300) == []
    assert ScreeningMatcher(ScreeningList()).match("Inspur Group") == []


def test_a_name_sharing_no_word_with_the_list_is_searched_once_per_wording(monkeypatch) -> None:
    # Trade documents spell one name several ways, with several addresses; none of that
    # can make a name with no candidate match, so the search runs once for all of them.
    matcher = ScreeningMatcher(fixture_list())
    searched: list[object] = []
    search = type(matcher._index).candidates
    monkeypatch.setattr(type(matcher._index), "candidates", lambda index, lookups: searched.append(lookups)
                        or search(index, lookups))
    spellings = [("Harbour Lane Trading Pte Ltd", "SG", None), ("HARBOUR LANE TRADING PTE. LTD.", "SG", "1 Quay St"),
                 ("harbour lane trading", "MY", None)]
    assert all(matcher.match(*spelling) == [] for spelling in spellings)
    assert len(searched) == 1
    assert top(matcher, "Inspur Group") == "inspur" and top(matcher, "INSPUR GROUP CO., LTD.") == "inspur"
