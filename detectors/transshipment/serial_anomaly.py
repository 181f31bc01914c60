"""Pattern 4: one serial in two places at once, or exported twice.

Adjacent legs of a serial's history that do not connect (the second leg is not shipped
by the first leg's consignee) are a conflict. Two are reported, because both cannot be
true of one physical unit:

* **exported twice**: the same shipper sends the unit out again to someone else, and no
  leg brought it back (cloned or moved serial labels);
* **two places at once**: the unit reaches two different consignees within
  ``serial_conflict_days``, with no leg between them.

Two filings of one consignment (same shipment id, or the same route days apart) are not
a conflict. The subject is the party whose documents cannot all be true: for a unit
exported twice, the exporter when we saw it receive the unit (a pass-through party shipping
one unit twice), else the later consignee (an origin's duplicate serial is in the market,
with whoever received it last); for two places at once, the shipper of the later leg.
"""

from __future__ import annotations

from typing import Any

from detectors.alerts import Finding
from detectors.transshipment.report import evidence_of, make_finding, who
from detectors.transshipment.routes import classify_destination
from detectors.transshipment.settings import Settings
from detectors.transshipment.state import Leg, State
from detectors.transshipment.timeline import days_between

__all__ = ["check_conflicts", "PATTERN"]

PATTERN = "serial_anomaly"


def _received(state: State, first: Leg, second: Leg, since: int) -> set[str]:
    """Shippers of both legs that had received these units on a leg we saw (pass-through parties)."""
    shippers = set(first.shippers) & set(second.shippers)
    serials = first.serials.shared(second.serials)
    found: set[str] = set()
    for serial in serials:
        for _, key in state.serial_legs(serial):
            leg = state.legs[key]
            if since <= leg.t <= first.t and key != first.key:
                found.update(shippers & set(leg.consignees))
    return found


def _finding(first: Leg, second: Leg, serials: set[str], state: State, since: int, settings: Settings,
             ref: Any) -> Finding | None:
    gap = days_between(first.t, second.t)
    same_shipper = bool(set(first.shippers) & set(second.shippers))
    different_place = not set(first.consignees) & set(second.consignees)
    if not different_place:
        return None
    if same_shipper:
        kind = "exported_twice"
        received = _received(state, first, second, since)
        subject = state.canonical(received) if received else state.canonical(second.consignees)
    elif gap <= settings.serial_conflict_days:
        kind = "two_places_at_once"
        subject = state.canonical(second.shippers)
    else:
        return None  # a gap in the feeds (unreported legs), not a contradiction
    severity = "high"
    if kind == "exported_twice" and gap > settings.reexport_max_dwell_days:
        severity = "medium"  # a return we did not see is plausible after months
    if any(classify_destination(leg, ref.countries).forbidden for leg in (first, second)):
        severity = "critical"
    sample = sorted(serials)[:5]
    where = f"to {who(state, state.canonical(first.consignees))} and {who(state, state.canonical(second.consignees))}"
    if kind == "exported_twice":
        summary = (f"{len(serials)} serial(s) (e.g. {sample[0]}) were exported twice by "
                   f"{who(state, state.canonical(first.shippers))}, {where}, {gap:.0f} days apart.")
    else:
        summary = f"{len(serials)} serial(s) (e.g. {sample[0]}) were in two places at once, {where}, {gap:.1f} days apart."
    details = {
        "kind": kind,
        "serials": len(serials),
        "sample_serials": sample,
        "gap_days": round(gap, 3),
        "first_leg": first.key,
        "second_leg": second.key,
        "thresholds": settings.figures("serial_conflict_days", "reexport_max_dwell_days"),
        "thresholds_version": settings.version,
    }
    parties = {*first.shippers, *first.consignees, *second.shippers, *second.consignees}
    return make_finding(
        pattern=PATTERN,
        state=state,
        subject=subject,
        t=max(first.t, second.t),
        evidence=evidence_of([first, second]),
        red_flags=["SERIAL_DUPLICATE"],
        severity=severity,
        summary=summary,
        details=details,
        pattern_key=f"{PATTERN}:{first.key}|{second.key}",
        related=parties,
    )


def check_conflicts(conflicts: dict[tuple[str, str], set[str]], state: State, since: int, settings: Settings,
                    ref: Any) -> list[Finding]:
    findings = []
    for (first, second), serials in sorted(conflicts.items()):
        finding = _finding(state.legs[first], state.legs[second], serials, state, since, settings, ref)
        if finding is not None:
            findings.append(finding)
    return findings
