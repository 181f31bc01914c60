"""Seeds, random streams and identifiers that stay put when the simulation grows.

Every component draws from its own ``random.Random`` whose seed is derived from the run
seed and the component's labels (``("case", "multi_hop", 2)``), never from a shared or
global generator: adding a case or changing the background volume leaves every other
component's draws, and so its events, unchanged. Seeds go through BLAKE2, not
``hash()``, which is randomised per process for strings.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import random
from typing import Any

__all__ = ["derive_seed", "rng_for", "IdFactory", "Weighted"]


def derive_seed(seed: int, *labels: object) -> int:
    """A 64-bit seed for ``labels`` under run ``seed``; stable across processes and versions."""
    text = repr((seed, *labels)).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def rng_for(seed: int, *labels: object) -> random.Random:
    """An independent random stream for one component."""
    return random.Random(derive_seed(seed, *labels))


_DIGIT_FORMATS = {count: f"%0{count}d" for count in range(1, 19)}


class IdFactory:
    """Opaque, deterministic identifiers for one component.

    Event ids carry 64 random bits (a collision among a million events has odds of about
    one in 10^7), so they reveal nothing about which component, case or pattern produced
    an event. Business ids (order numbers, waybills) use the formats real feeds use.
    """

    __slots__ = ("_rng",)

    def __init__(self, seed: int, *labels: object) -> None:
        self._rng = random.Random(derive_seed(seed, "ids", *labels))

    def event_id(self, prefix: str) -> str:
        return f"{prefix}-{self._rng.getrandbits(64):016x}"

    def digits(self, count: int) -> str:
        # getrandbits + modulo: a bias below 10^-3 for <= 16 digits, and no randrange overhead.
        return _DIGIT_FORMATS[count] % (self._rng.getrandbits(64) % 10**count)

    def order_id(self, style: str) -> str:
        """``SO-`` (vendor sales order), ``INV-`` (distributor invoice) or ``PO-`` numbers."""
        return f"{style}-{self.digits(10)}"

    def shipment_id(self, mode: str) -> str:
        if mode == "air":
            return f"AWB-{self._rng.choice(('176', '618', '160', '297', '235', '020'))}-{self.digits(8)}{self.digits(2)}"
        if mode == "ocean":
            return f"BL-{self._rng.choice(('MAEU', 'ONEY', 'COSU', 'EGLV', 'HLCU'))}{self.digits(10)}"
        if mode == "courier":
            return f"TRK-{self.digits(14)}"
        return f"CN-{self.digits(14)}"

    def licence_number(self) -> str:
        """A BIS licence number shape: ``D`` and seven digits."""
        return f"D{self._rng.randrange(1_000_000, 9_999_999)}"


class Weighted:
    """Weighted choice by bisecting cumulative weights: ``random.choices`` without its
    per-call setup, which matters at a million draws."""

    __slots__ = ("keys", "_cum", "_total")

    def __init__(self, keys: list[Any], weights: list[float]) -> None:
        self.keys = keys
        self._cum = list(itertools.accumulate(weights))
        self._total = self._cum[-1]

    def pick(self, rng: random.Random) -> Any:
        index = bisect.bisect(self._cum, rng.random() * self._total)
        return self.keys[index if index < len(self.keys) else -1]
