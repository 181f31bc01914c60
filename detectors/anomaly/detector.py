"""``AnomalyDetector``: parties whose recent behaviour is unlike anyone's in the training data.

For every trade record, in (event time, event id) order: update the behaviour features of
each party it names (``detectors.anomaly.features``); for each of those parties with
enough activity to judge (``min_accelerators`` controlled accelerators or ``min_events``
events in 365 days), take its row *at that record* and score it with the trained
isolation forest. A score at or above ``min_score`` raises a finding
``anomaly.isolation@1`` (typology ``anomaly``) on the party, with the features that drove
the score, their values and the training median ("typical").

Severity is ``low``, or ``medium`` from ``medium_score``; never higher. An unexplained
statistical outlier is a lead for an analyst, not a page; when a rule detector agrees on
the same party, fusion already raises the fused alert.

A party is raised again only when its score beats what was last raised by
``rescore_margin`` or its severity rises, so a busy odd party does not re-publish its
alert with every document. A party back after years idle starts afresh
(``detectors.anomaly.features``: ``RESTART_AFTER_DAYS``), and so does what was raised on
it: it can be raised again at any score. Every decision is taken at a record, from the
state after that record, so micro-batch size never changes the outcome; rows of one
batch are scored together only because that is faster (scoring is a pure function of
the row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from detectors.alerts import Finding, severity_rank
from detectors.anomaly.artefact import load, model_version
from detectors.anomaly.features import FEATURES, FEATURE_NAMES, EvidenceSnapshot, PartyFeatures, RowInputs, day_of
from detectors.anomaly.model import AnomalyModel
from detectors.engine.records import OrderRecord, PartyRef, ShipmentRecord, TradeRecord, in_event_order
from detectors.reference import CountryGroups

__all__ = ["AnomalyDetector", "DETECTOR", "RED_FLAG", "FALLBACK_RED_FLAG", "DEFAULTS"]

VERSION = 1
DETECTOR = f"anomaly.isolation@{VERSION}"
TYPOLOGY = "anomaly"
PATTERN_KEY = "isolation"
#: The code this detector means; used once ``red_flags.toml`` defines it.
RED_FLAG = "BEHAVIOUR_ANOMALY"
#: The closest code the catalogue already has, used until then.
FALLBACK_RED_FLAG = "VOLUME_ANOMALY"
_STATE_FORMAT = 2
#: Used for any ``[anomaly]`` key the thresholds file does not set.
DEFAULTS: dict[str, Any] = {
    "min_score": 0.60,
    "medium_score": 0.65,
    "min_accelerators": 64,
    "min_events": 12,
    "rescore_margin": 0.02,
    "evidence_per_party": 10,
    "top_features": 3,
}
_SPEC = {f.name: f for f in FEATURES}
#: Below ``min_score`` by more than this, a score cannot round (to 4 places) up to it.
_ROUNDING_SLACK = 1e-4


def _settings(ref: Any) -> dict[str, Any]:
    try:
        section = ref.thresholds["anomaly"]
    except KeyError:
        section = {}
    return {key: section.get(key, default) for key, default in DEFAULTS.items()}


def _record_parties(record: TradeRecord) -> dict[str, PartyRef]:
    if isinstance(record, OrderRecord):
        refs = (record.buyer, record.ship_to, record.end_user, record.seller, record.payer)
    elif isinstance(record, ShipmentRecord):
        refs = (record.consignee, record.intermediate_consignee, record.shipper)
    else:
        refs = ()
    out: dict[str, PartyRef] = {}
    for party in refs:
        if party is not None:
            out.setdefault(party.entity_id, party)
    return out


def _fmt(kind: str, value: float) -> str:
    if kind == "share":
        return f"{value:.0%}"
    if kind == "usd":
        if value >= 1e6:
            return f"${value / 1e6:,.1f}M"
        return f"${value:,.0f}"
    if kind == "ratio":
        return f"{value:,.0f}x" if value >= 10 else f"{value:.2g}x"
    if kind == "flag":
        return "yes" if value >= 0.5 else "no"
    return f"{value:,.0f}"


def describe(feature: str, value: float, typical: float) -> str:
    """``4,096 controlled accelerators in 90 days (typical 64)``."""
    spec = _SPEC[feature]
    return f"{spec.label.format(_fmt(spec.kind, value))} (typical {_fmt(spec.kind, typical)})"


class AnomalyDetector:
    """Behaviour-anomaly detector (``name = "anomaly"``); see the module docstring."""

    name = "anomaly"

    def __init__(self, artefact: Path | str | AnomalyModel | None = None, *, countries: CountryGroups | None = None) -> None:
        if isinstance(artefact, AnomalyModel):
            self.model = artefact
            self.model_version = getattr(artefact, "version_", None) or model_version(artefact)
            self.trained_at: str | None = None
        else:
            self.model, metadata = load(Path(artefact) if artefact is not None else None)
            self.model_version = metadata["model_version"]
            self.trained_at = metadata.get("trained_at")
        if tuple(self.model.feature_names_) != FEATURE_NAMES:
            raise ValueError("anomaly model was trained on other features: retrain it")
        self._countries = countries
        self._features: PartyFeatures | None = None
        self._emitted: dict[str, list[float]] = {}  # party -> [score raised, severity rank (int)]
        # party -> its last judged row inputs, and the settings they were judged under
        # (derived, not saved: after a restart the first row is judged again, to the same
        # outcome); see _repeats
        self._last_inputs: dict[str, RowInputs] = {}
        self._repeats_settings: dict[str, Any] = {}
        # Parties the features restarted or forgot (``PartyFeatures.on_forget``), each with
        # the number of rows the current batch had collected then: what was raised on
        # them is forgotten in that place of the batch's decisions (see ``observe``).
        self._forgets: list[tuple[int, str]] = []
        self._collected: list[TradeRecord] = []

    def _state(self, ref: Any | None = None) -> PartyFeatures:
        if self._features is None:
            countries = self._countries or (ref.countries if ref is not None else None)
            self._features = PartyFeatures(countries)
            self._features.on_forget = self._forget
        return self._features

    def _forget(self, party: str) -> None:
        """A party starts afresh or is forgotten: so is what it raised and its last row."""
        self._last_inputs.pop(party, None)
        self._forgets.append((len(self._collected), party))

    @property
    def tracked_parties(self) -> int:
        return len(self._features) if self._features is not None else 0

    # -- Detector protocol ---------------------------------------------------------------

    def observe(self, records: Sequence[TradeRecord], ref: Any) -> list[Finding]:
        t = _settings(ref)
        features = self._state(ref)
        features.evidence_keep = int(t["evidence_per_party"])
        floor_acc, floor_events = int(t["min_accelerators"]), int(t["min_events"])
        min_score, medium_score, margin = float(t["min_score"]), float(t["medium_score"]), float(t["rescore_margin"])
        repeats = self._repeats(t)
        # Per judged row: its inputs (back to back in one list), record, party and evidence
        # snapshot, in parallel lists: tuples kept per row until the batch is scored are
        # work for the garbage collector, walked over again and again.
        inputs: list[int] = []
        at_record: list[TradeRecord] = []
        at_party: list[str] = []
        at_evidence: list[EvidenceSnapshot] = []
        self._collected = at_record
        for record in in_event_order(records):
            touched = features.update(record)
            if not touched:
                continue
            for party, row_inputs, evidence_at in features.judged(touched, day_of(record.event.event_time), floor_acc, floor_events):
                if repeats is not None:
                    if repeats.get(party) == row_inputs:
                        continue
                    repeats[party] = row_inputs
                inputs += row_inputs
                at_record.append(record)
                at_party.append(party)
                at_evidence.append(evidence_at)
        self._collected = []
        forgets, self._forgets = self._forgets, []
        if not at_record:
            self._forget_raised(forgets)
            return []
        rows = features.rows(np.array(inputs, dtype=np.float64).reshape(len(at_record), -1))  # one columnar batch
        scores = self.model.score_many(rows)
        findings: list[Finding] = []
        done = 0  # of ``forgets``
        # Only a score rounding to at least ``min_score`` can raise a finding; the others
        # are left alone (the slack covers any rounding).
        for i in np.flatnonzero(scores >= min_score - _ROUNDING_SLACK).tolist():
            while done < len(forgets) and forgets[done][0] <= i:  # forgotten before row i was taken
                self._emitted.pop(forgets[done][1], None)
                done += 1
            score = round(float(scores[i]), 4)
            if score < min_score:
                continue
            severity = "medium" if score >= medium_score else "low"
            rank = severity_rank(severity)
            record, party = at_record[i], at_party[i]
            before = self._emitted.get(party)
            if before is not None and score < before[0] + margin and rank <= before[1]:
                continue
            self._emitted[party] = [score, rank]
            evidence = features.evidence_ids(at_evidence[i])
            subject = _record_parties(record)[party]
            findings.append(self._finding(record, subject, rows[i], evidence, score, severity, t, ref))
        self._forget_raised(forgets[done:])
        return findings

    def _forget_raised(self, forgets: Sequence[tuple[int, str]]) -> None:
        for _, party in forgets:
            self._emitted.pop(party, None)

    def _repeats(self, t: Mapping[str, Any]) -> dict[str, RowInputs] | None:
        """Each party's last judged row inputs, to skip a row equal to them; None when such
        a row could still raise a finding.

        An equal row scores the same, and that score was judged against what the party
        had raised, which only the party's own findings change since: with a positive
        ``rescore_margin`` it cannot raise anything now. Under other settings it could,
        so a change of settings starts afresh.
        """
        if float(t["rescore_margin"]) <= 0:
            return None
        if t != self._repeats_settings:
            self._last_inputs, self._repeats_settings = {}, dict(t)
        return self._last_inputs

    def on_reference_change(self, change: Any, ref: Any) -> list[Finding]:
        """Registry facts enter a party's row with its next record; nothing to re-judge now."""
        return []

    def to_state(self) -> dict[str, Any]:
        return {
            "format": _STATE_FORMAT,
            "model_version": self.model_version,
            "features": self._state().to_state(),
            # [score raised, severity rank]; by party id, rank as an integer: the same JSON
            # whether or not the state was reloaded.
            "emitted": {party: [float(v[0]), int(v[1])] for party, v in sorted(self._emitted.items())},
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        self._last_inputs = {}
        if not state:
            self._features = None
            self._emitted = {}
            return
        if state.get("format") != _STATE_FORMAT:
            raise ValueError(
                f"anomaly: unknown state format {state.get('format')!r} (expected {_STATE_FORMAT}); "
                "state from an older release cannot be loaded: replay to rebuild it"
            )
        self._state().load_state(state["features"])
        self._emitted = {str(p): [float(v[0]), int(v[1])] for p, v in state.get("emitted", {}).items()}

    # -- findings ------------------------------------------------------------------------

    def _finding(
        self,
        record: TradeRecord,
        party: PartyRef,
        row: np.ndarray,
        evidence: tuple[str, ...],
        score: float,
        severity: str,
        t: Mapping[str, Any],
        ref: Any,
    ) -> Finding:
        model = self.model
        top = int(t["top_features"])
        explained = model.explain(row, top=top)
        deviations = model.deviations(row)
        drivers = []
        for feature, contribution in explained:
            index = FEATURE_NAMES.index(feature)
            drivers.append(
                {
                    "feature": feature,
                    "value": round(float(row[index]), 4),
                    "typical": round(model.typical(feature), 4),
                    "contribution": contribution,
                    "deviation": round(float(deviations[index]), 3),
                }
            )
        subject = party.subject()
        percentile = model.percentile(score)
        reasons = "; ".join(describe(d["feature"], d["value"], d["typical"]) for d in drivers)
        summary = (
            f"{subject.name} ({subject.country}) behaves unlike its peers "
            f"(anomaly score {score:.2f}, higher than {percentile:.1%} of training snapshots): {reasons}"
        )
        flags = getattr(ref, "red_flags", None)
        flag = RED_FLAG if flags is not None and RED_FLAG in flags else FALLBACK_RED_FLAG
        ids = tuple(evidence) if evidence else (record.event_id,)
        return Finding(
            detector=DETECTOR,
            typology=TYPOLOGY,
            subject=subject,
            event_time=record.time,
            evidence=tuple(sorted(set(ids))),
            red_flags=(flag,),
            severity=severity,
            score=score,
            summary=summary,
            details={
                "score": score,
                "threshold": float(t["min_score"]),
                "medium_score": float(t["medium_score"]),
                "training_percentile": round(percentile, 4),
                "model_version": self.model_version,
                "features": drivers,
                "eligibility": {"min_accelerators": int(t["min_accelerators"]), "min_events": int(t["min_events"])},
                "as_of": record.time.astimezone(dt.timezone.utc).date().isoformat(),
                "versions": ref.versions() if hasattr(ref, "versions") else {},
            },
            pattern_key=PATTERN_KEY,
        )
