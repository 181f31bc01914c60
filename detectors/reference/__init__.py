"""Versioned reference data (catalogue, country groups, red flags, sample screening list).

Each loader reads a TOML/JSONL file shipped in ``data/`` (or a path you pass, to swap in a
newer version) into frozen dataclasses and exposes the file's ``version``, so alerts and
simulator truth can record which reference data they were computed with.
"""

from detectors.reference.catalogue import Catalogue, Product, UnrelatedHeading, ValueRange, normalise_product
from detectors.reference.countries import DEFAULT_SCOPE, CountryGroups, LicenceScope
from detectors.reference.red_flags import RedFlag, RedFlagCatalogue
from detectors.reference.screening import ScreeningSample

__all__ = [
    "Catalogue",
    "Product",
    "UnrelatedHeading",
    "ValueRange",
    "normalise_product",
    "CountryGroups",
    "LicenceScope",
    "DEFAULT_SCOPE",
    "RedFlag",
    "RedFlagCatalogue",
    "ScreeningSample",
]
