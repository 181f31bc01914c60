"""The end-of-replay summary: alerts by typology and severity, and the top subjects."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.table import Table

from detectors.alerts import SEVERITIES
from schemas import Alert

__all__ = ["summary_tables"]


def summary_tables(alerts: Sequence[Alert], top: int = 10) -> list[Table]:
    by_cell = Counter((a.typology, a.severity) for a in alerts)
    typologies = sorted({a.typology for a in alerts})
    grid = Table(title=f"{len(alerts)} alerts by typology and severity")
    grid.add_column("typology")
    for severity in SEVERITIES:
        grid.add_column(severity, justify="right")
    grid.add_column("total", justify="right")
    for typology in typologies:
        cells = [by_cell[(typology, s)] for s in SEVERITIES]
        grid.add_row(typology, *(str(c) if c else "." for c in cells), str(sum(cells)))

    subjects = Counter(a.subject.entity_id for a in alerts)
    names = {a.subject.entity_id: f"{a.subject.name} ({a.subject.country})" for a in alerts}
    worst = {}
    for alert in alerts:
        current = worst.get(alert.subject.entity_id)
        if current is None or SEVERITIES.index(alert.severity) > SEVERITIES.index(current):
            worst[alert.subject.entity_id] = alert.severity
    leaders = Table(title=f"top {top} subjects")
    leaders.add_column("subject")
    leaders.add_column("entity_id")
    leaders.add_column("alerts", justify="right")
    leaders.add_column("worst")
    ranked = sorted(subjects, key=lambda s: (-SEVERITIES.index(worst[s]), -subjects[s], s))[:top]
    for subject in ranked:
        leaders.add_row(names[subject], subject, str(subjects[subject]), worst[subject])
    return [grid, leaders]
