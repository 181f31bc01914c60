"""A party's day buckets (a day and its counters, per active day) in flat machine-integer arrays.

Anomaly and over-ordering keep one bucket per party per active day over windows of up to
a year, and a busy simulation has millions of party-days (1.4M in anomaly at the first 3M
events of the 10M file). As lists of Python integers a bucket took ~290 bytes in anomaly
(22 counters) and ~200 in over-ordering (5); here the day and the counts take 32 bits
each and the US-dollar sums 64: 96 and 28 bytes. Most of anomaly's counters are zero (3.2
of 21 a bucket on that file), which a sparser layout could exploit further.

A counter stops at its type's limit (2^31-1 for counts, 2^63-1 for dollars) instead of
growing without bound: ``add`` returns what it added, so the caller's running totals stay
equal to the sums of the buckets. Only absurd declarations come near either limit.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

__all__ = ["BucketLayout", "DayBuckets"]

_NARROW_MAX = (1 << 31) - 1
_WIDE_MAX = (1 << 63) - 1


class BucketLayout:
    """A bucket's columns: column 0 is the day; ``wide`` are the columns that need 64 bits."""

    __slots__ = ("width", "cells", "narrow", "wide", "_zeros_narrow", "_zeros_wide")

    def __init__(self, width: int, wide: Sequence[int]) -> None:
        if 0 in wide:
            raise ValueError("the day column is a narrow one")
        self.width = width
        narrow = [column for column in range(width) if column not in wide]
        self.narrow, self.wide = len(narrow), len(wide)
        #: column -> (is wide, position in its array's row)
        self.cells = [(True, list(wide).index(c)) if c in wide else (False, narrow.index(c)) for c in range(width)]
        self._zeros_narrow = array("i", bytes(4 * self.narrow))
        self._zeros_wide = array("q", bytes(8 * self.wide))


class DayBuckets:
    """Buckets in day order: ``day(i)``, ``get(i, column)``, ``add(i, column, amount)``."""

    __slots__ = ("layout", "_narrow", "_wide")

    def __init__(self, layout: BucketLayout) -> None:
        self.layout = layout
        self._narrow = array("i")
        self._wide = array("q")

    def __len__(self) -> int:
        return len(self._narrow) // self.layout.narrow

    def day(self, i: int) -> int:
        return self._narrow[i * self.layout.narrow]

    def get(self, i: int, column: int) -> int:
        layout = self.layout
        wide, at = layout.cells[column]
        return self._wide[i * layout.wide + at] if wide else self._narrow[i * layout.narrow + at]

    def add(self, i: int, column: int, amount: int) -> int:
        """Add ``amount`` (>= 0) to a counter, up to its limit; returns what was added."""
        layout = self.layout
        wide, at = layout.cells[column]
        if wide:
            values, at, limit = self._wide, i * layout.wide + at, _WIDE_MAX
        else:
            values, at, limit = self._narrow, i * layout.narrow + at, _NARROW_MAX
        if values[at] + amount > limit:
            amount = limit - values[at]
        values[at] += amount
        return amount

    def insert(self, i: int, day: int) -> None:
        """An empty bucket for ``day`` at position ``i`` (``len(self)`` to append)."""
        layout = self.layout
        at = i * layout.narrow
        self._narrow[at:at] = layout._zeros_narrow
        self._narrow[at] = day
        at = i * layout.wide
        self._wide[at:at] = layout._zeros_wide

    def drop(self, count: int) -> None:
        """Forget the oldest ``count`` buckets."""
        del self._narrow[: count * self.layout.narrow]
        del self._wide[: count * self.layout.wide]

    def row(self, i: int) -> list[int]:
        """Bucket ``i`` as one list of ``layout.width`` integers, day first."""
        return [self.get(i, column) for column in range(self.layout.width)]

    def column(self, column: int, start: int = 0) -> list[int]:
        """One column of buckets ``start`` onwards."""
        layout = self.layout
        wide, at = layout.cells[column]
        if wide:
            return self._wide[start * layout.wide + at :: layout.wide].tolist()
        return self._narrow[start * layout.narrow + at :: layout.narrow].tolist()

    def column_sum(self, column: int, start: int = 0) -> int:
        layout = self.layout
        wide, at = layout.cells[column]
        if wide:
            return sum(self._wide[start * layout.wide + at :: layout.wide])
        return sum(self._narrow[start * layout.narrow + at :: layout.narrow])

    @classmethod
    def from_columns(cls, layout: BucketLayout, columns: Sequence[Sequence[int]]) -> DayBuckets:
        """Buckets from ``layout.width`` equally long columns (days first); ``ValueError``
        when a value does not fit its column."""
        buckets = cls(layout)
        count = len(columns[0]) if columns else 0
        buckets._narrow = array("i", bytes(4 * layout.narrow * count))
        buckets._wide = array("q", bytes(8 * layout.wide * count))
        try:
            for column, values in enumerate(columns):
                wide, at = layout.cells[column]
                if wide:
                    buckets._wide[at :: layout.wide] = array("q", values)
                else:
                    buckets._narrow[at :: layout.narrow] = array("i", values)
        except OverflowError:
            bits = 64 if wide else 32
            raise ValueError(f"day buckets: a value of column {column} does not fit its {bits} bits") from None
        return buckets

    @classmethod
    def from_rows(cls, layout: BucketLayout, rows: Sequence[Sequence[int]]) -> DayBuckets:
        return cls.from_columns(layout, [[row[c] for row in rows] for c in range(layout.width)] if rows else [])

    def rows(self) -> list[list[int]]:
        return [self.row(i) for i in range(len(self))]

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, DayBuckets) and self.layout is other.layout and self._narrow == other._narrow
                and self._wide == other._wide)

    def __repr__(self) -> str:
        return f"DayBuckets({self.rows()!r})"
