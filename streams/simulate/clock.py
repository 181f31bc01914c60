"""Business time as integer UTC seconds, and its RFC 3339 spelling.

Times are ints internally (fast to compare and add); ``iso`` renders the contract's
``YYYY-MM-DDTHH:MM:SSZ`` form, whose fixed width makes text order equal time order, so
events sort correctly on their ``event_time`` strings. No wall-clock time is read
anywhere: every instant derives from the configured start date.
"""

from __future__ import annotations

import calendar
import datetime as dt
import time

__all__ = ["DAY", "to_ts", "iso", "date_of", "add_months", "iso_date"]

DAY = 86_400


def to_ts(day: dt.date) -> int:
    """Midnight UTC of ``day`` as epoch seconds."""
    return calendar.timegm((day.year, day.month, day.day, 0, 0, 0))


_DAY_PREFIX: dict[int, str] = {}


def iso(ts: int) -> str:
    """``2025-03-04T09:30:00Z`` (day prefixes are cached: this runs once per event)."""
    day, seconds = divmod(ts, DAY)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * DAY))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{prefix}{hours:02d}:{minutes:02d}:{secs:02d}Z"


def iso_date(day: dt.date) -> str:
    return day.isoformat()


def date_of(ts: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).date()


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day-of-month ``months`` later, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
