"""A leg's unit serials as runs of consecutive numbers, and the index of the legs carrying each.

Lots are numbered consecutively (a server's GPUs, a pallet of servers), so the 200 units of
a leg are usually one run: ``2600010649698`` and the 199 after it. The 180-day window keeps
every serial it saw, and as strings they were the largest thing it held: at the first 1M
events of the 10M simulation, 1.8M serial strings in the legs and as many keys in a
serial -> legs dict, ~190 MiB of ~600 MiB (``chokepoint bench memory``). As 174k runs, in
the legs and in the index, the same serials take ~35 MiB, and every answer is the same.

A serial is read as a *stem* and a trailing number of fixed *width* ("SN-0042" is "SN-",
42, width 4), here and in the snapshot's runs (``next_serial``), so a run here is a run
there. Serials without trailing digits (or with more than ``_MAX_WIDTH`` of them) are kept
as they are (width 0). The printed strings are always given back exactly: alerts quote them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import chain

import msgspec

__all__ = ["Run", "Serials", "SerialIndex", "EMPTY", "next_serial"]

#: (stem, width, first number, last number); width 0: the serial is the stem itself.
Run = tuple[str, int, int, int]
#: A leg as the index names it: (business time, leg key), the order of the leg lists.
Entry = tuple[int, str]

_TRAILING_DIGITS = re.compile(r"(.*?)([0-9]+)", re.DOTALL)
#: Longer digit tails are kept as text: no lot needs more, and int() of a hostile tail of
#: thousands of digits would raise (and take quadratic time) where text costs nothing.
_MAX_WIDTH = 18


def _parse(serial: str) -> tuple[str, int, int]:
    found = _TRAILING_DIGITS.fullmatch(serial)
    if found is None or len(found[2]) > _MAX_WIDTH:
        return serial, 0, 0
    return found[1], len(found[2]), int(found[2])


def _printed(stem: str, width: int, number: int) -> str:
    return stem + str(number).zfill(width) if width else stem


def next_serial(serial: str) -> str | None:
    """The serial after ``serial`` in a consecutive lot (same stem and width, number + 1),
    or ``None`` when there is none: no trailing digits, or 999 -> 1000 changes the width."""
    stem, width, number = _parse(serial)
    if not width or len(str(number + 1)) > width:
        return None
    return _printed(stem, width, number + 1)


def _runs_of(parsed: Iterable[tuple[str, int, int]]) -> tuple[Run, ...]:
    """Sorted, distinct (stem, width, number) triples as maximal runs."""
    runs: list[Run] = []
    for stem, width, number in parsed:
        if runs:
            last = runs[-1]
            if width and last[3] == number - 1 and last[1] == width and last[0] == stem:
                runs[-1] = (stem, width, last[2], number)
                continue
        runs.append((stem, width, number, number))
    return tuple(runs)


class Serials(msgspec.Struct, frozen=True, gc=False):
    """A set of printed serials, held as sorted maximal runs (``runs``).

    It reads as the sorted tuple of strings it replaces (``len``, ``in``, iteration in
    string order, equality), and counts or lists the serials two legs share from the runs,
    without printing the others. Like the legs holding it, it holds only strings and
    numbers, so the garbage collector need not track it (``gc=False``).
    """

    runs: tuple[Run, ...] = ()
    count: int = 0  # how many serials the runs stand for

    @classmethod
    def of(cls, serials: Iterable[str]) -> Serials:
        """The serials given (in any order, repeats allowed)."""
        serials = tuple(serials)
        if not serials:
            return EMPTY
        joined = "".join(serials)
        width = len(serials[0])
        if joined.isascii() and joined.isdigit() and width <= _MAX_WIDTH and len(set(map(len, serials))) == 1:
            # The common case (one numbering, digits only): no parsing beyond int(), and a
            # whole lot is recognised as one run without a loop.
            numbers = sorted(set(map(int, serials)))
            first, last = numbers[0], numbers[-1]
            if last - first == len(numbers) - 1:
                return cls((("", width, first, last),), len(numbers))
            return cls._of_runs(_runs_of(("", width, n) for n in numbers))
        return cls._of_runs(_runs_of(sorted(set(map(_parse, serials)))))

    @classmethod
    def _of_runs(cls, runs: tuple[Run, ...]) -> Serials:
        return cls(runs, sum(last - first + 1 for _, _, first, last in runs))

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return bool(self.runs)

    def __iter__(self) -> Iterator[str]:
        """The printed serials in string order, as a sorted tuple of them would give."""
        return iter(sorted(_expand(self.runs)))

    def __contains__(self, serial: object) -> bool:
        if not isinstance(serial, str):
            return False
        stem, width, number = _parse(serial)
        return any(r[0] == stem and r[1] == width and r[2] <= number <= r[3] for r in self.runs)

    def __repr__(self) -> str:
        return f"Serials.of({list(self)!r})"

    def union(self, other: Serials) -> Serials:
        if not other.runs or self == other:
            return self
        if not self.runs:
            return other
        return Serials.of(chain(_expand(self.runs), _expand(other.runs)))

    def shared_count(self, other: Serials) -> int:
        """``len(set(self) & set(other))``."""
        return sum(last - first + 1 for _, _, first, last in _overlaps(self.runs, other.runs))

    def shared(self, other: Serials) -> set[str]:
        """``set(self) & set(other)``."""
        return set(_expand(_overlaps(self.runs, other.runs)))


EMPTY = Serials()


def _expand(runs: Iterable[Run]) -> Iterator[str]:
    for stem, width, first, last in runs:
        if width:
            for number in range(first, last + 1):
                yield _printed(stem, width, number)
        else:
            yield stem


def _overlaps(a: tuple[Run, ...], b: tuple[Run, ...]) -> Iterator[Run]:
    """The runs of numbers in both ``a`` and ``b`` (both sorted and disjoint): a merge."""
    i = j = 0
    while i < len(a) and j < len(b):
        x, y = a[i], b[j]
        if x[:2] != y[:2]:
            if x[:2] < y[:2]:
                i += 1
            else:
                j += 1
            continue
        low, high = max(x[2], y[2]), min(x[3], y[3])
        if low <= high:
            yield (x[0], x[1], low, high)
        if x[3] < y[3]:
            i += 1
        else:
            j += 1


#: Numbers per index block: a run is listed in each block of 64 numbers it touches, so a
#: lookup reads only the runs near the number asked about, however long the others are.
_BLOCK_BITS = 6


def _blocks(run: Run) -> range:
    return range(run[2] >> _BLOCK_BITS, (run[3] >> _BLOCK_BITS) + 1)


class SerialIndex:
    """Which indexed legs carry a serial: each leg's runs, listed by (stem, width) and block.

    Replaces a serial -> legs dict with one entry per run and block instead of one per
    serial. Derived data (rebuilt from the legs on load), so it is not saved.
    """

    __slots__ = ("_groups",)

    def __init__(self) -> None:
        # (stem, width) -> block -> [(run, leg entry)], in the order added
        self._groups: dict[tuple[str, int], dict[int, list[tuple[Run, Entry]]]] = {}

    def add(self, serials: Serials, entry: Entry) -> None:
        groups = self._groups
        for run in serials.runs:
            blocks = groups.get(run[:2])
            if blocks is None:
                blocks = groups[run[:2]] = {}
            item = (run, entry)
            for block in _blocks(run):
                found = blocks.get(block)
                if found is None:
                    blocks[block] = [item]
                else:
                    found.append(item)

    def remove(self, serials: Serials, entry: Entry) -> None:
        groups = self._groups
        for run in serials.runs:
            blocks = groups.get(run[:2])
            if blocks is None:
                continue
            item = (run, entry)
            for block in _blocks(run):
                found = blocks.get(block)
                if found is not None and item in found:
                    found.remove(item)
                    if not found:
                        del blocks[block]
            if not blocks:
                del groups[run[:2]]

    def legs(self, serial: str) -> list[Entry]:
        """The legs carrying ``serial``, as sorted (t, key) pairs."""
        stem, width, number = _parse(serial)
        found = self._groups.get((stem, width), {}).get(number >> _BLOCK_BITS, ())
        return sorted(entry for run, entry in found if run[2] <= number <= run[3])

    def on_other_legs(self, serials: Serials, entry: Entry) -> list[str]:
        """Those of ``serials`` (of the leg ``entry``) that another leg carries too, in
        string order: the only ones with neighbours."""
        shared: set[tuple[str, int, int]] = set()
        groups = self._groups
        for run in serials.runs:
            blocks = groups.get(run[:2])
            if blocks is None:
                continue
            stem, width, first, last = run
            for block in _blocks(run):
                for other, owner in blocks.get(block, ()):
                    if owner != entry and other[2] <= last and other[3] >= first:
                        shared.update((stem, width, n) for n in range(max(first, other[2]), min(last, other[3]) + 1))
        return sorted(_printed(*triple) for triple in shared)

    def _canonical(self) -> dict[tuple[str, int], dict[int, list[tuple[Run, Entry]]]]:
        return {group: {block: sorted(items) for block, items in blocks.items()}
                for group, blocks in self._groups.items()}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SerialIndex) and self._canonical() == other._canonical()

    def __repr__(self) -> str:
        runs = sum(len(items) for blocks in self._groups.values() for items in blocks.values())
        return f"<SerialIndex: {len(self._groups)} numberings, {runs} run entries>"

