"""Every catalogued red-flag code is raised by a detector, or is listed as not raised yet.

An alert's codes must mean something an analyst can look up, and a code nobody raises
must not pretend to be covered. The list below is also in docs/red-flags.md.
"""

from __future__ import annotations

from pathlib import Path

from detectors.reference import RedFlagCatalogue

ROOT = Path(__file__).resolve().parents[2]
NOT_RAISED_YET = {
    "POST_OCT_2022_ENTRANT",
    "RESELLER_OUTSIDE_CHIP_TRADE",
    "DECLARED_VALUE_MISMATCH",
    "BILL_SHIP_COUNTRY_SPLIT",
    "REMOTE_ACCESS_TENANT",
}


def _detector_source() -> str:
    """Detector code and detector data, without the catalogue itself."""
    paths = [p for p in (ROOT / "detectors").rglob("*") if p.suffix in {".py", ".toml"}]
    return "".join(p.read_text(encoding="utf-8") for p in paths if "reference" not in p.parts)


def test_every_code_is_raised_or_listed_as_not_raised_yet() -> None:
    source = _detector_source()
    raised = {code for code in RedFlagCatalogue.load().codes if f'"{code}"' in source}
    catalogued = set(RedFlagCatalogue.load().codes)
    assert catalogued - raised == NOT_RAISED_YET
    assert NOT_RAISED_YET <= catalogued


def test_docs_list_the_codes_not_raised_yet() -> None:
    text = (ROOT / "docs" / "red-flags.md").read_text(encoding="utf-8")
    section = text.split("not raised by any detector yet", 1)[1]
    listed = {line.split("`")[1] for line in section.splitlines() if line.startswith("| `")}
    assert listed == NOT_RAISED_YET
