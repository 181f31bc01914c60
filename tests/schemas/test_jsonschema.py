"""The committed JSON Schema files are exactly what the models generate."""

from __future__ import annotations

import json

from schemas.jsonschema import SCHEMA_DIR, render_schemas


def test_committed_schemas_are_current():
    rendered = render_schemas()
    stale = [name for name, text in rendered.items() if not (SCHEMA_DIR / name).exists() or (SCHEMA_DIR / name).read_text() != text]
    assert not stale, f"regenerate with `python -m schemas.jsonschema`: {stale}"


def test_schemas_name_the_contract_constraints():
    order = json.loads(render_schemas()["order.schema.json"])
    line = order["$defs"]["Line"]
    assert line["properties"]["quantity"]["minimum"] == 1
    assert set(line["required"]) >= {"sku", "product", "quantity", "unit_value_usd"}
    party = order["$defs"]["Party"]["properties"]
    assert "SG" in party["country"]["enum"] and "XX" not in party["country"]["enum"]
