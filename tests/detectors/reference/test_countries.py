"""Country groups, licence scopes and transshipment points."""

from __future__ import annotations

import re

import pytest

from detectors.reference import CountryGroups


@pytest.fixture(scope="module")
def groups() -> CountryGroups:
    return CountryGroups.load()


def test_version(groups: CountryGroups) -> None:
    assert re.match(r"^\d{4}-\d{2}-\d{2}\.\d+$", groups.version)


def test_licence_destinations_for_advanced_computing(groups: CountryGroups) -> None:
    for country in ["CN", "HK", "MO", "RU", "IR", "AE", "SA", "VN"]:
        assert groups.requires_licence(country), country
    for country in ["SG", "MY", "TH", "TW", "ID", "JP", "US", "DE", "AU"]:
        assert not groups.requires_licence(country), country


def test_israel_and_cyprus_excluded(groups: CountryGroups) -> None:
    assert groups.in_group("IL", "D:4")
    assert groups.in_group("CY", "D:5")
    assert not groups.requires_licence("IL")
    assert not groups.requires_licence("CY")
    assert "IL" not in groups.licence_destinations()


def test_china_includes_hong_kong_and_macau(groups: CountryGroups) -> None:
    assert groups.resolve("HK") == "CN"
    assert groups.in_group("HK", "D5")
    assert groups.in_group("MO", "D:1")
    assert "MO" in groups.licence_destinations()


def test_d5_macau_scope(groups: CountryGroups) -> None:
    assert groups.requires_licence("CN", "d5_macau")
    assert groups.requires_licence("MO", "d5_macau")
    assert not groups.requires_licence("AE", "d5_macau")
    assert not groups.requires_licence("CN", "none")


def test_headquarters_rule(groups: CountryGroups) -> None:
    assert groups.headquarters_requires_licence("CN")
    assert groups.headquarters_requires_licence("HK")
    assert groups.headquarters_requires_licence("MO")
    assert not groups.headquarters_requires_licence("SG")
    assert not groups.headquarters_requires_licence(None)


def test_transshipment_points(groups: CountryGroups) -> None:
    for country in ["SG", "AE", "TW", "TR", "KZ", "MY", "TH", "HK", "VN", "ID"]:
        assert groups.is_transshipment_point(country), country
    assert not groups.is_transshipment_point("JP")
    assert len(groups.transshipment_points) == len(set(groups.transshipment_points))


def test_hubs(groups: CountryGroups) -> None:
    assert set(groups.hubs) == {"SG", "MY", "TH", "AE", "HK", "VN", "ID"}
