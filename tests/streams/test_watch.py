"""``chokepoint watch``: which alerts an analyst sees, and how one reads."""

from __future__ import annotations

import msgspec
import pytest

from schemas import Alert
from streams.watch import AlertFilter, alert_line, decode_alert, parse_filter


@pytest.fixture
def alert(contract_alert_example: bytes) -> Alert:
    decoded = decode_alert(contract_alert_example)
    assert decoded is not None
    return decoded


def test_severity_is_a_minimum(alert: Alert) -> None:
    low, high = (msgspec.structs.replace(alert, severity=s) for s in ("low", "high"))
    assert AlertFilter(min_severity="low").matches(low)
    assert not AlertFilter(min_severity="medium").matches(low)
    assert AlertFilter(min_severity="medium").matches(high)
    assert not AlertFilter(min_severity="critical").matches(high)


def test_typology_country_and_party_filters(alert: Alert) -> None:
    assert AlertFilter(typologies=frozenset({alert.typology})).matches(alert)
    assert not AlertFilter(typologies=frozenset({"nope"})).matches(alert)
    assert AlertFilter(countries=frozenset({alert.subject.country})).matches(alert)
    assert not AlertFilter(countries=frozenset({"AQ"})).matches(alert)
    assert AlertFilter(party=alert.subject.name[:5].upper()).matches(alert)
    assert not AlertFilter(party="no such party anywhere").matches(alert)


def test_a_line_says_when_how_bad_what_who_why_and_which(alert: Alert) -> None:
    text = alert_line(alert, update=False).plain
    for part in (alert.severity.upper(), alert.typology, alert.subject.name, alert.summary, alert.alert_id, *alert.red_flags):
        assert part in text
    assert "(updated)" in alert_line(alert, update=True).plain


def test_bad_filter_and_bad_messages_are_refused_not_crashed() -> None:
    with pytest.raises(ValueError):
        parse_filter("urgent", (), (), None)
    assert parse_filter("high", ["transshipment"], ["sg"], None).countries == frozenset({"SG"})
    assert decode_alert(b"not json") is None
    assert decode_alert(b'{"alert_id": 1}') is None
