"""Where goods went and what that means: destinations, licences, roles, and hop severity.

Every pattern that sees goods pass through a party asks the same questions, answered
here once: does the next destination need a licence (``ref.countries``) and was one
given; is it a hub; did the party declare itself the end user; is this ordinary routing
of one order through a forwarder rather than a re-export. The severity table for a hop
lives here too, so serial and matched hops are judged alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from detectors.alerts import SEVERITIES, severity_rank
from detectors.transshipment.settings import Settings
from detectors.transshipment.state import Leg, PartyInfo
from detectors.transshipment.timeline import from_us

__all__ = [
    "Destination",
    "FORBIDDEN",
    "CONCERNING",
    "is_embargoed",
    "HopAssessment",
    "assess_hop",
    "classify_destination",
    "is_licensed",
    "needs_licence",
    "role_of",
    "h200_class",
    "presumption_of_denial",
    "raise_severity",
    "lower_severity",
    "strongest",
    "SCORE",
]

#: Licence field values that mean "no licence": NLR is a statement that none is needed.
_NO_LICENCE = frozenset({"", "NLR", "NONE", "N/A", "NA", "NO LICENSE REQUIRED", "NO LICENCE REQUIRED"})

#: Business types that use accelerators themselves: re-exporting contradicts their role.
_END_USER_TYPES = frozenset(
    {"cloud_provider", "ai_lab", "university", "hpc_center", "enterprise", "crypto_miner", "gaming_retail", "government"}
)
_TRADER_TYPES = frozenset({"distributor", "reseller"})
_FORWARDER_TYPES = frozenset({"freight_forwarder", "logistics"})
_MANUFACTURER_TYPES = frozenset({"oem_server"})

#: Base score per severity; patterns subtract a little for weaker links (matches vs serials).
SCORE = {"low": 0.3, "medium": 0.55, "high": 0.75, "critical": 0.9}


def is_licensed(licence: str | None) -> bool:
    """A licence number or licence exception (NAC, ACA...), not NLR and not absent."""
    return bool(licence) and licence.strip().upper() not in _NO_LICENCE


def needs_licence(countries: Any, country: str, scopes: tuple[str, ...]) -> bool:
    """Whether any controlled item of a leg needs a licence to ``country``."""
    for scope in scopes:
        if scope == "none" or scope not in countries.scopes:
            continue
        if countries.requires_licence(country, scope):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Destination:
    """The next destination of goods, classified for severity.

    ``kind``:

    * ``embargoed``: D:5 or Macau (China with Hong Kong), needing a licence that is under a
      presumption of denial, and no licence recorded;
    * ``controlled``: another licence destination, and the leg declares it needs none (NLR);
    * ``unverified``: another licence destination (UAE, Saudi Arabia, Vietnam), and the feed
      records no licence field at all (foreign customs feeds never do), so it may be licensed;
    * ``licensed``: a licence destination with a licence or licence exception recorded;
    * ``hub`` (a diversion hub), ``point`` (a listed transshipment point that is not a hub),
      ``other``, or ``domestic`` (not an export at all).
    """

    country: str
    kind: str
    licensed: bool
    via_transshipment_point: bool  # destination or a transit country is on the list

    @property
    def concerning(self) -> bool:
        """Where pass-through goods should not go without a reason."""
        return self.kind in CONCERNING

    @property
    def forbidden(self) -> bool:
        """Where they certainly should not go: no licence for a licence destination."""
        return self.kind in FORBIDDEN


FORBIDDEN = frozenset({"embargoed", "controlled"})
CONCERNING = frozenset({"embargoed", "controlled", "unverified", "hub"})


def is_embargoed(countries: Any, country: str) -> bool:
    """D:5 or Macau, after ``treated_as`` (Hong Kong is China)."""
    if "d5_macau" in countries.scopes:
        return countries.requires_licence(country, "d5_macau")
    return countries.in_group(country, "D5")


#: Destinations already classified, by everything the answer depends on (a pure function).
_DESTINATIONS: dict[tuple, Destination] = {}
_DESTINATIONS_MAX = 100_000


def classify_destination(leg: Leg, countries: Any, scopes: tuple[str, ...] | None = None) -> Destination:
    """``scopes`` overrides the leg's own (misdescribed goods are judged as the GPUs they are)."""
    scopes = leg.scopes if scopes is None else scopes
    key = (id(countries), countries.version, leg.origin, leg.dest, leg.consignee_country, leg.transit, leg.licence, scopes)
    found = _DESTINATIONS.get(key)
    if found is None:
        if len(_DESTINATIONS) >= _DESTINATIONS_MAX:
            _DESTINATIONS.clear()
        found = _DESTINATIONS[key] = _classify(leg, countries, scopes)
    return found


def _classify(leg: Leg, countries: Any, scopes: tuple[str, ...]) -> Destination:
    licensed = is_licensed(leg.licence)
    via_point = any(countries.is_transshipment_point(c) for c in (leg.dest, *leg.transit))
    if not leg.is_export:
        kind = "domestic"
    elif needs_licence(countries, leg.dest, scopes) or needs_licence(countries, leg.consignee_country, scopes):
        if licensed:
            kind = "licensed"
        elif is_embargoed(countries, leg.dest) or is_embargoed(countries, leg.consignee_country):
            kind = "embargoed"
        else:
            kind = "controlled" if leg.licence is not None else "unverified"
    elif countries.is_hub(leg.dest):
        kind = "hub"
    elif countries.is_transshipment_point(leg.dest):
        kind = "point"
    else:
        kind = "other"
    return Destination(leg.dest, kind, licensed, via_point)


