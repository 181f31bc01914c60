"""normalize_name, name_tokens, split_legal_forms and derived_entity_id."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.parties import (
    DERIVED_ID_PREFIX,
    LegalForms,
    derived_entity_id,
    name_tokens,
    normalize_name,
    split_legal_forms,
)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("AURORA COMPUTE SDN. BHD.", "AURORA COMPUTE"),
        ("Aurora Compute Sdn Bhd", "AURORA COMPUTE"),
        ("aurora  compute", "AURORA COMPUTE"),
        ("Sugon Information Industry Co., Ltd.", "SUGON INFORMATION INDUSTRY"),
        ("Example Pte. Ltd.", "EXAMPLE"),
        ("Example Private Limited", "EXAMPLE"),
        ("Example Holdings Co Ltd", "EXAMPLE HOLDINGS"),
        ("Example GmbH", "EXAMPLE"),
        ("Example S.A.", "EXAMPLE"),
        ("Example B.V.", "EXAMPLE"),
        ("Example K.K.", "EXAMPLE"),
        ("Example Pty Ltd", "EXAMPLE"),
        ("Example FZE", "EXAMPLE"),
        ("Example FZCO", "EXAMPLE"),
        ("Example JSC", "EXAMPLE"),
        ("Example PLC", "EXAMPLE"),
        ("Example LLC", "EXAMPLE"),
        ("Example, Inc.", "EXAMPLE"),
        ("Example Corp.", "EXAMPLE"),
        ("PT Example Tbk", "EXAMPLE"),
        ("The Example Company", "EXAMPLE"),
        ("Example Ltd. Şti.", "EXAMPLE"),
        ("Công ty TNHH Example", "EXAMPLE"),
        ("Example 有限公司", "EXAMPLE"),
        ("Example You Xian Gong Si", "EXAMPLE"),
        ("Smith & Sons Trading", "SMITH AND SONS TRADING"),
        ("I.B.M. Corp", "IBM"),
        ("Xi'an Example Co", "XIAN EXAMPLE"),
        ("Zürich Präzision GmbH", "ZURICH PRAZISION"),
        ("Сугон", "SUGON"),
        ("浪潮集团", "LANG CHAO JI TUAN"),
    ],
)
def test_normal_form(written: str, expected: str) -> None:
    assert normalize_name(written) == expected


def test_a_different_word_is_a_different_name() -> None:
    # The nearest legitimate twin of the spelling variants above.
    assert normalize_name("Aurora Computing Sdn Bhd") != normalize_name("AURORA COMPUTE SDN. BHD.")
    assert normalize_name("Aurora Compute Sdn Bhd") != normalize_name("Aurora Compute Holdings Sdn Bhd")


def test_legal_forms_are_canonicalised_and_never_strip_everything() -> None:
    assert split_legal_forms("PT Example Trading Co., Ltd.") == ("EXAMPLE TRADING", ("PT", "CO LTD"))
    assert split_legal_forms("Example Sdn. Bhd.")[1] == split_legal_forms("Example Sendirian Berhad")[1] == ("SDN BHD",)
    assert normalize_name("Limited") == "LIMITED"
    assert normalize_name("Co., Ltd.") == "CO"
    assert normalize_name("!!!") == ""


def test_suffix_list_is_versioned_data(tmp_path) -> None:
    forms = LegalForms.load()
    assert forms.version
    custom = tmp_path / "forms.toml"
    custom.write_text('version = "test.1"\n[suffixes]\n"XYZ" = ["Xyz Ltd"]\n[prefixes]\n')
    mine = LegalForms.load(custom)
    assert normalize_name("Example Xyz Ltd", mine) == "EXAMPLE"
    assert normalize_name("Example GmbH", mine) == "EXAMPLE GMBH"


def test_name_tokens() -> None:
    assert name_tokens("Wuxi Jiangnan Institute of Computing Technology Ltd.") == (
        "WUXI", "JIANGNAN", "INSTITUTE", "OF", "COMPUTING", "TECHNOLOGY",
    )


def test_chinese_industry_word_before_co_ltd_is_part_of_the_legal_form() -> None:
    """English renderings of one Chinese company add or drop "Technology" before "Co., Ltd."."""
    legal = normalize_name("Wuhan Dingxin Holdings Co., Ltd.")
    assert legal == "WUHAN DINGXIN HOLDINGS"
    for variant in ("Wuhan Dingxin Holdings Technology Co., Ltd.", "WUHAN DINGXIN HOLDINGS TECHNOLOGY CO.,LTD", "Wuhan Dingxin Holdings Keji Youxian Gongsi"):
        assert normalize_name(variant) == legal, variant
    assert normalize_name("Aurora Technology Inc") == "AURORA TECHNOLOGY"  # only the compound form goes


def test_derived_id_shape_and_stability() -> None:
    derived = derived_entity_id("Aurora Compute Sdn Bhd", "MY")
    assert derived.startswith(DERIVED_ID_PREFIX + "MY:")
    # A golden value: the id must not change between processes or releases, or every
    # unresolved party's history would be split on upgrade.
    assert derived == "anon:MY:56f7fb9a0ad0ef59"
    assert derived_entity_id("AURORA COMPUTE SDN. BHD.", "MY") == derived
    assert derived_entity_id("Aurora Compute", "SG") != derived
    assert derived_entity_id("Aurora Computing", "MY") != derived


def test_derived_id_does_not_depend_on_the_process() -> None:
    code = "from detectors.parties import derived_entity_id; print(derived_entity_id('Aurora Compute Sdn Bhd', 'MY'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "12345"}, cwd=Path(__file__).resolve().parents[3])
    assert out.stdout.strip() == derived_entity_id("Aurora Compute Sdn Bhd", "MY")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_normalize_is_idempotent(name: str) -> None:
    once = normalize_name(name)
    assert normalize_name(once) == once


_FORMS = LegalForms.load()
_WORDS = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=9).filter(
    lambda word: (word,) not in _FORMS.suffixes and (word,) not in _FORMS.prefixes
)
_SUFFIXES = st.sampled_from(["", " Sdn Bhd", " SDN. BHD.", " Pte. Ltd.", " Co., Ltd.", " Limited", " LLC", " Inc.",
                             " GmbH", " S.A.", " FZE", " Corp", " 有限公司"])
_SEPARATORS = st.sampled_from([" ", "  ", ", ", " - ", ". ", " / "])


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(_WORDS, min_size=1, max_size=4),
    separator=_SEPARATORS,
    suffix=_SUFFIXES,
    case=st.sampled_from([str.upper, str.lower, str.title]),
    country=st.sampled_from(["MY", "SG", "CN"]),
)
def test_derived_id_ignores_case_punctuation_and_legal_form(words, separator, suffix, case, country) -> None:
    plain = " ".join(words)
    variant = case(separator.join(words) + suffix)
    assert derived_entity_id(variant, country) == derived_entity_id(plain, country)


def test_the_legal_forms_of_chip_diversion_jurisdictions_are_removed() -> None:
    """Vietnam's Joint Stock Company and Macau's Limitada were kept as words, so a ship-to
    written with the long form stayed a different party from its registered buyer."""
    for written in ("Paragon Telecom Joint Stock Company", "Paragon Telecom JSC", "Paragon Telecom Companhia Limitada",
                    "Paragon Telecom Limitada", "Paragon Telecom Company Limited"):
        assert normalize_name(written) == "PARAGON TELECOM", written
