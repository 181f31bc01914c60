"""Shared fixtures: where the fixed contract lives, and its example files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: The contract is fixed and lives beside the repository (``../shared/contract``);
#: CHOKEPOINT_CONTRACT_DIR points elsewhere when a checkout is laid out differently.
CONTRACT_DIR = Path(os.environ.get("CHOKEPOINT_CONTRACT_DIR", REPO.parent / "shared" / "contract"))


def _contract_file(name: str) -> Path:
    path = CONTRACT_DIR / name
    if not path.exists():
        pytest.fail(f"contract file {path} not found; set CHOKEPOINT_CONTRACT_DIR")
    return path


@pytest.fixture(scope="session")
def contract_examples() -> list[bytes]:
    return _contract_file("examples.jsonl").read_bytes().splitlines()


@pytest.fixture(scope="session")
def contract_invalid_examples() -> list[dict]:
    return [json.loads(line) for line in _contract_file("invalid-examples.jsonl").read_text().splitlines() if line]


@pytest.fixture(scope="session")
def contract_alert_example() -> bytes:
    return _contract_file("alert-example.json").read_bytes()