def role_of(party: PartyInfo, consignee_type: str | None) -> str:
    """What the party said it was when the goods reached it: the declaration first.

    ``end_user`` (declared direct consumer or government, or registered as a business that
    uses accelerators), ``trader``, ``forwarder``, ``manufacturer`` or ``unknown``.
    """
    if consignee_type in ("direct_consumer", "government"):
        return "end_user"
    if consignee_type == "reseller":
        return "trader"
    if consignee_type == "freight_forwarder":
        return "forwarder"
    kind = party.business_type
    if kind in _END_USER_TYPES:
        return "end_user"
    if kind in _TRADER_TYPES:
        return "trader"
    if kind in _FORWARDER_TYPES:
        return "forwarder"
    if kind in _MANUFACTURER_TYPES:
        return "manufacturer"
    return "unknown"


def h200_class(family: Any, reference_tpp: float | None) -> bool:
    """At least the H200's performance (TPP per accelerator): the Jan 2026 re-export policy."""
    return bool(family is not None and reference_tpp and family.tpp and family.tpp >= reference_tpp)


def presumption_of_denial(leg: Leg, countries: Any) -> bool:
    """An H200-class re-export to China on or after the policy date, without a licence."""
    if not leg.h200_class or is_licensed(leg.licence) or countries.resolve(leg.dest) != "CN":
        return False
    effective = countries.national_control_effective("CN_REEXPORT_H200")
    day = from_us(leg.t).date()
    if isinstance(effective, dt.datetime):
        effective = effective.date()
    return effective is None or day >= effective


def raise_severity(severity: str) -> str:
    return SEVERITIES[min(severity_rank(severity) + 1, len(SEVERITIES) - 1)]


def lower_severity(severity: str) -> str | None:
    rank = severity_rank(severity)
    return SEVERITIES[rank - 1] if rank > 0 else None


def strongest(*severities: str | None) -> str | None:
    present = [s for s in severities if s is not None]
    return max(present, key=severity_rank) if present else None


@dataclass(frozen=True, slots=True)
class HopAssessment:
    severity: str | None
    flags: tuple[str, ...]
    facts: dict[str, Any]


def _routing(inbound: Leg, outbound: Leg) -> str | None:
    """Why two legs are one consignment's route rather than a re-export, if they are."""
    if inbound.shipment_id == outbound.shipment_id:
        return "same_shipment"
    if inbound.order_id and inbound.order_id == outbound.order_id:
        return "same_order"
    if inbound.dest != inbound.consignee_country and inbound.dest == outbound.dest:
        return "declared_onward"  # the first leg already declared the final country
    return None


def assess_hop(
    inbound: Leg,
    outbound: Leg,
    party: PartyInfo,
    next_party: PartyInfo,
    dwell_days: float,
    intact_lot: bool,
    link_flag: str,
    settings: Settings,
    countries: Any,
) -> HopAssessment:
    """Severity of goods passing through ``party`` (``None``: ordinary trade).

    * To a licence destination without a licence (``embargoed``, ``controlled``):
      critical within ``severe_dwell_days``, high up to ``reexport_max_dwell_days`` (high
      too for one order's declared routing: an unlicensed export, if not a concealed one).
    * Licensed legs, transfers inside one ownership group and one order's routing through
      a forwarder: ordinary trade.
    * To a hub, or a licence destination whose licence the feed does not show
      (``unverified``): a party that declared itself the end user contradicts its
      declaration (high within the severe dwell, else medium; ``ABNORMAL_ROUTE``). Otherwise
      what matters is whether the *lot* moved on intact (the same serials in and out, or a
      matched quantity): high / medium, one level less for a declared trader. A trader
      breaking bulk into regional sales, or selling to a declared end user, is
      distribution, not pass-through.
    * Anywhere else only a declared end user re-exporting is notable (medium / low).
    """
    destination = classify_destination(outbound, countries)
    role = role_of(party, inbound.consignee_type)
    next_role = role_of(next_party, outbound.consignee_type)
    routing = _routing(inbound, outbound)
    same_group = party.group == next_party.group
    facts: dict[str, Any] = {
        "dwell_days": round(dwell_days, 2),
        "next_destination": destination.country,
        "destination_kind": destination.kind,
        "licence": outbound.licence,
        "pass_through_role": role,
        "declared_consignee_type": inbound.consignee_type,
        "next_role": next_role,
        "intact_lot": intact_lot,
        "routing": routing,
        "same_group": same_group,
    }
    severity: str | None = None
    flags: list[str] = []
    severe = dwell_days <= settings.severe_dwell_days
    trader = role in ("trader", "manufacturer")
    if dwell_days > settings.reexport_max_dwell_days or destination.kind == "domestic":
        severity = None
    elif destination.forbidden:
        severity = "high" if routing or not severe else "critical"
    elif destination.kind == "licensed" or same_group or routing:
        severity = None
    elif destination.concerning:
        if role == "end_user":
            severity = "high" if severe else "medium"
            flags.append("ABNORMAL_ROUTE")
        elif trader and next_role == "end_user":
            severity = None  # a distributor selling to a user of the goods: its business
        elif intact_lot:
            severity = "high" if severe else "medium"
            severity = lower_severity(severity) if trader else severity
        else:
            severity = None if trader else "low"
    elif role == "end_user":
        severity = "medium" if severe else "low"
        flags.append("ABNORMAL_ROUTE")
    if severity is None:
        return HopAssessment(None, (), facts)
    flags.insert(0, link_flag)
    if destination.via_transshipment_point:
        flags.append("TRANSSHIPMENT_POINT_ROUTE")
    if presumption_of_denial(outbound, countries):
        flags.append("REEXPORT_PRESUMPTION_OF_DENIAL")
        severity = "critical"
    return HopAssessment(severity, tuple(flags), facts)
