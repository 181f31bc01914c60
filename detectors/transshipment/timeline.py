"""Business time as integer microseconds since the epoch (UTC).

State must be JSON builtins and comparisons must be exact, so times are stored as
integers rather than datetimes or float seconds.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["US_PER_DAY", "to_us", "from_us", "days_between"]

US_PER_DAY = 86_400_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_ONE_US = dt.timedelta(microseconds=1)


def to_us(moment: dt.datetime) -> int:
    """Exact microseconds since the epoch; a naive datetime is taken as UTC (the contract's zone)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return (moment - _EPOCH) // _ONE_US


def from_us(us: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=us)


def days_between(earlier_us: int, later_us: int) -> float:
    return (later_us - earlier_us) / US_PER_DAY
