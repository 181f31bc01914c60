"""Generate the JSON Schema files in ``schemas/json/`` from the models.

The files are committed so that producers outside the project (who may not use Python)
can validate against them; ``tests/schemas/test_jsonschema.py`` fails when they are stale.
Regenerate with ``python -m schemas.jsonschema``.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import msgspec

from schemas.events import Entity, Event, Order, ScreeningEntry, Shipment
from schemas.outputs import Alert, DeadLetter

__all__ = ["SCHEMA_DIR", "SCHEMA_TYPES", "render_schemas", "write_schemas"]

SCHEMA_DIR = Path(__file__).with_name("json")
SCHEMA_TYPES: dict[str, Any] = {
    "event": Event,
    "order": Order,
    "shipment": Shipment,
    "entity": Entity,
    "screening_entry": ScreeningEntry,
    "alert": Alert,
    "deadletter": DeadLetter,
}
_ID_BASE = "https://chokepoint.dev/schemas/v1/"


def render_schemas() -> dict[str, str]:
    """File name -> JSON text, deterministic (sorted keys, trailing newline)."""
    rendered: dict[str, str] = {}
    for name, tp in SCHEMA_TYPES.items():
        schema = _clean_descriptions(msgspec.json.schema(tp))
        document = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{_ID_BASE}{name}.schema.json",
            "title": f"chokepoint contract v1: {name}",
            **schema,
        }
        rendered[f"{name}.schema.json"] = json.dumps(document, indent=2, sort_keys=True) + "\n"
    return rendered


def _clean_descriptions(node: Any) -> Any:
    """Docstring descriptions with their indentation removed, as msgspec 0.23 does itself
    and 0.22 did not: the committed files must not depend on which one is installed."""
    if isinstance(node, dict):
        return {
            key: inspect.cleandoc(value) if key == "description" and isinstance(value, str) else _clean_descriptions(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_clean_descriptions(item) for item in node]
    return node


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, text in render_schemas().items():
        path = directory / filename
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_schemas():
        print(path)
