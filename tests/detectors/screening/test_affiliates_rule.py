"""The Affiliates Rule's effective date: on in screening.toml, applied by event time."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from detectors.parties import Registry
from detectors.screening import OwnershipPolicy, ScreeningConfig, ScreeningMatcher, default_config, listed_owners
from detectors.screening.config import DEFAULT_SCREENING_PATH
from tests.detectors.parties._build import entity
from tests.detectors.screening._build import fixture_list

UTC = dt.timezone.utc
DATED = OwnershipPolicy(affiliates_rule_enabled=True, threshold_pct=50.0, indirect="product",
                        effective_from=dt.date(2026, 11, 9))


def test_shipped_policy_is_on_from_9_november_2026() -> None:
    policy = default_config().ownership
    assert policy.affiliates_rule_enabled is True and policy.effective_from == dt.date(2026, 11, 9)
    assert not policy.in_force(dt.datetime(2026, 11, 8, 23, 59, tzinfo=UTC))
    assert policy.in_force(dt.datetime(2026, 11, 9, tzinfo=UTC))
    # The day is the UTC day: 9 Nov 07:00 in Singapore is still 8 Nov in UTC.
    assert not policy.in_force(dt.datetime(2026, 11, 9, 7, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    assert not policy.in_force(None)  # a dated rule needs a time


def test_switch_off_wins_and_no_date_means_always() -> None:
    late = dt.datetime(2030, 1, 1, tzinfo=UTC)
    assert not dataclasses.replace(DATED, affiliates_rule_enabled=False).in_force(late)
    undated = dataclasses.replace(DATED, effective_from=None)
    assert undated.in_force(dt.datetime(2020, 1, 1, tzinfo=UTC)) and undated.in_force(None)


@given(
    seconds=st.integers(-3 * 86_400, 3 * 86_400),
    offset=st.integers(-14 * 60, 14 * 60),
    policy=st.sampled_from([DATED, dataclasses.replace(DATED, effective_from=None),
                            dataclasses.replace(DATED, affiliates_rule_enabled=False)]),
)
def test_in_force_from_is_the_first_instant_in_force(seconds: int, offset: int, policy: OwnershipPolicy) -> None:
    # The detector compares event times with this instant instead of asking in_force;
    # times around the UTC midnight of the date, written in any UTC offset.
    midnight = dt.datetime(2026, 11, 9, tzinfo=UTC)
    at = (midnight + dt.timedelta(seconds=seconds)).astimezone(dt.timezone(dt.timedelta(minutes=offset)))
    start = policy.in_force_from()
    assert policy.in_force(at) == (start is not None and at >= start)


def test_listed_owners_follows_the_event_time() -> None:
    registry = Registry()
    registry.apply(entity("listed", "Inspur Group Co., Ltd.", country="CN"))
    registry.apply(entity("sub", parent_id="listed", ownership_pct=60))
    matcher = ScreeningMatcher(fixture_list())
    matches = {"listed": matcher.match("Inspur Group Co., Ltd.", "CN")}
    before, after = dt.datetime(2026, 11, 8, tzinfo=UTC), dt.datetime(2026, 11, 9, tzinfo=UTC)
    assert listed_owners("sub", registry, matches, DATED, at=before) == []
    assert [o.owner_id for o in listed_owners("sub", registry, matches, DATED, at=after)] == ["listed"]
    assert listed_owners("sub", registry, matches, DATED) == []


def _config_with(tmp_path: Path, line: str) -> Path:
    text = DEFAULT_SCREENING_PATH.read_text()
    path = tmp_path / "screening.toml"
    path.write_text(text.replace("affiliates_rule_effective_from = 2026-11-09", line))
    return path


def test_date_can_be_removed_and_must_be_a_date(tmp_path: Path) -> None:
    assert ScreeningConfig.load(_config_with(tmp_path, "")).ownership.effective_from is None
    with pytest.raises(ValueError, match="must be a date"):
        ScreeningConfig.load(_config_with(tmp_path, 'affiliates_rule_effective_from = "soon"'))
