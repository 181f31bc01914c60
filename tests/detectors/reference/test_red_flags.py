"""The red-flag catalogue is well formed and documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors.reference import RedFlagCatalogue
from detectors.reference.red_flags import SEVERITIES, TYPOLOGIES

DOC = Path(__file__).resolve().parents[3] / "docs" / "red-flags.md"
EXPECTED = [
    "HQ_D5_PARENT_NO_LICENCE", "THIRD_COUNTRY_PAYER", "OVER_CAPACITY", "GROUP_OVER_CAPACITY",
    "NO_DECLARED_CAPACITY", "FIRST_TIME_LARGE_ORDER", "ORDER_BURST", "SERIAL_REEXPORT",
    "PASS_THROUGH_MATCH", "MULTI_HOP_CHAIN", "SERIAL_DUPLICATE", "MISDESCRIPTION", "CONSOLIDATION",
    "LICENCE_REQUIRED_DESTINATION", "LISTED_PARTY_MATCH", "LISTED_PARTY_OWNED", "BUSINESS_LINE_MISMATCH",
    "END_USE_PRODUCT_MISMATCH", "RESIDENTIAL_ADDRESS", "NEW_COMPANY", "NO_ONLINE_PRESENCE",
    "FORWARDER_FINAL_CONSIGNEE", "CASH_OR_CRYPTO", "DECLINED_INSTALLATION", "PRICE_OUT_OF_RANGE",
    "TRANSSHIPMENT_POINT_ROUTE",
]


@pytest.fixture(scope="module")
def flags() -> RedFlagCatalogue:
    return RedFlagCatalogue.load()


def test_codes_unique_and_complete(flags: RedFlagCatalogue) -> None:
    assert len(flags.codes) == len(set(flags.codes))
    for code in EXPECTED:
        assert code in flags, code


def test_every_flag_has_guidance_typology_and_severity(flags: RedFlagCatalogue) -> None:
    for flag in flags.flags:
        assert flag.guidance.strip(), flag.code
        assert flag.title.strip() and flag.description.strip(), flag.code
        assert flag.typology in TYPOLOGIES, flag.code
        assert flag.default_severity in SEVERITIES, flag.code


def test_every_typology_has_flags(flags: RedFlagCatalogue) -> None:
    for typology in TYPOLOGIES:
        assert flags.by_typology(typology), typology


def test_doc_lists_every_code(flags: RedFlagCatalogue) -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [code for code in flags.codes if f"`{code}`" not in text]
    assert not missing, f"docs/red-flags.md is stale; regenerate it: missing {missing}"


def test_duplicate_code_rejected(tmp_path) -> None:
    path = tmp_path / "flags.toml"
    entry = (
        '[[flags]]\ncode = "X_Y"\ntypology = "anomaly"\ntitle = "t"\ndescription = "d"\n'
        'guidance = "g"\ndefault_severity = "low"\n'
    )
    path.write_text('version = "2099-01-01.1"\n' + entry + entry)
    with pytest.raises(ValueError, match="twice"):
        RedFlagCatalogue.load(path)
