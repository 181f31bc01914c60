"""A party's day buckets (a day and its counters, per active day) in flat machine-integer arrays.

Anomaly and over-ordering keep one bucket per party per active day over windows of up to
a year, and a busy simulation has millions of party-days (1.4M in anomaly at the first 3M
events of the 10M file). As lists of Python integers a bucket took ~290 bytes in anomaly
(22 counters) and ~200 in over-ordering (5); here the day and the counts take 32 bits
each and the US-dollar sums 64: 96 and 28 bytes. Most of anomaly's counters are zero (3.2
of 21 a bucket on that file) because a party uses a few of them, so its layout is sparse:
a party's buckets keep the columns it has used.

A counter stops at its type's limit (2^31-1 for counts, 2^63-1 for dollars) instead of
growing without bound: ``add`` returns what it added, so the caller's running totals stay
equal to the sums of the buckets. Only absurd declarations come near either limit.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence

__all__ = ["BucketLayout", "DayBuckets"]

_NARROW_MAX = (1 << 31) - 1
_WIDE_MAX = (1 << 63) - 1


class BucketLayout:
    """A bucket's columns: column 0 is the day; ``wide`` are the columns that need 64 bits.

    A *sparse* layout's buckets keep only the columns a party has used: each party uses a
    few counters of many (a buyer's orders, a forwarder's legs), so its buckets start with
    the day alone and take a column on its first non-zero amount (:meth:`widened`).
    Columns they do not keep read as zero. The layouts of one sparse family are shared.
    """

    __slots__ = ("width", "wide_columns", "sparse", "present", "cells", "kept", "narrow", "wide", "_zeros_narrow",
                 "_zeros_wide", "_family", "_wider")

    def __init__(self, width: int, wide: Sequence[int], *, sparse: bool = False,
                 present: Iterable[int] | None = None, _family: dict | None = None) -> None:
        if 0 in wide:
            raise ValueError("the day column is a narrow one")
        self.width = width
        self.wide_columns = tuple(wide)
        self.sparse = sparse
        kept = range(width) if present is None else sorted({0, *present})
        self.present = frozenset(kept)
        narrow = [column for column in kept if column not in wide]
        wides = [column for column in kept if column in wide]
        self.narrow, self.wide = len(narrow), len(wides)
        #: column -> (is wide, position in its array's row), or None for a column not kept
        self.cells: list[tuple[bool, int] | None] = [
            (True, wides.index(c)) if c in wides else (False, narrow.index(c)) if c in narrow else None
            for c in range(width)
        ]
        #: (column, is wide, position) of each column kept
        self.kept = [(c, *cell) for c, cell in enumerate(self.cells) if cell is not None]
        self._wider: dict[tuple[int, ...], BucketLayout] = {}  # widened's answers
        self._zeros_narrow = array("i", bytes(4 * self.narrow))
        self._zeros_wide = array("q", bytes(8 * self.wide))
        self._family: dict[frozenset[int], BucketLayout] = {} if _family is None else _family
        self._family.setdefault(self.present, self)

    @property
    def empty(self) -> BucketLayout:
        """The layout new buckets start with: the day alone when sparse, else this one."""
        return self.keeping(()) if self.sparse else self

    def keeping(self, columns: Iterable[int]) -> BucketLayout:
        """The layout of this family that keeps the day and ``columns`` (shared)."""
        present = frozenset({0, *columns})
        found = self._family.get(present)
        if found is None:
            found = BucketLayout(self.width, self.wide_columns, sparse=self.sparse, present=present,
                                 _family=self._family)
        return found

    def widened(self, columns: tuple[int, ...]) -> BucketLayout:
        """The layout of this family that keeps this one's columns and ``columns`` (memoised:
        a party's buckets widen the same few ways again and again)."""
        found = self._wider.get(columns)
        if found is None:
            found = self._wider[columns] = self.keeping(self.present.union(columns))
        return found


