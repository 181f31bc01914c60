"""Product catalogue: what a product named on a document is, and how it is controlled.

Documents name products loosely (``H100-SXM5-80GB``, ``h100 sxm5``), so lookups go by
family prefix at a separator, longest family first. That keeps ``H20`` from matching
``H200`` and lets a new memory variant of a known family classify without a data change.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detectors.reference._files import data_path, read_toml

__all__ = ["Catalogue", "Product", "UnrelatedHeading", "ValueRange", "normalise_product"]

_SEPARATORS = re.compile(r"[\s_/.]+")


def normalise_product(name: str) -> str:
    """Upper case, separators (space, underscore, slash, dot) folded to ``-``."""
    return _SEPARATORS.sub("-", name.strip().upper()).strip("-")


@dataclass(frozen=True, slots=True)
class ValueRange:
    """Typical unit value in USD; outside it is a price-plausibility signal, not proof."""

    min: float
    max: float

    def contains(self, value: float) -> bool:
        return self.min <= value <= self.max


@dataclass(frozen=True, slots=True)
class Product:
    """One product family as classified in ``catalogue.toml``."""

    family: str
    vendor: str
    category: str
    products: tuple[str, ...]
    sku_prefixes: tuple[str, ...]
    eccn: str
    tpp: float | None
    performance_density: float | None
    datacenter: bool
    accelerators_per_unit: int
    unit_value_usd: ValueRange
    hts: str
    licence_scope: str
    licence_scope_from: dt.date | None
    available_from: dt.date | None
    available_until: dt.date | None
    approx: tuple[str, ...]
    sources: str

    @property
    def is_accelerator(self) -> bool:
        """Counts towards accelerator totals (capacity checks) when true."""
        return self.accelerators_per_unit > 0

    def licence_scope_on(self, day: dt.date) -> str:
        """The licence scope in force on ``day`` (``none`` before ``licence_scope_from``)."""
        if self.licence_scope_from is not None and day < self.licence_scope_from:
            return "none"
        return self.licence_scope

    def available_on(self, day: dt.date) -> bool:
        """Whether the family was on sale on ``day`` (the simulator's product mix)."""
        if self.available_from is not None and day < self.available_from:
            return False
        return self.available_until is None or day <= self.available_until


@dataclass(frozen=True, slots=True)
class UnrelatedHeading:
    """An HTS heading GPUs have been declared under to hide them."""

    hts: str
    description: str
    product_hint: str
    typical_unit_value_usd: ValueRange
    sources: str


@dataclass(frozen=True, slots=True)
class Catalogue:
    """All product families plus the control and heading facts detectors need."""

    version: str
    products: tuple[Product, ...]
    unrelated_headings: tuple[UnrelatedHeading, ...]
    controlled_eccn_prefixes: tuple[str, ...]
    controlled_z_suffix: str
    hts_headings: dict[str, Any]
    # Lookups memoised per catalogue: trade documents repeat a few hundred product names
    # millions of times, and a lookup scans every family's normalised keys.
    _memo: dict[tuple[str, bool], Product | None] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Catalogue:
        """Read ``catalogue.toml`` (or the versioned alternative at ``path``)."""
        doc = read_toml(data_path("catalogue.toml", path))
        products = tuple(_product(entry) for entry in doc["products"])
        families = [p.family for p in products]
        if len(set(families)) != len(families):
            raise ValueError("catalogue: duplicate product family")
        controls = doc["controls"]
        return cls(
            version=doc["version"],
            products=products,
            unrelated_headings=tuple(
                UnrelatedHeading(
                    hts=h["hts"],
                    description=h["description"],
                    product_hint=h["product_hint"],
                    typical_unit_value_usd=ValueRange(**h["typical_unit_value_usd"]),
                    sources=h["sources"],
                )
                for h in doc.get("unrelated_headings", ())
            ),
            controlled_eccn_prefixes=tuple(controls["controlled_eccn_prefixes"]),
            controlled_z_suffix=controls["controlled_z_suffix"],
            hts_headings={k: v for k, v in doc["hts_headings"].items() if k != "sources"},
        )

    def family(self, family: str) -> Product:
        """The product family by its exact family name; ``KeyError`` when unknown."""
        for product in self.products:
            if product.family == family:
                return product
        raise KeyError(family)

    def lookup(self, product: str) -> Product | None:
        """The family of a product name as written on a document, or ``None``.

        Matches the whole name or a family prefix followed by ``-``; the longest family wins.
        """
        return self._lookup_prefix(normalise_product(product), by_sku=False)

    def lookup_sku(self, sku: str) -> Product | None:
        """The family of a SKU by its SKU prefixes (plain prefix match, longest first)."""
        return self._lookup_prefix(normalise_product(sku), by_sku=True)

    def lookup_line(self, product: str, sku: str | None = None) -> Product | None:
        """Product name first (more descriptive), then the SKU."""
        found = self.lookup(product)
        if found is None and sku:
            found = self.lookup_sku(sku)
        return found

    def accelerators_for(self, product: str, declared: int | None = None, sku: str | None = None) -> int:
        """Accelerators in one unit: the document's figure when given, else the catalogue's.

        Unknown products count as one accelerator only when nothing else is known, as the
        contract's default; known non-accelerator products (cables, switches) count zero.
        """
        if declared is not None:
            return declared
        found = self.lookup_line(product, sku)
        return 1 if found is None else found.accelerators_per_unit

    def is_controlled(self, eccn: str | None) -> bool:
        """Whether an ECCN is an advanced-computing item (3A090 / 4A090 or a ``.z`` paragraph)."""
        if not eccn:
            return False
        code = eccn.strip().upper()
        if code.endswith(self.controlled_z_suffix.upper()):
            return True
        return any(code.startswith(prefix.upper()) for prefix in self.controlled_eccn_prefixes)

    def is_unrelated_heading(self, hts: str | None) -> bool:
        """Whether an HTS code falls under a heading used for misdescription (by 4-digit heading)."""
        return self.unrelated_heading(hts) is not None

    def unrelated_heading(self, hts: str | None) -> UnrelatedHeading | None:
        if not hts:
            return None
        heading = hts.replace(".", "")[:4]
        for entry in self.unrelated_headings:
            if entry.hts.replace(".", "")[:4] == heading:
                return entry
        return None

    def datacenter_controlled(self) -> tuple[Product, ...]:
        """Families on the vendor's controlled data-center list that are 3A090/4A090."""
        return tuple(p for p in self.products if p.datacenter and self.is_controlled(p.eccn))

    def _lookup_prefix(self, name: str, *, by_sku: bool) -> Product | None:
        key = (name, by_sku)
        try:
            return self._memo[key]
        except KeyError:
            pass
        found = self._scan(name, by_sku=by_sku)
        if len(self._memo) < 100_000:  # bounded: product names are few, junk names are not
            self._memo[key] = found
        return found

    def _scan(self, name: str, *, by_sku: bool) -> Product | None:
        best: Product | None = None
        best_len = -1
        for product in self.products:
            keys = product.sku_prefixes if by_sku else (product.family, *product.products)
            for key in keys:
                key_n = normalise_product(key)
                if by_sku:
                    hit = name.startswith(key_n)
                else:
                    hit = name == key_n or name.startswith(key_n + "-")
                if hit and len(key_n) > best_len:
                    best, best_len = product, len(key_n)
        return best


def _product(entry: dict[str, Any]) -> Product:
    return Product(
        family=entry["family"],
        vendor=entry["vendor"],
        category=entry["category"],
        products=tuple(entry["products"]),
        sku_prefixes=tuple(entry.get("sku_prefixes", ())),
        eccn=entry["eccn"],
        tpp=entry.get("tpp"),
        performance_density=entry.get("performance_density"),
        datacenter=bool(entry["datacenter"]),
        accelerators_per_unit=int(entry["accelerators_per_unit"]),
        unit_value_usd=ValueRange(**entry["unit_value_usd"]),
        hts=entry["hts"],
        licence_scope=entry["licence_scope"],
        licence_scope_from=entry.get("licence_scope_from"),
        available_from=entry.get("available_from"),
        available_until=entry.get("available_until"),
        approx=tuple(entry.get("approx", ())),
        sources=entry["sources"],
    )
