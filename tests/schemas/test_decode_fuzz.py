"""Property-based fuzzing of the decoder: whatever arrives, it answers, and never raises."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import EVENT_TYPES, ValidationError, decode, encode

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_answers(result) -> None:
    if isinstance(result, ValidationError):
        assert result.errors, "a rejection must say why"
        for error in result.errors:
            assert isinstance(error.field, str) and error.message
    else:
        assert type(result) in EVENT_TYPES.values()


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(raw):
    _assert_answers(decode(raw))


@FUZZ
@given(json_values)
def test_arbitrary_json_never_raises(value):
    _assert_answers(decode(json.dumps(value).encode()))


@FUZZ
@given(data=st.data())
def test_mutated_contract_examples_never_raise_and_name_real_paths(contract_examples, data):
    """Replace one field of a valid event with junk: either still valid or rejected at that field."""
    source = json.loads(data.draw(st.sampled_from(contract_examples)))
    key = data.draw(st.sampled_from(sorted(source)))
    junk = data.draw(json_values)
    source[key] = junk
    result = decode(json.dumps(source).encode())
    _assert_answers(result)
    if isinstance(result, ValidationError) and result.kind == "schema" and key != "event_type":
        fields = [e.field for e in result.errors]
        assert any(f == key or f.startswith(key + ".") for f in fields), (key, junk, fields)


@FUZZ
@given(data=st.data())
def test_valid_events_survive_encode_decode(contract_examples, data):
    event = decode(data.draw(st.sampled_from(contract_examples)))
    assert decode(encode(event)) == event


@FUZZ
@given(st.binary(min_size=1, max_size=50), st.integers(min_value=0, max_value=800))
def test_corrupted_bytes_of_a_valid_event_never_raise(contract_examples, junk, position):
    line = contract_examples[2]
    position = min(position, len(line))
    _assert_answers(decode(line[:position] + junk + line[position:]))
