"""Contract v1 round-trips and rejections, each with its field path."""

from __future__ import annotations

import json

import msgspec
import pytest

from schemas import (
    MAX_EVENT_BYTES,
    Alert,
    Entity,
    Order,
    ScreeningEntry,
    Shipment,
    ValidationError,
    decode,
    decode_object,
    encode,
)


def test_every_contract_example_decodes_to_its_type(contract_examples):
    kinds = [type(decode(line)) for line in contract_examples]
    assert kinds == [Entity, ScreeningEntry, Order, Shipment]


def test_examples_round_trip_through_encode(contract_examples):
    for line in contract_examples:
        event = decode(line)
        assert decode(encode(event)) == event
        # Nothing in the source is lost: every field given comes back with its value.
        original = json.loads(line)
        again = json.loads(encode(event))
        for key, value in original.items():
            if key == "event_time":
                continue  # timezone spelling may differ; compared as datetimes above
            assert again[key] == value, key


def test_decoded_fields_are_typed(contract_examples):
    order = decode(contract_examples[2])
    assert isinstance(order, Order)
    assert order.event_type == "order"
    assert order.lines[0].quantity == 16 and order.lines[0].accelerators_per_unit == 8
    assert order.buyer.entity_id is None and order.buyer.country == "MY"
    assert order.event_time.utcoffset().total_seconds() == 0


def test_alert_example_matches_the_alert_model(contract_alert_example):
    alert = msgspec.json.decode(contract_alert_example, type=Alert)
    assert alert.subject.entity_id == "ent-aurora-my"
    assert msgspec.json.decode(encode(alert), type=Alert) == alert


@pytest.mark.parametrize("index", range(10))
def test_invalid_contract_examples_are_rejected_at_their_field(contract_invalid_examples, index):
    if index >= len(contract_invalid_examples):
        pytest.skip("fewer invalid examples")
    example = contract_invalid_examples[index]
    result = decode(json.dumps(example["event"]).encode())
    assert isinstance(result, ValidationError), example["why"]
    assert example["field"] in [e.field for e in result.errors], (example["why"], result.errors)


def test_all_invalid_examples_are_covered(contract_invalid_examples):
    # Guards the parametrisation above against the contract growing more examples.
    assert len(contract_invalid_examples) <= 10
    for example in contract_invalid_examples:
        result = decode(json.dumps(example["event"]).encode())
        assert isinstance(result, ValidationError)


def _order(contract_examples) -> dict:
    return json.loads(contract_examples[2])


def _errors(obj) -> dict[str, str]:
    result = decode(json.dumps(obj).encode() if not isinstance(obj, bytes) else obj)
    assert isinstance(result, ValidationError), result
    return {e.field: e.message for e in result.errors}


def test_every_problem_is_reported_not_only_the_first(contract_examples):
    order = _order(contract_examples)
    order["buyer"]["country"] = "Malaysia"
    order["lines"][0]["quantity"] = -3
    order["payment_method"] = "barter"
    del order["seller"]
    errors = _errors(order)
    assert set(errors) == {"buyer.country", "lines.0.quantity", "payment_method", "seller"}
    assert "ISO 3166-1" in errors["buyer.country"]


def test_unknown_fields_are_ignored(contract_examples):
    order = _order(contract_examples)
    order["x_new_field"] = {"anything": [1, 2, 3]}
    assert isinstance(decode(json.dumps(order).encode()), Order)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda o: o.update(event_time="2025-03-04T09:30:00"), "event_time"),  # no offset
        (lambda o: o.update(event_time="2025-13-04T09:30:00Z"), "event_time"),
        (lambda o: o.update(event_id=""), "event_id"),
        (lambda o: o.update(event_id="x" * 129), "event_id"),
        (lambda o: o["buyer"].update(name="n" * 301), "buyer.name"),
        (lambda o: o["buyer"].update(country="XX"), "buyer.country"),
        (lambda o: o["buyer"].update(country="my"), "buyer.country"),
        (lambda o: o.update(order_value_usd=-1), "order_value_usd"),
        (lambda o: o.update(order_value_usd="5040000"), "order_value_usd"),
        (lambda o: o["lines"][0].update(quantity=2.5), "lines.0.quantity"),
        (lambda o: o["lines"][0].update(accelerators_per_unit=0), "lines.0.accelerators_per_unit"),
        (lambda o: o.update(lines=o["lines"] * 201), "lines"),
        (lambda o: o.update(installation_requested="no"), "installation_requested"),
        (lambda o: o.update(buyer="AURORA"), "buyer"),
        (lambda o: o.update(schema_version="1"), "schema_version"),
    ],
)
def test_wrong_values_are_rejected_at_their_path(contract_examples, mutate, field):
    order = _order(contract_examples)
    mutate(order)
    assert field in _errors(order)


def test_shipment_and_reference_paths(contract_examples):
    shipment = json.loads(contract_examples[3])
    shipment["transit_countries"] = ["SG", "Singapore"]
    shipment["items"][0]["serials"] = ["ok", 7]
    errors = _errors(shipment)
    assert set(errors) == {"transit_countries.1", "items.0.serials.1"}
    entity = json.loads(contract_examples[0])
    entity["ownership_pct"] = 101
    entity["incorporated_on"] = "2023-02-30"
    assert set(_errors(entity)) == {"ownership_pct", "incorporated_on"}
    entry = json.loads(contract_examples[1])
    entry["addresses"][0]["country"] = "China"
    entry["list"] = "naughty_list"
    assert set(_errors(entry)) == {"addresses.0.country", "list"}


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"", "not_json"),
        (b"not json at all", "not_json"),
        (b'{"event_type": "order",', "not_json"),
        (b"null", "not_an_object"),
        (b"[1, 2, 3]", "not_an_object"),
        (b'"a string"', "not_an_object"),
        (b"42", "not_an_object"),
        (b'{"event_type": "order", "name": "\xff\xfe"}', "not_utf8"),
        (b"\xc3\x28", "not_utf8"),
        (b"[" * 100_000, "too_deep"),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "too_deep"),
        (b"{}", "schema"),
    ],
)
def test_junk_gets_a_precise_error_and_never_raises(raw, kind):
    result = decode(raw)
    assert isinstance(result, ValidationError)
    assert result.kind == kind
    assert result.errors and all(e.message for e in result.errors)
    assert result.error.startswith(kind)


def test_ten_megabyte_strings_are_refused_without_parsing(contract_examples):
    order = _order(contract_examples)
    order["buyer"]["address"] = "A" * (10 * 1024 * 1024)
    result = decode(json.dumps(order).encode())
    assert isinstance(result, ValidationError) and result.kind == "too_large"
    assert str(MAX_EVENT_BYTES) in result.errors[0].message


def test_large_string_in_a_bounded_field_is_reported_with_its_limit(contract_examples):
    order = _order(contract_examples)
    order["buyer"]["name"] = "A" * 500_000
    errors = _errors(order)
    assert "buyer.name" in errors and "300" in errors["buyer.name"]


def test_decode_accepts_str_and_memoryview(contract_examples):
    line = contract_examples[2]
    assert decode(line.decode()) == decode(memoryview(line)) == decode(line)


def test_decode_object_validates_parsed_rows_the_same_way(contract_examples):
    order = _order(contract_examples)
    assert decode_object(order) == decode(contract_examples[2])
    order["lines"][0]["quantity"] = 0
    result = decode_object(order)
    assert isinstance(result, ValidationError)
    assert [e.field for e in result.errors] == ["lines.0.quantity"]
