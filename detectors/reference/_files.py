"""Where the shipped reference files live, and how a TOML file is read.

Every loader takes an optional path so a versioned alternative (a newer catalogue, a
customer's own country rules) can be swapped in without code changes; without one, the
file shipped in ``data/`` is used.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


def data_path(name: str, override: str | Path | None = None) -> Path:
    """The file to read: ``override`` when given, else the shipped ``data/<name>``."""
    return Path(override) if override is not None else DATA_DIR / name


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a reference TOML file and insist on its top-level ``version``."""
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    version = document.get("version")
    if not isinstance(version, str) or not version:
        raise ValueError(f"{path}: reference data needs a top-level version = \"YYYY-MM-DD.N\"")
    return document
