"""Reading the versioned TOML data files of ``detectors.parties`` and ``detectors.screening``.

Word lists and thresholds live in data files so that changing one is a reviewed data
change with a new ``version``, which results can quote, rather than an edit to code.
Every loader accepts an alternative path so a site can swap in its own tuned file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

__all__ = ["read_versioned_toml"]


def read_versioned_toml(default: Path, override: str | Path | None = None) -> dict[str, Any]:
    """Parse ``override`` (else ``default``) and insist on a non-empty top-level ``version``."""
    path = Path(override) if override is not None else default
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    version = document.get("version")
    if not isinstance(version, str) or not version:
        raise ValueError(f'{path}: data file needs a top-level version = "YYYY-MM-DD.N"')
    return document
