"""The reference data one run uses, loaded once and passed around explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from detectors.reference import Catalogue, CountryGroups, RedFlagCatalogue, ScreeningSample
from streams.simulate.config import SimulationConfig
from streams.simulate.profile import NamePools, WorldProfile, load_names, load_profile

__all__ = ["References", "load_references"]


@dataclass(frozen=True, slots=True)
class References:
    catalogue: Catalogue
    countries: CountryGroups
    screening: ScreeningSample
    red_flags: RedFlagCatalogue
    profile: WorldProfile
    names: NamePools


def load_references(config: SimulationConfig) -> References:
    return References(
        catalogue=Catalogue.load(config.catalogue_path),
        countries=CountryGroups.load(config.country_groups_path),
        screening=ScreeningSample.load(config.screening_path),
        red_flags=RedFlagCatalogue.load(),
        profile=load_profile(),
        names=load_names(),
    )
