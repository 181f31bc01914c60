"""``admit``: the one gate for input messages, in live and replay alike."""

from __future__ import annotations

import datetime as dt
import json

import msgspec
import pytest

from schemas import DeadLetter, Order, decode, encode
from streams.validation import admit

NOW = dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.timezone.utc)


def test_valid_event_on_its_topic_is_admitted(contract_examples):
    event, letter, kind = admit(contract_examples[2], topic="trade.orders.v1", received_at=NOW)
    assert isinstance(event, Order) and letter is None and kind == "order"


def test_event_on_the_wrong_topic_is_dead_lettered(contract_examples):
    event, letter, kind = admit(contract_examples[2], topic="ref.entities.v1", partition=0, offset=5, received_at=NOW)
    assert event is None and kind == "wrong_topic"
    assert letter.errors[0].field == "event_type" and "ref.entities.v1" in letter.error


def test_replay_files_accept_any_event_type(contract_examples):
    for line in contract_examples:
        event, letter, _ = admit(line, topic="history.jsonl", received_at=NOW)
        assert letter is None and event == decode(line)


@pytest.mark.parametrize("raw", [None, b"", b"garbage", b"\xff" * 10])
def test_dead_letter_is_contract_shaped_and_keeps_the_raw_text(raw):
    _, letter, kind = admit(raw, topic="trade.orders.v1", partition=2, offset=41, received_at=NOW)
    assert kind in {"empty", "not_json", "not_utf8"}
    wire = json.loads(encode(letter))
    assert set(wire) >= {"received_at", "topic", "partition", "offset", "error", "errors", "raw"}
    assert wire["partition"] == 2 and wire["offset"] == 41 and wire["errors"]
    assert msgspec.json.decode(encode(letter), type=DeadLetter) == letter


def test_raw_text_is_truncated_to_64_kib(contract_examples):
    order = json.loads(contract_examples[2])
    order["lines"][0]["quantity"] = -1
    order["padding"] = "p" * 200_000
    _, letter, _ = admit(json.dumps(order).encode(), topic="trade.orders.v1", received_at=NOW)
    assert len(letter.raw) == 64 * 1024