class DayBuckets:
    """Buckets in day order: ``day(i)``, ``get(i, column)``, ``add(i, column, amount)``."""

    __slots__ = ("layout", "_narrow", "_wide")

    def __init__(self, layout: BucketLayout) -> None:
        self.layout = layout.empty
        self._narrow = array("i")
        self._wide = array("q")

    def __len__(self) -> int:
        return len(self._narrow) // self.layout.narrow

    def day(self, i: int) -> int:
        return self._narrow[i * self.layout.narrow]

    def get(self, i: int, column: int) -> int:
        layout = self.layout
        cell = layout.cells[column]
        if cell is None:
            return 0
        wide, at = cell
        return self._wide[i * layout.wide + at] if wide else self._narrow[i * layout.narrow + at]

    def add(self, i: int, column: int, amount: int) -> int:
        """Add ``amount`` (>= 0) to a counter, up to its limit; returns what was added."""
        layout = self.layout
        cell = layout.cells[column]
        if cell is None:
            if not amount:
                return 0
            self._relayout(layout.widened((column,)))
            layout = self.layout
            cell = layout.cells[column]
        wide, at = cell
        if wide:
            values, at, limit = self._wide, i * layout.wide + at, _WIDE_MAX
        else:
            values, at, limit = self._narrow, i * layout.narrow + at, _NARROW_MAX
        if values[at] + amount > limit:
            amount = limit - values[at]
        values[at] += amount
        return amount

    def keep(self, columns: Iterable[int]) -> None:
        """Keep ``columns`` from now on (a sparse layout takes them in one move, where adding
        to each in turn would move every bucket once per column)."""
        if self.layout.sparse:
            layout = self.layout.widened(tuple(columns))
            if layout is not self.layout:
                self._relayout(layout)

    def _relayout(self, layout: BucketLayout) -> None:
        """Move every bucket to ``layout`` (which keeps at least this one's columns)."""
        old, count = self.layout, len(self)
        if not count:
            self.layout = layout
            return
        narrow = array("i", bytes(4 * layout.narrow * count))
        wide = array("q", bytes(8 * layout.wide * count))
        cells = layout.cells
        for column, is_wide, at in old.kept:
            to = cells[column][1]
            if is_wide:
                wide[to :: layout.wide] = self._wide[at :: old.wide]
            else:
                narrow[to :: layout.narrow] = self._narrow[at :: old.narrow]
        self.layout, self._narrow, self._wide = layout, narrow, wide

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
        cell = layout.cells[column]
        if cell is None:
            return [0] * max(0, len(self) - start)
        wide, at = cell
        if wide:
            return self._wide[start * layout.wide + at :: layout.wide].tolist()
        return self._narrow[start * layout.narrow + at :: layout.narrow].tolist()

    def column_sum(self, column: int, start: int = 0, end: int | None = None) -> int:
        """The sum of one column over buckets ``start`` to ``end`` (excluded; the last when None)."""
        layout = self.layout
        cell = layout.cells[column]
        end = len(self) if end is None else end
        if cell is None or end <= start:
            return 0
        wide, at = cell
        if wide:
            return sum(self._wide[start * layout.wide + at : end * layout.wide : layout.wide])
        return sum(self._narrow[start * layout.narrow + at : end * layout.narrow : layout.narrow])

    @classmethod
    def from_columns(cls, layout: BucketLayout, columns: Sequence[Sequence[int]]) -> DayBuckets:
        """Buckets from ``layout.width`` equally long columns (days first); ``ValueError``
        when a value does not fit its column. A sparse layout keeps the non-zero columns."""
        if layout.sparse:
            layout = layout.keeping(c for c, values in enumerate(columns) if any(values))
        buckets = cls(layout)
        buckets.layout = layout
        count = len(columns[0]) if columns else 0
        buckets._narrow = array("i", bytes(4 * layout.narrow * count))
        buckets._wide = array("q", bytes(8 * layout.wide * count))
        try:
            for column, values in enumerate(columns):
                cell = layout.cells[column]
                if cell is None:
                    continue
                wide, at = cell
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
        if not isinstance(other, DayBuckets) or self.layout._family is not other.layout._family:
            return False
        if self.layout is other.layout:
            return self._narrow == other._narrow and self._wide == other._wide
        return self.rows() == other.rows()  # a kept column may be all zeros on one side

    def __repr__(self) -> str:
        return f"DayBuckets({self.rows()!r})"
