"""The product catalogue parses and classifies the products detectors meet."""

from __future__ import annotations

import re

import pytest

from detectors.reference import Catalogue

VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}\.\d+$")
REQUIRED_FAMILIES = [
    "H100-SXM5", "H100-PCIE", "H200", "H800", "H20", "A100", "A800", "B200", "GB200-SUPERCHIP",
    "L40S", "L4", "RTX-4090", "RTX-6000-ADA", "MI300X", "MI325X", "HGX-H100-8GPU", "HGX-H200-8GPU",
    "DGX-H100", "HGX-B200-8GPU", "RTX-4060", "CPU-SERVER-2S", "IB-SWITCH", "DAC-CABLE", "POWER-ADAPTER",
]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


def test_version_is_dated(catalogue: Catalogue) -> None:
    assert VERSION.match(catalogue.version)


def test_required_families_present(catalogue: Catalogue) -> None:
    for family in REQUIRED_FAMILIES:
        assert catalogue.family(family).family == family


def test_controlled_datacenter_products_are_fully_described(catalogue: Catalogue) -> None:
    controlled = catalogue.datacenter_controlled()
    assert len(controlled) >= 15
    for product in controlled:
        assert product.eccn.startswith(("3A090", "4A090")), product.family
        assert product.tpp and product.tpp > 0, product.family
        assert product.accelerators_per_unit >= 1, product.family
        assert product.unit_value_usd.min < product.unit_value_usd.max, product.family
        assert product.hts.startswith(("8473.30", "8471.50", "8471.80", "8542.31")), product.family
        assert product.licence_scope == "advanced_computing", product.family
        assert product.sources, product.family


def test_vendor_datacenter_list_is_flagged_datacenter(catalogue: Catalogue) -> None:
    for family in ["A100", "A800", "H100-SXM5", "H100-PCIE", "H200", "H800", "B200", "L4", "L40S", "RTX-6000-ADA"]:
        assert catalogue.family(family).datacenter, family
    assert not catalogue.family("RTX-4090").datacenter


def test_eight_gpu_servers_count_eight(catalogue: Catalogue) -> None:
    for name in ["HGX-H100-8GPU", "HGX-H200-8GPU", "DGX-H100", "HGX-B200-8GPU"]:
        product = catalogue.lookup(name)
        assert product is not None and product.accelerators_per_unit == 8, name
        assert product.eccn == "4A090.a"
        assert catalogue.accelerators_for(name) == 8
    assert catalogue.accelerators_for("HGX-H100-8GPU", declared=4) == 4


def test_prefix_matching_respects_separators(catalogue: Catalogue) -> None:
    assert catalogue.lookup("H100-SXM5-80GB").family == "H100-SXM5"
    assert catalogue.lookup("h100 sxm5 80gb").family == "H100-SXM5"
    assert catalogue.lookup("H200-SXM-141GB").family == "H200"
    assert catalogue.lookup("H20-96GB").family == "H20"
    assert catalogue.lookup("H2000") is None
    assert catalogue.lookup("UNBRANDED ADAPTER") is None
    assert catalogue.lookup_sku("SRV-HGX-H200-A1").family == "HGX-H200-8GPU"
    assert catalogue.lookup_line("???", "NV-H100-SXM-X").family == "H100-SXM5"


def test_is_controlled(catalogue: Catalogue) -> None:
    assert catalogue.is_controlled("3A090.a")
    assert catalogue.is_controlled("4A090.a")
    assert catalogue.is_controlled("3A090.b")
    assert catalogue.is_controlled("5A992.z")
    assert not catalogue.is_controlled("EAR99")
    assert not catalogue.is_controlled("5A992.c")
    assert not catalogue.is_controlled(None)


def test_h20_scope_starts_april_2025(catalogue: Catalogue) -> None:
    import datetime as dt

    h20 = catalogue.family("H20")
    assert not catalogue.is_controlled(h20.eccn)
    assert h20.licence_scope_on(dt.date(2025, 1, 1)) == "none"
    assert h20.licence_scope_on(dt.date(2025, 6, 1)) == "d5_macau"


def test_unrelated_headings(catalogue: Catalogue) -> None:
    headings = {h.hts[:4] for h in catalogue.unrelated_headings}
    assert headings == {"8504", "8536", "8544"}
    assert catalogue.is_unrelated_heading("8504.40.9540")
    assert not catalogue.is_unrelated_heading("8473.30")


def test_non_controlled_items_present(catalogue: Catalogue) -> None:
    non_controlled = [p for p in catalogue.products if not catalogue.is_controlled(p.eccn)]
    categories = {p.category for p in non_controlled}
    assert {"consumer_gpu", "cpu_server", "network", "cable", "power"} <= categories


def test_alternative_path(tmp_path, catalogue: Catalogue) -> None:
    from detectors.reference._files import DATA_DIR

    text = (DATA_DIR / "catalogue.toml").read_text().replace(catalogue.version, "2099-01-01.1", 1)
    path = tmp_path / "catalogue.toml"
    path.write_text(text)
    assert Catalogue.load(path).version == "2099-01-01.1"
