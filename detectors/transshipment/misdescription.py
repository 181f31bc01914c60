"""Pattern 5: GPUs declared as something else (adapters, switches, cables).

Two questions per shipment line, answered at ingest from the catalogue:

* a known accelerator declared under an unrelated HTS heading (8504, 8536, 8544) is
  misdescribed whatever its value;
* any other line carries a GPU-like unit value (at least
  ``misdescription_min_unit_value_usd``) far above what its heading or its description
  is worth. The unit value is what the line must carry *even if every other line were at
  its catalogue maximum*, so a $30k switch beside $40 adapters never makes the adapters
  look expensive.

The finding is raised on the exporting party; it is worse when that party received
controlled accelerators shortly before (the New Jersey case: GPUs in, "adapters" out).
"""

from __future__ import annotations

from typing import Any

from detectors.alerts import Finding
from detectors.reference.countries import DEFAULT_SCOPE
from detectors.transshipment.report import evidence_of, goods, make_finding, usd, who
from detectors.transshipment.routes import classify_destination
from detectors.transshipment.lines import LineFacts, line_facts
from detectors.transshipment.settings import Settings
from detectors.transshipment.state import Leg, State
from detectors.transshipment.timeline import US_PER_DAY

__all__ = ["misdescribed_lines", "check_leg", "recheck_after_receipt", "PATTERN"]

PATTERN = "misdescription"

GPU_UNDER_UNRELATED_HEADING = "gpu_under_unrelated_heading"
UNRELATED_HEADING_VALUE = "unrelated_heading_value"
VALUE_ABOVE_DESCRIPTION = "value_above_description"


def _may_flag_a_line(items: tuple[Any, ...], facts: list[LineFacts], declared_value: float, settings: Settings) -> bool:
    """False only when ``misdescribed_lines`` cannot flag any line, judged line by line from
    a bound on its unit value (most shipments: cables under 8544 worth a few dollars,
    switches and servers within their price range, GPUs under their own heading).

    A line's unit value is what the declared value leaves after the other lines' expected
    maxima, over its quantity: at most ``declared_value / quantity`` while no line's
    expected worth is negative (none is in the catalogue; if one were, nothing is bounded
    here). Float subtraction and division are monotone, so a line whose bound fails a
    test fails it in ``misdescribed_lines`` too.
    """
    whole = max(declared_value, 0.0)
    minimum = settings.misdescription_min_unit_value_usd
    widen = 1 + settings.match_value_tolerance
    for item, fact in zip(items, facts):
        if fact.negative_worth:
            return True
        family = fact.family
        if family is not None and family.is_accelerator and item.accelerators > 0:
            if fact.heading is not None:
                return True  # a GPU under an unrelated heading, whatever its value
            continue
        bound = whole / item.quantity
        if bound < minimum:
            continue
        if family is None:
            heading = fact.value_heading
            if heading is not None and bound > heading.typical_unit_value_usd.max * widen:
                return True
        elif bound > family.unit_value_usd.max * widen or (
                fact.heading is not None and bound > fact.heading.typical_unit_value_usd.max):
            return True
    return False


def misdescribed_lines(items: tuple[Any, ...], declared_value: float, catalogue: Any,
                       settings: Settings) -> tuple[tuple[str, str, int, float, str], ...]:
    """``(product, hts, quantity, unit value, reason)`` for each misdescribed line."""
    facts = [line_facts(item, catalogue) for item in items]
    if not _may_flag_a_line(items, facts, declared_value, settings):
        return ()
    return _flag_lines(items, facts, declared_value, settings)


def _flag_lines(items: tuple[Any, ...], facts: list[LineFacts], declared_value: float,
                settings: Settings) -> tuple[tuple[str, str, int, float, str], ...]:
    smallest = min(item.quantity for item in items)
    if declared_value / smallest < settings.misdescription_min_unit_value_usd and not any(
        fact.heading is not None for fact in facts
    ):
        return ()  # no line can carry a GPU-like unit value, and none is declared under an unrelated heading
    expected = [None if fact.unit_max is None else item.quantity * fact.unit_max for item, fact in zip(items, facts)]
    found: list[tuple[str, str, int, float, str]] = []
    for index, item in enumerate(items):
        others = [e for i, e in enumerate(expected) if i != index]
        # The HTS code's heading; for a line of no known family, its description's when the code names none.
        heading = facts[index].value_heading
        is_gpu = item.family is not None and item.family.is_accelerator and item.accelerators > 0
        if is_gpu and heading is not None:
            found.append((item.product, item.hts or "", item.quantity, 0.0, GPU_UNDER_UNRELATED_HEADING))
            continue
        if is_gpu or any(e is None for e in others):
            continue  # a real GPU line, or another line of unknown worth: value cannot be attributed
        unit_value = max(declared_value - sum(others), 0.0) / item.quantity
        if unit_value < settings.misdescription_min_unit_value_usd:
            continue
        if heading is not None and item.family is None:
            if unit_value > heading.typical_unit_value_usd.max * (1 + settings.match_value_tolerance):
                found.append((item.product, item.hts or heading.hts, item.quantity, round(unit_value, 2),
                              UNRELATED_HEADING_VALUE))
        elif item.family is not None:
            ceiling = item.family.unit_value_usd.max * (1 + settings.match_value_tolerance)
            if unit_value > ceiling or heading is not None and unit_value > heading.typical_unit_value_usd.max:
                found.append((item.product, item.hts or "", item.quantity, round(unit_value, 2), VALUE_ABOVE_DESCRIPTION))
    return tuple(found)


def _receipts(state: State, party_ids: tuple[str, ...], t: int, settings: Settings) -> tuple[list[Leg], list[str], int]:
    """Controlled accelerators received by the exporter within the re-export dwell before ``t``."""
    since = t - int(settings.reexport_max_dwell_days * US_PER_DAY)
    legs: dict[str, Leg] = {}
    orders: list[str] = []
    accelerators = 0
    for party in party_ids:
        for leg in state.window(state.inbound, party, since, t):
            if leg.accelerators > 0 and leg.key not in legs:
                legs[leg.key] = leg
                accelerators += leg.accelerators
        for order_id in state.orders_to.get(party, ()):
            order = state.orders.get(order_id)
            if order is not None and since <= order.t <= t and order.accelerators > 0:
                orders.append(order.id)
                accelerators += order.accelerators
    return sorted(legs.values(), key=lambda leg: (leg.t, leg.key)), sorted(set(orders)), accelerators


def check_leg(leg: Leg, state: State, ref: Any, settings: Settings) -> list[Finding]:
    """A finding for an export leg with misdescribed lines, or nothing."""
    if not leg.misdescribed or not leg.is_export:
        return []
    exporter = state.canonical(leg.shippers)
    consignee = state.canonical(leg.consignees)
    received, orders, received_accelerators = _receipts(state, leg.shippers, leg.t, settings)
    # Judged as the GPUs the goods are suspected to be, not as the adapters they are declared as.
    destination = classify_destination(leg, ref.countries, leg.scopes or (DEFAULT_SCOPE,))
    gpu_declared_as_other = any(line[4] == GPU_UNDER_UNRELATED_HEADING for line in leg.misdescribed)
    concerning = destination.concerning or destination.kind == "point"
    if received or orders:
        severity = "critical" if concerning or gpu_declared_as_other else "high"
    elif gpu_declared_as_other or concerning:
        severity = "high"
    else:
        severity = "medium"
    flags = ["MISDESCRIPTION"]
    if destination.via_transshipment_point:
        flags.append("TRANSSHIPMENT_POINT_ROUTE")
    product, hts, quantity, unit_value, reason = leg.misdescribed[0]
    declared = f"{quantity} x '{product}' under HTS {hts or 'n/a'}"
    if unit_value:
        declared += f" at {usd(unit_value)} each"
    summary = f"{who(state, exporter)} exported {declared} to {who(state, consignee)} in {leg.dest}"
    if received or orders:
        last = max([r.t for r in received] + [state.orders[o].t for o in orders])
        summary += f", {(leg.t - last) / US_PER_DAY:.0f} days after receiving {received_accelerators} controlled accelerators"
    summary += "."
    details = {
        "lines": [
            {"product": p, "hts": h, "quantity": q, "unit_value_usd": v, "reason": r} for p, h, q, v, r in leg.misdescribed
        ],
        "declared_value_usd": leg.value,
        "destination": leg.dest,
        "destination_kind": destination.kind,
        "received_accelerators": received_accelerators,
        "received_goods": goods(_sum_families(received)),
        "thresholds": settings.figures(
            "misdescription_min_unit_value_usd", "match_value_tolerance", "reexport_max_dwell_days"
        ),
        "thresholds_version": settings.version,
    }
    related = set(leg.consignees) | {p for r in received for p in r.shippers}
    return [
        make_finding(
            pattern=PATTERN,
            state=state,
            subject=exporter,
            t=leg.t,
            evidence=evidence_of([leg, *received], orders),
            red_flags=flags,
            severity=severity,
            summary=summary,
            details=details,
            pattern_key=f"{PATTERN}:{consignee}",
            related=related | set(leg.shippers),
        )
    ]


def recheck_after_receipt(party_ids: tuple[str, ...], t: int, state: State, ref: Any, settings: Settings) -> list[Finding]:
    """A receipt arrived late: exports by the party in the dwell after it may now be worse."""
    if not any(party in state.misdescribed_out for party in party_ids):
        return []  # the party exported nothing misdescribed that is still remembered
    until = t + int(settings.reexport_max_dwell_days * US_PER_DAY)
    findings: list[Finding] = []
    seen: set[str] = set()
    for party in party_ids:
        for leg in state.window(state.misdescribed_out, party, t, until):
            if leg.key not in seen and leg.t > t:
                seen.add(leg.key)
                findings.extend(check_leg(leg, state, ref, settings))
    return findings


def _sum_families(legs: list[Leg]) -> list[tuple[str, int]]:
    total: dict[str, int] = {}
    for leg in legs:
        for name, count in leg.families:
            total[name] = total.get(name, 0) + count
    return sorted(total.items())
